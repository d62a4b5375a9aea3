#include "borealis/util/parallel_for.h"

#include <atomic>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace borealis::util {
namespace {

TEST(ParallelFor, RunsEveryIndexOnce) {
  std::vector<std::atomic<int>> seen(1000);
  parallel_for(seen.size(), 4, [&](std::size_t i) { ++seen[i]; });
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i].load(), 1) << i;
  parallel_for(0, 4, [](std::size_t) { FAIL() << "no work to do"; });
}

// Failures do not stop the other indices, and the lowest index's is the one
// reported, whatever thread hit it first.
TEST(ParallelFor, ReportsTheLowestFailureAfterAllRan) {
  std::atomic<int> ran{0};
  try {
    parallel_for(200, 3, [&](std::size_t i) {
      ++ran;
      if (i == 150 || i == 17 || i == 90) throw std::runtime_error("index " + std::to_string(i));
    });
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "index 17");
  }
  EXPECT_EQ(ran.load(), 200);
}

}  // namespace
}  // namespace borealis::util
