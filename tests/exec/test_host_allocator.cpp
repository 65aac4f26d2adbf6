// The host allocator's settings take effect: a large buffer comes from the heap, not from a fresh mmap.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>

#if __has_include(<malloc.h>)
#include <malloc.h>
#endif

#include "exec/host_allocator.hpp"

TEST_CASE("host allocator: a 64 MiB buffer comes from the heap once configured", "[exec][allocator]") {
#if defined(__GLIBC__)
  REQUIRE(resist::exec::configure_host_allocator());
  // glibc's default would mmap it (the dynamic threshold is at most 32 MiB): hblkhd counts mmapped bytes.
  const std::size_t mapped_before = mallinfo2().hblkhd;
  constexpr std::size_t kBytes = std::size_t{64} << 20;
  void* p = std::malloc(kBytes);
  REQUIRE(p != nullptr);
  std::memset(p, 1, kBytes);
  const std::size_t mapped_during = mallinfo2().hblkhd;
  std::free(p);
  CHECK(mapped_during == mapped_before);
#else
  CHECK_FALSE(resist::exec::configure_host_allocator());
#endif
}
