#include "borealis/util/progress.h"

#include <gtest/gtest.h>

namespace borealis::util {
namespace {

TEST(Progress, FormatsCountsWithThousandsSeparators) {
  EXPECT_EQ(format_count(0), "0");
  EXPECT_EQ(format_count(999), "999");
  EXPECT_EQ(format_count(1000), "1,000");
  EXPECT_EQ(format_count(4159256), "4,159,256");
  EXPECT_EQ(format_count(18446744073709551615ull), "18,446,744,073,709,551,615");
}

TEST(Progress, FormatsBytesInDecimalUnits) {
  EXPECT_EQ(format_bytes(512), "512 B");
  EXPECT_EQ(format_bytes(1500), "1.5 KB");
  EXPECT_EQ(format_bytes(8318512), "8.3 MB");
  EXPECT_EQ(format_bytes(2'000'000'000'000ull), "2.0 TB");
}

}  // namespace
}  // namespace borealis::util
