// util::LargeArray: the memory is there, writable end to end, and big
// arrays start on a 2 MB boundary (so whole huge pages can back them).

#include <cstdint>
#include <numeric>

#include <gtest/gtest.h>

#include "borealis/util/large_array.h"

namespace borealis::util {
namespace {

TEST(LargeArray, HoldsWhatIsWrittenSmallAndLarge) {
  for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{1000}, std::size_t{3} << 20}) {
    LargeArray<std::uint32_t> a(n);
    ASSERT_EQ(a.size(), n);
    ASSERT_EQ(a.span().size(), n);
    std::iota(a.span().begin(), a.span().end(), std::uint32_t{7});
    std::uint64_t sum = 0;
    for (std::uint32_t v : a.span()) sum += v;
    EXPECT_EQ(sum, n * 7 + n * (n == 0 ? 0 : n - 1) / 2) << n;
    if (n * sizeof(std::uint32_t) >= (std::size_t{4} << 20)) {
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a.span().data()) % (std::size_t{2} << 20), 0u) << n;
    }
  }
}

}  // namespace
}  // namespace borealis::util
