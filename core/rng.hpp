// A seeded random generator whose output is identical on every platform and standard library:
// xoshiro256** seeded through SplitMix64, with our own bounded draw and shuffle
// (std::uniform_int_distribution and std::shuffle differ between libstdc++ and libc++).
#pragma once
#include <cstdint>
#include <vector>

namespace resist {

/// Independent random streams derived from one run seed; the tag keeps streams apart.
enum class Stream : std::uint64_t { partition = 1, data = 2, init = 3, ist = 4, failures = 5 };

/// Mixes a run seed with a stream tag and up to two indices (round, worker) into a new seed.
std::uint64_t derive_seed(std::uint64_t seed, Stream stream, std::uint64_t a = 0, std::uint64_t b = 0);

class Rng {
public:
  explicit Rng(std::uint64_t seed);
  /// Next raw 64-bit value.
  std::uint64_t next();
  /// Uniform integer in [0, n), n > 0, unbiased (Lemire's multiply-and-reject).
  std::uint64_t uniform_below(std::uint64_t n);
  /// Uniform double in [0, 1) with 53 random bits.
  double uniform01();
  /// Fisher-Yates shuffle in place.
  template <class T> void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) {
      std::size_t j = static_cast<std::size_t>(uniform_below(i));
      std::swap(v[i - 1], v[j]);
    }
  }
  /// A random permutation of 0..n-1.
  std::vector<int> permutation(int n);

private:
  std::uint64_t s_[4];
};

} // namespace resist
