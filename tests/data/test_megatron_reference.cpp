// Oracle: the arrays Megatron's own code built for the reference cases
// (Megatron-LM d98e8a64dd and ALCF Megatron-DeepSpeed ffa3456d68, copied from
// the reference material given to the project) must come out of our builder byte for byte,
// .npy header included. expected_npy.sha256 lists "sha256 size path" of every
// reference file; a few of the files themselves are in arrays/.

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "borealis/data/blended_index.h"
#include "borealis/data/index_array.h"
#include "borealis/data/indexed_dataset.h"
#include "borealis/util/error.h"
#include "data/megatron_reference.h"
#include "test_util.h"

namespace borealis::data {
namespace {

using test::TempDir;
using test::actual_files;
using test::expected_files;
using test::kMegatronRoot;
using test::stage;
const std::string& kRoot = kMegatronRoot;
namespace fs = std::filesystem;

std::vector<std::vector<std::int32_t>> lengths_of(const std::vector<BlendSource>& sources) {
  std::vector<std::vector<std::int32_t>> out;
  for (const auto& s : sources) out.push_back(IndexedDataset::open(s.prefix).sequence_lengths());
  return out;
}

void expect_identical(const BlendedIndex& index, const std::string& case_dir, const std::string& out) {
  export_npy(index, out);
  const auto expected = expected_files(case_dir);
  const auto actual = actual_files(out);
  ASSERT_FALSE(expected.empty()) << case_dir;
  for (const auto& [path, hash] : expected) {
    auto it = actual.find(path);
    ASSERT_NE(it, actual.end()) << case_dir << "/" << path << " was not written";
    EXPECT_EQ(it->second, hash) << case_dir << "/" << path << " differs from Megatron's";
  }
  EXPECT_EQ(actual.size(), expected.size()) << case_dir << ": extra files written";
}

// A schedule's dataset_sample_index is kept as counts per 1,024-sample block
// (few datasets); the loader's per-sample lookup (scheduled_count, from the
// rows) must equal Megatron's whole array, which export_npy rebuilds from
// dataset_index alone and the oracle files confirm.
void expect_counts_from_rows(const io::NpyArray& dataset_index, const io::NpyArray& dataset_sample_index) {
  ASSERT_EQ(dataset_sample_index.shape.size(), 2u);
  const io::NpyArray full = full_scheduled_counts(dataset_index, dataset_sample_index);
  const auto expected = elements<std::int64_t>(full);
  for (std::uint64_t k = 0; k < expected.size(); ++k)
    ASSERT_EQ(scheduled_count(dataset_index, dataset_sample_index, k), static_cast<std::uint64_t>(expected[k])) << k;
}

TEST(MegatronReference, SingleDatasetWithAndWithoutSeparateLastEpoch) {
  TempDir dir;
  const std::string single = stage(dir.path(), kRoot + "/inputs/single.idx");
  for (const auto& [name, samples] : {std::pair{"case_i_sep", 81235}, std::pair{"case_i_nosep", 94233}}) {
    BlendOptions o;
    o.sequence_length = 128;
    o.num_samples = static_cast<std::uint64_t>(samples);
    o.seed = 1234;
    const std::vector<BlendSource> sources = {{single, std::nullopt, ""}};
    const BlendedIndex index = build_blended_index(sources, lengths_of(sources), o);
    EXPECT_EQ(index.datasets[0].index.plan.epochs, 3u);
    EXPECT_EQ(index.datasets[0].index.plan.separate_final_epoch, std::string(name) == "case_i_sep");
    EXPECT_EQ(index.size(), 97482u);
    expect_identical(index, name, dir / (std::string("out/") + name));
  }
}

TEST(MegatronReference, BlendOfThreeDatasets) {
  TempDir dir;
  std::vector<BlendSource> sources;
  const double weights[] = {0.5, 0.3, 0.2};
  int k = 0;
  for (const char* name : {"blend_a", "blend_b", "blend_c"})
    sources.push_back({stage(dir.path(), kRoot + "/inputs/" + name + ".idx"), weights[k++], ""});
  BlendOptions o;
  o.sequence_length = 128;
  o.num_samples = 100000;
  const BlendedIndex index = build_blended_index(sources, lengths_of(sources), o);
  EXPECT_EQ(index.size(), 100000u);
  EXPECT_EQ(index.datasets[0].requested, 50250u);
  EXPECT_EQ(index.datasets[1].index.plan.samples, 34337u);
  expect_identical(index, "case_ii_blend", dir / "out");
  expect_counts_from_rows(*index.dataset_index, *index.dataset_sample_index);
  // Two arrays are kept whole in the repository: the full files must match too.
  for (const char* f : {"document_index.npy", "sample_index.npy", "shuffle_index.npy"})
    EXPECT_TRUE(test::read_bytes(dir / (std::string("out/ds2/") + f)) == test::read_bytes(kRoot + "/arrays/case_ii_blend/ds2/" + f)) << f;
}

TEST(MegatronReference, DeepSpeedCorpusFlowAllThreeVariants) {
  TempDir dir;
  for (const char* name : {"alpha_0", "alpha_1", "beta_0", "beta_1", "gamma_0"})
    stage(dir.path(), kRoot + "/mds/inputs/" + name + ".idx");
  fs::copy_file(kRoot + "/mds/inputs/data_file_list.txt", dir / "data_file_list.txt");
  const auto sources = read_data_file_list(dir / "data_file_list.txt");
  ASSERT_EQ(sources.size(), 5u);
  EXPECT_EQ(sources[0].prefix, dir / "alpha_0");
  EXPECT_EQ(sources[4].corpus, "gamma");
  const auto lengths = lengths_of(sources);
  struct Variant {
    const char* name;
    bool blend, shuffle;
  };
  for (const Variant v : {Variant{"concat_noshuffle", false, false}, Variant{"concat_shuffle", false, true},
                          Variant{"blend_shuffle", true, true}}) {
    BlendOptions o;
    o.flavor = IndexFlavor::kMegatronDeepSpeed;
    o.sequence_length = 128;
    o.num_samples = 50000;
    o.blend_sample_in_corpus = v.blend;
    o.shuffle_sample_in_corpus = v.shuffle;
    const BlendedIndex index = build_blended_index(sources, lengths, o);
    EXPECT_EQ(index.size(), 50251u);
    ASSERT_EQ(index.corpora.size(), 3u);
    EXPECT_EQ(index.corpora[0].samples, 17588u);
    expect_identical(index, std::string("mds/") + v.name, dir / (std::string("out/") + v.name));
    expect_counts_from_rows(*index.dataset_index, *index.dataset_sample_index);
    if (v.blend)
      for (const BlendedCorpus& c : index.corpora) expect_counts_from_rows(c.dataset_index, c.dataset_sample_index);
  }
  for (const char* f : {"doc_idx.npy", "sample_idx.npy", "shuffle_idx.npy"})
    EXPECT_TRUE(test::read_bytes(dir / (std::string("out/concat_shuffle/files/beta_1/") + f)) ==
                test::read_bytes(kRoot + "/arrays/mds/concat_shuffle/files/beta_1/" + f))
        << f;
}

}  // namespace
}  // namespace borealis::data
