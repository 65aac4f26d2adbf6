// Removes a folder and everything in it, for tests that write run directories. Not
// std::filesystem::remove_all: PyTorch 2.11's libtorch.so exports its own copy of it, which the dynamic
// linker binds the tests' call to, and which crashed (a null call) on the H100 machine.
#pragma once
#include <ftw.h>

#include <cstdio>
#include <string>

namespace resist::exec::test {

inline void remove_tree(const std::string& dir) {
  nftw(dir.c_str(), [](const char* path, const struct stat*, int, struct FTW*) { return std::remove(path); }, 16,
       FTW_DEPTH | FTW_PHYS);
}

} // namespace resist::exec::test
