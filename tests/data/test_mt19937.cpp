// Mt19937 against the standard library's MT19937 (an implementation nobody
// here wrote): the same words for several seeds, across many refills.

#include <random>

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

}  // namespace
}  // namespace borealis::data
