#pragma once
// The host memory allocator, set up once per training or profiling process.

namespace resist::exec {

/// Fixes glibc malloc's mmap threshold (1 GiB) and keeps freed heap memory instead of returning it to
/// the system. Why: LibTorch allocates CPU tensors with plain malloc, and glibc's default *dynamic*
/// threshold (128 KiB, raised to the largest mmapped block freed so far, at most 32 MiB) makes a large
/// buffer come from a fresh mmap, or the heap's top be trimmed and grown again, in one process and not in
/// another, depending on what that process freed before: page faults on every step. Measured (2-rank ResIST
/// of preact_resnet110_cifar on this 2-core machine): one rank faulted 9,000 pages a second, spent 13% of
/// its time in the kernel and took 20-30% longer than the other on the same work.
/// Returns true where the settings took effect (glibc), false elsewhere (a no-op).
bool configure_host_allocator();

} // namespace resist::exec
