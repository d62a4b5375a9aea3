// The two ways Borealis finds sample boundaries agree: the one-pass merge
// that builds the kept rows (and full_sample_index for export) and the
// sample-by-sample walk of Megatron's helpers.cpp that sample_bounds does
// from the nearest kept row. The Megatron reference arrays check the merge
// for x = 1; this covers x = 0 too, empty documents, documents holding many
// boundaries, and several epochs.

#include <random>

#include <gtest/gtest.h>

#include "borealis/data/gpt_index.h"
#include "borealis/data/index_array.h"

namespace borealis::data {
namespace {

TEST(SampleIndex, KeptRowsAndTheWalkGiveMegatronsRows) {
  std::mt19937 rng(5);
  std::vector<std::int32_t> sizes(300);
  for (auto& s : sizes) {
    const auto r = rng() % 10;
    s = r == 0 ? 0 : r == 1 ? static_cast<std::int32_t>(200 + rng() % 300) : static_cast<std::int32_t>(1 + rng() % 40);
  }
  for (const bool extra : {true, false}) {
    for (const std::uint64_t length : {1u, 7u, 16u, 64u}) {
      GptIndexOptions o;
      o.sequence_length = length;
      o.add_extra_token = extra;
      o.num_samples = 2000;  // several epochs for the short lengths
      const GptIndex g = build_gpt_index(sizes, o);
      const io::NpyArray full = full_sample_index(g, sizes, o);
      ASSERT_EQ(full.shape[0], g.plan.samples + 1);
      ASSERT_EQ(g.sample_index.shape[0], g.plan.samples / kSampleIndexStride + 1);
      // Kept rows are every stride-th row of the full index.
      for (std::uint64_t r = 0; r < g.sample_index.shape[0]; ++r) {
        ASSERT_EQ(index_value(g.sample_index, 2 * r), index_value(full, 2 * r * kSampleIndexStride));
        ASSERT_EQ(index_value(g.sample_index, 2 * r + 1), index_value(full, 2 * r * kSampleIndexStride + 1));
      }
      // The walk from kept rows, checked against the full rows, and the full
      // rows against the stream: boundary s is token s*L + x - 1.
      std::vector<std::int64_t> start;  // stream token where each document position starts
      std::int64_t at = 0;
      for (std::uint64_t d = 0; d < g.document_index.element_count(); ++d) {
        start.push_back(at);
        at += sizes[static_cast<std::size_t>(index_value(g.document_index, d))];
      }
      const auto size_of = [&](std::uint64_t doc) { return std::int64_t{sizes[doc]}; };
      const std::int64_t x = extra ? 1 : 0;
      for (std::uint64_t s = 0; s < g.plan.samples; ++s) {
        const SampleBounds b = sample_bounds(g, size_of, o, s);
        ASSERT_EQ(static_cast<std::int64_t>(b.first.document), index_value(full, 2 * s)) << s;
        ASSERT_EQ(static_cast<std::int64_t>(b.first.offset), index_value(full, 2 * s + 1)) << s;
        ASSERT_EQ(static_cast<std::int64_t>(b.second.document), index_value(full, 2 * s + 2)) << s;
        ASSERT_EQ(static_cast<std::int64_t>(b.second.offset), index_value(full, 2 * s + 3)) << s;
        if (s > 0) {
          const auto d = static_cast<std::size_t>(b.first.document);
          EXPECT_EQ(start[d] + static_cast<std::int64_t>(b.first.offset) - 1 + x,
                    static_cast<std::int64_t>(s * length) + x - 1)
              << "sample " << s << " length " << length << " extra " << extra;
        }
      }
    }
  }
}

}  // namespace
}  // namespace borealis::data
