// Merge: counts add up, pointers and document indices are rebased, the .bin is
// the concatenation, and the merged .idx is byte-identical to what Megatron's
// writer produces for the concatenated lengths.

#include <filesystem>

#include <gtest/gtest.h>

#include "borealis/data/indexed_dataset.h"
#include "borealis/data/indexed_dataset_merge.h"
#include "borealis/data/indexed_dataset_writer.h"
#include "data/reference_datasets.h"

namespace borealis::data {
namespace {

using test::TempDir;

std::string write_dataset(const std::string& prefix, const std::vector<std::vector<std::int32_t>>& docs,
                          DType dtype = DType::kInt32, std::size_t sequences_per_doc = 1) {
  IndexedDatasetWriter writer(prefix, dtype);
  for (const auto& d : docs) {
    for (std::size_t k = 0; k < sequences_per_doc; ++k) writer.add_sequence(std::span<const std::int32_t>(d));
    writer.end_document();
  }
  writer.finish();
  return prefix;
}

TEST(IndexedDatasetMerge, ConcatenatesTokensAndRebasesIndices) {
  TempDir dir;
  const auto a = write_dataset(dir / "a", {{1, 2, 3}, {4}});
  const auto b = write_dataset(dir / "b", {{5, 6}, {}, {7}}, DType::kInt32, 2);
  const auto summary = merge_indexed_datasets(dir / "m", {a, b});
  EXPECT_EQ(summary.sequences, 2u + 6u);
  EXPECT_EQ(summary.documents, 2u + 3u);
  EXPECT_EQ(summary.tokens, 4u + 6u);

  const auto m = IndexedDataset::open(dir / "m", Verify::kFull);
  ASSERT_EQ(m.sequence_count(), 8u);
  EXPECT_EQ(m.document_count(), 5u);
  std::vector<std::int64_t> docs;
  for (std::uint64_t d = 0; d < m.document_index_count(); ++d) docs.push_back(m.document_index(d));
  EXPECT_EQ(docs, (std::vector<std::int64_t>{0, 1, 2, 4, 6, 8}));
  EXPECT_EQ(m.sequence_pointer(2), 16);  // after a's 4 int32 tokens
  auto s = m.sequence<std::int32_t>(3);
  EXPECT_EQ(std::vector<std::int32_t>(s.begin(), s.end()), (std::vector<std::int32_t>{5, 6}));
  auto a_bin = test::read_bytes(a + ".bin");
  auto b_bin = test::read_bytes(b + ".bin");
  a_bin.insert(a_bin.end(), b_bin.begin(), b_bin.end());
  EXPECT_EQ(test::read_bytes(dir / "m.bin"), a_bin);
}

TEST(IndexedDatasetMerge, MergedReferenceIndexMatchesMegatronWriterOutput) {
  // Merging Megatron-written inputs must give the .idx that Megatron's writer
  // gives for the concatenated lengths (which our writer reproduces byte for
  // byte, see test_indexed_dataset_oracle).
  TempDir dir;
  std::vector<std::string> inputs;
  IndexedDatasetWriter expected(dir / "expected", DType::kUInt16);
  std::vector<std::uint16_t> tokens;
  for (const auto& ref : test::reference_datasets()) {
    if (ref.name.rfind("blend_", 0) != 0) continue;
    inputs.push_back(test::stage_reference(ref, dir));
    for (auto len : ref.lengths) {
      tokens.assign(static_cast<std::size_t>(len), 0);
      expected.add_document(std::span<const std::uint16_t>(tokens));
    }
  }
  ASSERT_EQ(inputs.size(), 3u);
  expected.finish();
  const auto summary = merge_indexed_datasets(dir / "merged", inputs);
  EXPECT_EQ(summary.sequences, 6000u + 4000u + 2500u);
  EXPECT_EQ(summary.tokens, 1846793u + 2197585u + 680646u);
  EXPECT_TRUE(test::read_bytes(dir / "merged.idx") == test::read_bytes(dir / "expected.idx"));
  EXPECT_EQ(std::filesystem::file_size(dir / "merged.bin"), summary.tokens * 2);
}

TEST(IndexedDatasetMerge, RejectsMixedDtypesWithoutWritingOutput) {
  TempDir dir;
  const auto a = write_dataset(dir / "a", {{1}}, DType::kInt32);
  const auto b = write_dataset(dir / "b", {{1}}, DType::kUInt16);
  try {
    merge_indexed_datasets(dir / "m", {a, b});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(b + ".idx: token dtype uint16 differs from int32"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "m.idx"));
  EXPECT_FALSE(std::filesystem::exists(dir / "m.bin"));
}

TEST(IndexedDatasetMerge, RejectsOutputThatIsAnInput) {
  TempDir dir;
  const auto a = write_dataset(dir / "a", {{1}});
  const auto b = write_dataset(dir / "b", {{2}});
  EXPECT_THROW(merge_indexed_datasets(a, {a}), Error);
  // The same files under another spelling of the path.
  const std::string alias = (dir.path() / "." / "a").string();
  EXPECT_THROW(merge_indexed_datasets(alias, {b, a}), Error);
  EXPECT_THROW(merge_indexed_datasets(a + ".idx", {b, alias}), Error);
  EXPECT_EQ(IndexedDataset::open(a).token_count(), 1u);
}

TEST(IndexedDatasetMerge, EmptyInputsDoNotDecideSequenceModes) {
  TempDir dir;
  { IndexedDatasetWriter w(dir / "empty", DType::kUInt16); w.finish(); }
  {
    IndexedDatasetWriter w(dir / "modes", DType::kUInt16, /*with_sequence_modes=*/true);
    std::vector<std::uint16_t> t = {1, 2};
    w.add_sequence(std::span<const std::uint16_t>(t), 4);
    w.end_document();
    w.finish();
  }
  merge_indexed_datasets(dir / "m", {dir / "empty", dir / "modes", dir / "empty"});
  const auto m = IndexedDataset::open(dir / "m", Verify::kFull);
  ASSERT_TRUE(m.has_sequence_modes());
  EXPECT_EQ(m.sequence_mode(0), 4);
  EXPECT_EQ(m.document_count(), 1u);
}

TEST(IndexedDatasetMerge, RejectsCorruptInput) {
  TempDir dir;
  const auto a = write_dataset(dir / "a", {{1, 2}});
  const auto b = write_dataset(dir / "b", {{1, 2}});
  std::filesystem::resize_file(b + ".bin", 3);
  EXPECT_THROW(merge_indexed_datasets(dir / "m", {a, b}), Error);
  EXPECT_FALSE(std::filesystem::exists(dir / "m.idx"));
}

}  // namespace
}  // namespace borealis::data
