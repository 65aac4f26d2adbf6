#include "exec/host_allocator.hpp"

// <malloc.h> first: it brings <features.h>, which defines __GLIBC__. (Testing __GLIBC__ before any C
// library header was included made this file a silent no-op for a while.)
#if __has_include(<malloc.h>)
#include <malloc.h>
#endif

namespace resist::exec {

bool configure_host_allocator() {
#if defined(__GLIBC__)
  static const bool done = [] {
    // Setting the threshold at all turns the dynamic adjustment off; 1 GiB keeps activations and
    // convolution workspaces (hundreds of MB at batch 128) on the heap, reused from step to step instead
    // of mapped and page-faulted afresh. The trim threshold keeps up to 1 GiB of freed heap for the next
    // step. The cost: the process keeps its peak heap.
    return mallopt(M_MMAP_THRESHOLD, 1 << 30) == 1 && mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1;
  }();
  return done;
#else
  return false;
#endif
}

} // namespace resist::exec
