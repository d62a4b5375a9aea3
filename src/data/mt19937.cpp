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
  // Word by word, without a branch on acceptance: each word is stored at
  // out[done], and done and max move on only if it was accepted. The mask
  // is fixed for a run: it shrinks only when max falls to half of it, so a
  // run ends after `max - mask / 2` acceptances (or at the last output),
  // and within it the one loop-carried chain is max -> compare -> max.
  std::uint32_t max = first;
  std::uint32_t mask = ~std::uint32_t{0} >> __builtin_clz(max);  // smallest 2^k - 1 >= max
  std::size_t done = 0;
  while (done < count) {
    if (max == 0) {  // only past the contract (count > first): numpy's random_interval(0) draws nothing
      std::fill(out + done, out + count, 0u);
      return;
    }
    const std::size_t run_end = std::min<std::size_t>(count, done + (max - (mask >> 1)));
    while (done < run_end) {
      if (next_ == kStateWords) refill();
      const std::uint32_t* words = output_.data();
      int i = next_;
      for (; i < kStateWords; ++i) {
        const std::uint32_t value = words[i] & mask;
        const bool accepted = value <= max;
        out[done] = value;
        done += accepted;
        max -= accepted;
        if (done == run_end) {
          ++i;
          break;
        }
      }
      next_ = i;
    }
    mask >>= 1;  // max is now mask / 2 (or all outputs are drawn)
  }
}

}  // namespace borealis::data
