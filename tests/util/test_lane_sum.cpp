#include <gtest/gtest.h>

#include <cstdint>

#include "borealis/util/lane_sum.h"

namespace borealis::util {
namespace {

TEST(LaneSum, SumsEveryTermIncludingTheTail) {
  for (std::int64_t n = 0; n <= 21; ++n)
    EXPECT_EQ(lane_sum<double>(n, [](std::int64_t i) { return static_cast<double>(i + 1); }),
              static_cast<double>(n * (n + 1) / 2))
        << n;
}

TEST(LaneSum, AddsEachLaneOnItsOwnThenTheLanes) {
  // Terms 0 and 8 share lane 0 and cancel there; lanes 1-7 hold the ones.
  // One running sum would lose every one against 1e16 (its spacing is 2)
  // and return 0.
  const double terms[9] = {1e16, 1, 1, 1, 1, 1, 1, 1, -1e16};
  EXPECT_EQ(lane_sum<double>(9, [&](std::int64_t i) { return terms[i]; }), 7.0);
}

}  // namespace
}  // namespace borealis::util
