#include "exec/host_allocator.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace resist::exec {

void configure_host_allocator() {
#if defined(__GLIBC__)
  static const bool done = [] {
    // Setting the threshold at all turns the dynamic adjustment off; 1 GiB keeps activations and
    // convolution workspaces (hundreds of MB at batch 128) on the heap, reused from step to step instead
    // of mapped and page-faulted afresh. The trim threshold keeps up to 1 GiB of freed heap for the next
    // step. The cost: the process keeps its peak heap.
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    return true;
  }();
  (void)done;
#endif
}

} // namespace resist::exec
