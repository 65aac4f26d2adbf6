#pragma once
// The host memory allocator, set up once per training or profiling process.

namespace resist::exec {

/// Fixes glibc malloc's mmap threshold (1 GiB) and keeps freed heap memory instead of returning it to
/// the system. Why: LibTorch allocates CPU tensors with plain malloc, and glibc's default *dynamic*
/// threshold (128 KiB, raised to the largest mmapped block freed so far, at most 32 MiB) makes a large
/// buffer come from a fresh mmap (page faults on every step) in one process and from the heap in
/// another, depending on what that process freed before. Measured: 4 ResIST ranks of one run spent 0.75 vs 2.1 CPU
/// seconds on equal work, and profile and run disagreed the same way. No-op outside glibc.
void configure_host_allocator();

} // namespace resist::exec
