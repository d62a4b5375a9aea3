// Bit-packed index arrays: every width round-trips through index_value and
// convert_index_array, chunked packing (as the index folder streams the
// blend) equals packing the whole array, and a value too wide is refused.

#include <random>

#include <gtest/gtest.h>

#include "borealis/data/index_array.h"
#include "borealis/util/error.h"

namespace borealis::data {
namespace {

TEST(IndexArray, PackedDescrFollowsTheBound) {
  EXPECT_EQ(packed_descr_for(0), "bits1");
  EXPECT_EQ(packed_descr_for(1), "bits1");
  EXPECT_EQ(packed_descr_for(2), "bits1");
  EXPECT_EQ(packed_descr_for(3), "bits2");
  EXPECT_EQ(packed_descr_for(250000), "bits18");
  EXPECT_EQ(packed_descr_for(std::uint64_t{1} << 57), "bits57");
  EXPECT_EQ(packed_descr_for((std::uint64_t{1} << 57) + 1), "<i8");
  EXPECT_EQ(packed_bits("<u4"), 0u);
  EXPECT_THROW(packed_bits("bits64"), Error);
}

TEST(IndexArray, PackedValuesRoundTripAtEveryWidth) {
  std::mt19937_64 rng(3);
  for (unsigned bits = 1; bits <= 57; ++bits) {  // each width is its own unrolled packer
    const std::uint64_t bound = std::uint64_t{1} << bits;
    io::NpyArray a = make_index_array<std::int64_t>({1001});
    auto v = elements<std::int64_t>(a);
    for (auto& x : v) x = static_cast<std::int64_t>(rng() % bound);
    v[0] = static_cast<std::int64_t>(bound - 1);  // the widest value
    const io::NpyArray p = pack_index_array(a, bound);
    ASSERT_EQ(p.descr, "bits" + std::to_string(bits));
    EXPECT_EQ(p.data.size(), index_array_bytes(p.descr, 1001));
    for (std::size_t i = 0; i < v.size(); ++i) ASSERT_EQ(index_value(p, i), v[i]) << bits << " bits, element " << i;
    const io::NpyArray back = convert_index_array(p, "<i8");
    EXPECT_TRUE(back.data == a.data) << bits;
  }
}

TEST(IndexArray, ChunkedPackingEqualsWholeAndWideValuesAreRefused) {
  constexpr std::size_t kChunk = 64;  // chunk * bits is a whole number of words
  io::NpyArray a = make_index_array<std::uint32_t>({3 * kChunk + 5});
  auto v = elements<std::uint32_t>(a);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<std::uint32_t>((i * 2654435761u) % 100000);
  const io::NpyArray whole = pack_index_array(a, 100000);
  const unsigned bits = packed_bits(whole.descr);
  std::vector<std::byte> chunked(whole.data.size());
  for (std::size_t at = 0; at < v.size(); at += kChunk) {
    const std::size_t n = std::min(kChunk, v.size() - at);
    pack_index_values(a.bytes().subspan(at * 4, n * 4), a.descr, bits, std::span(chunked).subspan(at * bits / 8));
  }
  EXPECT_TRUE(chunked == whole.data);
  std::vector<std::byte> out(64);
  const std::vector<std::uint32_t> wide = {1, 2, 1u << 20};
  EXPECT_THROW(pack_index_values(std::as_bytes(std::span(wide)), "<u4", 20, out), Error);
  // Also when the wide value is inside a whole block of 64.
  std::vector<std::uint32_t> block(200, 7);
  block[100] = 1u << 20;
  std::vector<std::byte> block_out(200 * 20 / 8 + 8);
  EXPECT_THROW(pack_index_values(std::as_bytes(std::span(block)), "<u4", 20, block_out), Error);
}

}  // namespace
}  // namespace borealis::data
