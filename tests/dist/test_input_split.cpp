// Ranks' shares of the input list: contiguous, in order, about equal in
// bytes, and the same on every rank for the same sizes.

#include <numeric>

#include <gtest/gtest.h>

#include "borealis/dist/input_split.h"
#include "borealis/dist/rank_outputs.h"
#include "borealis/util/error.h"

namespace borealis::dist {
namespace {

using Bounds = std::vector<std::size_t>;

void expect_well_formed(const Bounds& b, std::size_t inputs, int parts) {
  ASSERT_EQ(b.size(), static_cast<std::size_t>(parts) + 1);
  EXPECT_EQ(b.front(), 0u);
  EXPECT_EQ(b.back(), inputs);
  for (std::size_t p = 0; p + 1 < b.size(); ++p) EXPECT_LE(b[p], b[p + 1]) << p;
}

TEST(InputSplit, EqualSizesSplitEvenly) {
  EXPECT_EQ(split_by_size({10, 10, 10, 10}, 2), (Bounds{0, 2, 4}));
  EXPECT_EQ(split_by_size({10, 10, 10, 10, 10, 10}, 3), (Bounds{0, 2, 4, 6}));
  EXPECT_EQ(split_by_size({5, 5, 5}, 1), (Bounds{0, 3}));
}

TEST(InputSplit, BalancesBytesNotFileCounts) {
  // One big file first: it alone is half the bytes.
  EXPECT_EQ(split_by_size({100, 25, 25, 25, 25}, 2), (Bounds{0, 1, 5}));
  // Each file goes to the share its middle byte falls in: the 10,357-byte
  // third file's middle lies before the halfway mark (11,097).
  const std::vector<std::uint64_t> sizes = {3803, 706, 10357, 1383, 5945};
  EXPECT_EQ(split_by_size(sizes, 2), (Bounds{0, 3, 5}));
}

TEST(InputSplit, MorePartsThanInputsLeavesEmptyParts) {
  const auto b = split_by_size({7, 7}, 4);
  expect_well_formed(b, 2, 4);
  int non_empty = 0;
  for (std::size_t p = 0; p < 4; ++p) non_empty += b[p] < b[p + 1];
  EXPECT_EQ(non_empty, 2);
  EXPECT_EQ(split_by_size({}, 3), (Bounds{0, 0, 0, 0}));
  // A lone input goes to the first part, leaving the last ones idle.
  EXPECT_EQ(split_by_size({42}, 2), (Bounds{0, 1, 1}));
  EXPECT_EQ(split_by_size({0, 42}, 2), (Bounds{0, 2, 2}));
}

TEST(InputSplit, EmptyFilesAreSpreadByCount) {
  EXPECT_EQ(split_by_size({0, 0, 0, 0}, 2), (Bounds{0, 2, 4}));
  // Empty files among others ride along with their neighbours.
  expect_well_formed(split_by_size({0, 50, 0, 50, 0}, 2), 5, 2);
}

TEST(InputSplit, ManyInputsStayWithinOneFileOfEven) {
  std::vector<std::uint64_t> sizes;
  std::uint64_t x = 12345;
  for (int i = 0; i < 1000; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    sizes.push_back(1 + (x >> 54));  // 1..1024 bytes
  }
  for (int parts : {2, 3, 7, 64}) {
    const auto b = split_by_size(sizes, parts);
    expect_well_formed(b, sizes.size(), parts);
    const std::uint64_t total = std::accumulate(sizes.begin(), sizes.end(), std::uint64_t{0});
    for (int p = 0; p < parts; ++p) {
      const std::uint64_t share =
          std::accumulate(sizes.begin() + b[p], sizes.begin() + b[p + 1], std::uint64_t{0});
      // The midpoint rule misses the ideal share by at most one file's size.
      EXPECT_LE(share, total / parts + 1024) << parts << " " << p;
      EXPECT_GE(share + 1024, total / parts) << parts << " " << p;
    }
    EXPECT_EQ(b, split_by_size(sizes, parts));  // deterministic
  }
}

TEST(InputSplit, HugeSizesDoNotOverflow) {
  const std::uint64_t big = std::uint64_t{1} << 62;
  EXPECT_EQ(split_by_size({big, big, big, big}, 4), (Bounds{0, 1, 2, 3, 4}));
}

TEST(InputSplit, RejectsNoParts) {
  EXPECT_THROW(split_by_size({1}, 0), Error);
}

TEST(RankOutputs, PrefixNamesRankAndWorldPaddedToSortInOrder) {
  EXPECT_EQ(rank_output_prefix("out/p", 1, 2), "out/p.rank1-of-2");
  EXPECT_EQ(rank_output_prefix("p", 3, 16), "p.rank03-of-16");
  EXPECT_EQ(rank_output_prefix("p", 10, 16), "p.rank10-of-16");
  EXPECT_LT(rank_output_prefix("p", 9, 100), rank_output_prefix("p", 10, 100));
}

}  // namespace
}  // namespace borealis::dist
