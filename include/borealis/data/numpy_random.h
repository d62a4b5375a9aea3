#pragma once
// numpy's legacy RandomState, as far as Megatron's index builders use it.
//
// RandomState(seed) with an integer seed is MT19937 seeded by Knuth's
// init_genrand -- the generator std::mt19937(seed) is -- and
// RandomState.shuffle(a) on a 1-D array is Fisher-Yates from the end:
//   for i = n-1 down to 1: j = random_interval(i); swap(a[i], a[j])
// where random_interval(max) draws 32-bit outputs masked to the smallest
// 2^k - 1 >= max and rejects those above max (64-bit draws, high word first,
// once max exceeds 2^32 - 1). The permutation does not depend on the element
// type, and arrays of 0 or 1 elements draw nothing.

#include <cstdint>
#include <random>
#include <span>
#include <utility>

namespace borealis::data {

class NumpyRandomState {
 public:
  explicit NumpyRandomState(std::uint32_t seed) : mt_(seed) {}

  // Uniform in [0, max], exactly as numpy's random_interval draws it.
  std::uint64_t interval(std::uint64_t max) {
    if (max == 0) return 0;
    std::uint64_t mask = max;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    mask |= mask >> 32;
    std::uint64_t value;
    if (max <= 0xFFFFFFFFull) {
      do value = static_cast<std::uint64_t>(mt_()) & mask;
      while (value > max);
    } else {
      do {
        const std::uint64_t high = mt_();
        value = ((high << 32) | static_cast<std::uint64_t>(mt_())) & mask;
      } while (value > max);
    }
    return value;
  }

  // numpy.random.RandomState.shuffle on a 1-D array.
  template <typename T>
  void shuffle(std::span<T> a) {
    for (std::size_t i = a.size(); i > 1; --i) {
      const std::size_t j = static_cast<std::size_t>(interval(i - 1));
      std::swap(a[i - 1], a[j]);
    }
  }

 private:
  std::mt19937 mt_;
};

}  // namespace borealis::data
