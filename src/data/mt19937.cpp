#include "borealis/data/mt19937.h"

#include <algorithm>

namespace borealis::data {

namespace {

constexpr int kShift = 397;            // the recurrence's middle word, m
constexpr std::uint32_t kMatrix = 0x9908b0dfu;
constexpr std::uint32_t kUpper = 0x80000000u, kLower = 0x7fffffffu;

// x_{k+n} = x_{k+m} ^ ((upper(x_k) | lower(x_{k+1})) A), A = shift right
// by one, xor kMatrix when the low bit was set.
inline std::uint32_t twist(std::uint32_t current, std::uint32_t next, std::uint32_t middle) {
  const std::uint32_t y = (current & kUpper) | (next & kLower);
  return middle ^ (y >> 1) ^ ((0u - (y & 1u)) & kMatrix);
}

}  // namespace

Mt19937::Mt19937(std::uint32_t seed) {
  // init_genrand (Knuth's multiplier), as std::mt19937(seed) and numpy do.
  state_[0] = seed;
  for (int i = 1; i < kStateWords; ++i)
    state_[i] = 1812433253u * (state_[i - 1] ^ (state_[i - 1] >> 30)) + static_cast<std::uint32_t>(i);
}

void Mt19937::refill() {
  std::uint32_t* s = state_.data();
  constexpr int n = kStateWords, split = n - kShift;  // 227
  // Words 0..226 read words 397..623, not yet rewritten this round.
  for (int i = 0; i < split; ++i) s[i] = twist(s[i], s[i + 1], s[i + kShift]);
  // Words 227..622 read words 0..395, rewritten above (227 words back).
  for (int i = split; i < n - 1; ++i) s[i] = twist(s[i], s[i + 1], s[i - split]);
  s[n - 1] = twist(s[n - 1], s[0], s[kShift - 1]);
  for (int i = 0; i < n; ++i) {
    std::uint32_t y = s[i];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    output_[i] = y;
  }
  next_ = 0;
}

void Mt19937::descending_intervals(std::uint32_t first, std::size_t count, std::uint32_t* out) {
  std::uint32_t max = first;
  std::size_t done = 0;
  while (done < count) {
    if (next_ == kStateWords) refill();
    const std::uint32_t mask = ~std::uint32_t{0} >> __builtin_clz(max);  // smallest 2^k - 1 >= max
    const int start = next_, end = std::min(next_ + 64, kStateWords);
    // Bit j: word start + j, masked, is <= max.
    std::uint64_t marks = 0;
    int j = 0;
#if defined(__SSE2__)
    const __m128i masks = _mm_set1_epi32(static_cast<int>(mask));
    const __m128i bias = _mm_set1_epi32(static_cast<int>(0x80000000u));
    const __m128i limit = _mm_set1_epi32(static_cast<int>(max ^ 0x80000000u));
    for (; j + 4 <= end - start; j += 4) {
      const __m128i v =
          _mm_and_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(output_.data() + start + j)), masks);
      const int above = _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpgt_epi32(_mm_xor_si128(v, bias), limit)));
      marks |= static_cast<std::uint64_t>(~above & 0xF) << j;
    }
#endif
    for (; j < end - start; ++j) marks |= static_cast<std::uint64_t>((output_[start + j] & mask) <= max) << j;
    next_ = end;  // unless a draw below stops early
    while (marks != 0) {
      const int at = start + __builtin_ctzll(marks);
      marks &= marks - 1;
      const std::uint32_t value = output_[at] & mask;
      if (value > max) continue;  // marked for a larger bound than this draw's: rejected
      out[done++] = value;
      --max;
      if (done == count || max <= (mask >> 1)) {  // finished, or the mask shrinks: mark again
        next_ = at + 1;
        break;
      }
    }
  }
}

}  // namespace borealis::data
