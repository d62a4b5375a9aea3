// Oracle tests: the .idx files under tests/data/megatron were written by
// Megatron-LM's _IndexWriter; their document lengths came from numpy. Our
// reader must report exactly those counts and lengths, and our writer, given
// the same lengths and dtype, must produce the same bytes.

#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "borealis/data/indexed_dataset.h"
#include "borealis/data/indexed_dataset_writer.h"
#include "data/reference_datasets.h"

namespace borealis::data {
namespace {

using test::reference_datasets;
using test::stage_reference;
using test::TempDir;

TEST(IndexedDatasetOracle, ReaderReportsMegatronCountsAndLengths) {
  TempDir dir;
  const auto refs = reference_datasets();
  ASSERT_EQ(refs.size(), 9u);
  for (const auto& ref : refs) {
    SCOPED_TRACE(ref.name);
    const auto ds = IndexedDataset::open(stage_reference(ref, dir), Verify::kFull);
    EXPECT_EQ(ds.dtype(), DType::kUInt16);
    EXPECT_FALSE(ds.has_sequence_modes());
    ASSERT_EQ(ds.sequence_count(), ref.lengths.size());
    EXPECT_EQ(ds.document_count(), ref.lengths.size());
    EXPECT_EQ(ds.token_count(), ref.tokens());
    std::int64_t pointer = 0;
    for (std::uint64_t i = 0; i < ds.sequence_count(); ++i) {
      ASSERT_EQ(ds.sequence_length(i), ref.lengths[i]) << "sequence " << i;
      ASSERT_EQ(ds.sequence_pointer(i), pointer) << "sequence " << i;
      ASSERT_EQ(ds.sequence<std::uint16_t>(i).size(), static_cast<std::size_t>(ref.lengths[i]));
      pointer += 2 * ref.lengths[i];
    }
    for (std::uint64_t d = 0; d < ds.document_index_count(); ++d)
      ASSERT_EQ(ds.document_index(d), static_cast<std::int64_t>(d));
  }
}

TEST(IndexedDatasetOracle, TokenCountsMatchTheReferenceManifest) {
  // The manifest was written by the harness that ran Megatron, not by us.
  std::ifstream in(test::data_dir() + "/megatron/manifest.json");
  const auto manifest = nlohmann::json::parse(in);
  TempDir dir;
  int checked = 0;
  for (const auto& ref : reference_datasets()) {
    const std::string key = "inputs/" + ref.name;
    if (!manifest.contains(key)) continue;  // the mds inputs are listed elsewhere
    SCOPED_TRACE(ref.name);
    const auto ds = IndexedDataset::open(stage_reference(ref, dir));
    EXPECT_EQ(ds.token_count(), manifest[key]["tokens"].get<std::uint64_t>());
    EXPECT_EQ(ds.document_count(), manifest[key]["num_docs"].get<std::uint64_t>());
    ++checked;
  }
  EXPECT_EQ(checked, 4);  // single, blend_a, blend_b, blend_c
}

TEST(IndexedDatasetOracle, WriterIsByteIdenticalToMegatron) {
  TempDir dir;
  for (const auto& ref : reference_datasets()) {
    SCOPED_TRACE(ref.name);
    const std::string prefix = dir / ("ours_" + ref.name);
    IndexedDatasetWriter writer(prefix, optimal_token_dtype(32000));
    std::vector<std::uint16_t> tokens;
    for (std::int32_t len : ref.lengths) {
      tokens.assign(static_cast<std::size_t>(len), 7);
      writer.add_document(std::span<const std::uint16_t>(tokens));
    }
    writer.finish();
    const auto ours = test::read_bytes(prefix + ".idx");
    const auto theirs = test::read_bytes(ref.idx_path);
    ASSERT_EQ(ours.size(), theirs.size());
    EXPECT_TRUE(ours == theirs) << "first difference at byte "
                                << (std::mismatch(ours.begin(), ours.end(), theirs.begin()).first -
                                    ours.begin());
    EXPECT_EQ(std::filesystem::file_size(prefix + ".bin"), ref.tokens() * 2);
  }
}

}  // namespace
}  // namespace borealis::data
