// Mt19937 against the standard library's MT19937 (an implementation nobody
// here wrote): the same words for several seeds, across many refills, and
// the batched bounded draws against numpy's rule applied word by word.

#include <algorithm>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "borealis/data/mt19937.h"

namespace borealis::data {
namespace {

TEST(Mt19937, SameOutputsAsStdMt19937) {
  for (std::uint32_t seed : {0u, 1u, 1234u, 5489u, 4294967295u}) {
    Mt19937 ours(seed);
    std::mt19937 theirs(seed);
    for (int i = 0; i < 10 * Mt19937::kStateWords + 7; ++i)
      ASSERT_EQ(ours(), static_cast<std::uint32_t>(theirs())) << "seed " << seed << " word " << i;
  }
}

// numpy's bounded draw, word by word, on the standard library's generator.
std::uint32_t reference_interval(std::mt19937& mt, std::uint32_t max) {
  const std::uint32_t mask = ~std::uint32_t{0} >> __builtin_clz(max);
  for (;;) {
    const auto v = static_cast<std::uint32_t>(mt()) & mask;
    if (v <= max) return v;
  }
}

TEST(Mt19937, DescendingIntervalsAreNumpysDrawsInOrder) {
  struct Case {
    std::uint32_t seed, first;
    std::size_t count;
  };
  // Bounds crossing many powers of two and block refills, the top of the
  // 32-bit range, a run ending at 1, and batches that resume mid-block.
  for (const Case c : {Case{1234, 70000, 70000}, Case{7, 4294967295u, 5000}, Case{3, 5, 5}, Case{99, 1000, 1}}) {
    Mt19937 ours(c.seed);
    std::mt19937 theirs(c.seed);
    std::uint32_t first = c.first;
    std::size_t left = c.count;
    for (std::size_t batch = 1; left > 0; batch = batch * 3 + 1) {
      const std::size_t n = std::min(batch, left);
      std::vector<std::uint32_t> got(n);
      ours.descending_intervals(first, n, got.data());
      for (std::size_t t = 0; t < n; ++t)
        ASSERT_EQ(got[t], reference_interval(theirs, first - static_cast<std::uint32_t>(t)))
            << "seed " << c.seed << " bound " << first - t;
      first -= static_cast<std::uint32_t>(n);
      left -= n;
    }
    EXPECT_EQ(ours(), static_cast<std::uint32_t>(theirs())) << "the next word after the draws";
  }
}

}  // namespace
}  // namespace borealis::data
