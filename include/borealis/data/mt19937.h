#pragma once
// MT19937 (Matsumoto & Nishimura 1998), the generator behind numpy's legacy
// RandomState, producing the same 32-bit outputs as std::mt19937 seeded with
// init_genrand. It differs only in speed: the state is regenerated and
// tempered 624 words at a time in loops the compiler vectorises (the
// recurrence's shortest dependency distance is 227 words), so a draw is a
// load from a buffer rather than libstdc++'s per-word branchy path, which
// measured about 3x slower in the index builder's shuffles.

#include <array>
#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace borealis::data {

class Mt19937 {
 public:
  static constexpr int kStateWords = 624;

  explicit Mt19937(std::uint32_t seed);

  std::uint32_t operator()() {
    if (next_ == kStateWords) refill();
    return output_[next_++];
  }

  // numpy's random_interval(max) for max = first, first - 1, ...,
  // first - count + 1 (first < 2^32, 1 <= count <= first): the draws of a
  // Fisher-Yates shuffle, in order. Each word is tested as it comes, with
  // no branch on the outcome (a branch would mispredict on about a third
  // of the words): it is stored, and the count and the bound move on only
  // if it was accepted. The mask stays fixed until the bound falls to half
  // of it, so the only chain from word to word is bound -> compare ->
  // bound. 2.2-2.8 ns per draw, refills included (3.7-3.8 marking 64
  // words at a time in SIMD and jumping from mark to mark).
  void descending_intervals(std::uint32_t first, std::size_t count, std::uint32_t* out);

  // The first of the next outputs whose `mask`ed value is <= max, masked;
  // the outputs before it are used up. This is numpy's rejection loop for
  // bounded integers; it tests four words at once, so the unpredictable
  // accept/reject outcome costs no branch mispredictions.
  std::uint32_t masked_at_most(std::uint32_t mask, std::uint32_t max) {
#if defined(__SSE2__)
    const __m128i masks = _mm_set1_epi32(static_cast<int>(mask));
    const __m128i bias = _mm_set1_epi32(static_cast<int>(0x80000000u));  // unsigned compare via signed
    const __m128i limit = _mm_set1_epi32(static_cast<int>(max ^ 0x80000000u));
    for (;;) {
      if (next_ == kStateWords) refill();
      if (next_ > kStateWords - 4) break;  // the last words of a block, one at a time below
      const __m128i v =
          _mm_and_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(output_.data() + next_)), masks);
      const int rejected = _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpgt_epi32(_mm_xor_si128(v, bias), limit)));
      const int accepted = ~rejected & 0xF;
      if (accepted != 0) {
        const int k = __builtin_ctz(static_cast<unsigned>(accepted));
        const std::uint32_t value = output_[next_ + k] & mask;
        next_ += k + 1;
        return value;
      }
      next_ += 4;
    }
#endif
    for (;;) {
      const std::uint32_t v = (*this)() & mask;
      if (v <= max) return v;
    }
  }

 private:
  void refill();  // twist the whole state, temper it into output_

  alignas(64) std::array<std::uint32_t, kStateWords> state_{};
  alignas(64) std::array<std::uint32_t, kStateWords> output_{};
  int next_ = kStateWords;
};

}  // namespace borealis::data
