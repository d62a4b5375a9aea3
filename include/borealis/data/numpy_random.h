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

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <utility>

#include "borealis/data/mt19937.h"

namespace borealis::data {

class NumpyRandomState {
 public:
  explicit NumpyRandomState(std::uint32_t seed) : mt_(seed) {}

  // Uniform in [0, max], exactly as numpy's random_interval draws it.
  std::uint64_t interval(std::uint64_t max) {
    if (max == 0) return 0;
    const std::uint64_t mask = ~std::uint64_t{0} >> __builtin_clzll(max);  // smallest 2^k - 1 >= max
    std::uint64_t value;
    if (max <= 0xFFFFFFFFull) {
      value = mt_.masked_at_most(static_cast<std::uint32_t>(mask), static_cast<std::uint32_t>(max));
    } else {
      do {
        const std::uint64_t high = mt_();
        value = ((high << 32) | static_cast<std::uint64_t>(mt_())) & mask;
      } while (value > max);
    }
    return value;
  }

  // numpy.random.RandomState.shuffle on a 1-D array.
  //
  // The swap partners j do not depend on the array, only on the generator,
  // so they are drawn a batch at a time (Mt19937::descending_intervals) and
  // each one's cache line is prefetched kLookahead swaps early: the swaps
  // rarely wait for memory and the draws never wait for the swaps. The
  // permutation is the same as drawing each j when it is needed.
  template <typename T>
  void shuffle(std::span<T> a) {
    constexpr std::size_t kBatch = 512, kLookahead = 16;
    std::size_t i = a.size();
    std::uint32_t partner[kBatch];
    while (i > 1) {
      if (i - 1 > 0xFFFFFFFFull) {  // 64-bit draws, one at a time
        const std::size_t j = static_cast<std::size_t>(interval(i - 1));
        std::swap(a[i - 1], a[j]);
        --i;
        continue;
      }
      const std::size_t n = std::min<std::size_t>(kBatch, i - 1);
      mt_.descending_intervals(static_cast<std::uint32_t>(i - 1), n, partner);
      for (std::size_t t = 0; t < std::min(n, kLookahead); ++t) __builtin_prefetch(&a[partner[t]], 1);
      for (std::size_t t = 0; t < n; ++t) {
        if (t + kLookahead < n) __builtin_prefetch(&a[partner[t + kLookahead]], 1);
        std::swap(a[i - 1 - t], a[partner[t]]);
      }
      i -= n;
    }
  }

 private:
  Mt19937 mt_;
};

}  // namespace borealis::data
