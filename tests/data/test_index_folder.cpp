// The index folder as a cache (reuse, partial reuse when only num_samples
// changes, stale inputs, concurrent builders, crashed builders), the sample
// loader against an independent statement of what a sample is, the
// pretraining sampler, and the errors for bad input.

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "borealis/data/blended_index.h"
#include "borealis/data/index_array.h"
#include "borealis/data/index_folder.h"
#include "borealis/data/indexed_dataset.h"
#include "borealis/data/indexed_dataset_writer.h"
#include "borealis/data/sample_loader.h"
#include "borealis/util/error.h"
#include "test_util.h"

namespace borealis::data {
namespace {

using test::TempDir;
namespace fs = std::filesystem;

// A dataset of `docs` documents with lognormal-ish lengths; token t of
// document d is (d * 7919 + t) % 60000, so every token says where it is from.
std::string make_dataset(const std::string& prefix, std::uint32_t docs, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::lognormal_distribution<double> length(4.0, 1.0);
  IndexedDatasetWriter w(prefix, DType::kUInt16);
  std::vector<std::uint16_t> tokens;
  for (std::uint32_t d = 0; d < docs; ++d) {
    tokens.resize(1 + std::min<std::size_t>(2000, static_cast<std::size_t>(length(rng))));
    for (std::size_t t = 0; t < tokens.size(); ++t) tokens[t] = static_cast<std::uint16_t>((d * 7919u + t) % 60000u);
    w.add_document(std::span<const std::uint16_t>(tokens));
  }
  w.finish();
  return prefix;
}

BlendOptions options(std::uint64_t samples, IndexFlavor flavor = IndexFlavor::kMegatronLm) {
  BlendOptions o;
  o.flavor = flavor;
  o.sequence_length = 64;
  o.num_samples = samples;
  o.seed = 42;
  return o;
}

std::vector<BlendSource> three(const TempDir& dir) {
  return {{make_dataset(dir / "a", 300, 1), 0.5, ""}, {make_dataset(dir / "b", 200, 2), 0.3, ""},
          {make_dataset(dir / "c", 100, 3), 0.2, ""}};
}

std::vector<char> file(const std::string& path) { return test::read_bytes(path); }

TEST(IndexFolder, MatchesTheInMemoryBuildAndIsReusedWhole) {
  TempDir dir;
  const auto sources = three(dir);
  IndexBuildReport first, second;
  build_index_folder(dir / "ix", sources, options(3000), {}, &first);
  EXPECT_EQ(first.datasets_built, 3u);
  EXPECT_TRUE(first.blend_built);
  BlendedIndex again = build_index_folder(dir / "ix", sources, options(3000), {}, &second);
  EXPECT_EQ(second.datasets_built, 0u);
  EXPECT_EQ(second.datasets_reused, 3u);
  EXPECT_TRUE(second.blend_reused);
  // The folder's arrays equal a fresh in-memory build's.
  std::vector<std::vector<std::int32_t>> lengths;
  for (const auto& s : sources) lengths.push_back(IndexedDataset::open(s.prefix).sequence_lengths());
  const BlendedIndex fresh = build_blended_index(sources, lengths, options(3000));
  for (std::size_t i = 0; i < 3; ++i) load_dataset_arrays(dir / "ix", again, i);
  export_npy(fresh, dir / "fresh");
  export_npy(again, dir / "cached");
  for (const auto& [name, array] : fresh.arrays())
    EXPECT_TRUE(file(dir / ("fresh/" + name)) == file(dir / ("cached/" + name))) << name;
}

TEST(IndexFolder, MoreSamplesReuseTheDatasetsWhoseEpochsDoNotChange) {
  TempDir dir;
  const auto sources = three(dir);
  build_index_folder(dir / "ix", sources, options(3000));
  IndexBuildReport report;
  const BlendedIndex bigger = build_index_folder(dir / "ix", sources, options(3010), {}, &report);
  EXPECT_GT(report.datasets_reused, 0u);  // a few more samples keep the epoch plans
  EXPECT_TRUE(report.blend_built);       // but the blend is new
  EXPECT_EQ(bigger.size(), 3010u);
  IndexBuildReport much;
  build_index_folder(dir / "ix", sources, options(30000), {}, &much);
  EXPECT_EQ(much.datasets_built, 3u);  // ten times the samples: new epochs everywhere
}

TEST(IndexFolder, AChangedInputIsNeverServedFromTheCache) {
  TempDir dir;
  auto sources = three(dir);
  build_index_folder(dir / "ix", sources, options(3000));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  make_dataset(dir / "b", 250, 9);  // rewritten in place
  try {
    open_index_folder(dir / "ix");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("b.idx: changed since the index"), std::string::npos) << e.what();
  }
  IndexBuildReport report;
  build_index_folder(dir / "ix", sources, options(3000), {}, &report);
  EXPECT_EQ(report.datasets_built, 1u);
  EXPECT_EQ(report.datasets_reused, 2u);
  EXPECT_NO_THROW(open_index_folder(dir / "ix"));
}

TEST(IndexFolder, ConcurrentBuildersBuildEachEntryOnce) {
  TempDir dir;
  std::vector<BlendSource> sources;
  for (int i = 0; i < 12; ++i) sources.push_back({make_dataset(dir / fmt::format("d{}", i), 150, 10u + i), 1.0 + i, ""});
  IndexBuildReport r1, r2;
  IndexBuildOptions b;
  b.threads = 2;
  {
    std::jthread one([&] { build_index_folder(dir / "ix", sources, options(5000), b, &r1); });
    std::jthread two([&] { build_index_folder(dir / "ix", sources, options(5000), b, &r2); });
  }
  EXPECT_EQ(r1.datasets_built + r2.datasets_built, 12u);
  EXPECT_EQ(r1.blend_built + r2.blend_built, 1);
  std::size_t entries = 0, others = 0;
  for (const auto& e : fs::directory_iterator(dir / "ix/datasets")) {
    if (e.path().extension() == ".gpt") ++entries;
    else if (e.path().filename() != "locks") ++others;
  }
  EXPECT_EQ(entries, 12u);
  EXPECT_EQ(others, 0u);  // no temporary files left
}

TEST(IndexFolder, LeftoversOfACrashedBuilderAreCleanedAndNothingHalfWrittenIsUsed) {
  TempDir dir;
  auto sources = three(dir);
  // A failed build (the third input's .bin is missing) leaves no index and no entry for it.
  fs::rename(dir / "c.bin", dir / "c.bin.away");
  EXPECT_THROW(build_index_folder(dir / "ix", sources, options(3000)), Error);
  EXPECT_FALSE(fs::exists(dir / "ix/index.json"));
  fs::rename(dir / "c.bin.away", dir / "c.bin");
  // A builder killed mid-entry leaves ENTRY.tmp: the next builder replaces it.
  build_index_folder(dir / "ix", sources, options(3000));
  const auto record = nlohmann::json::parse(test::read_text(dir / "ix/index.json"));
  const std::string entry = dir / ("ix/" + record["datasets"][0]["entry"].get<std::string>());
  const std::vector<char> good = test::read_bytes(entry);
  fs::remove(entry);
  test::write_bytes(entry + ".tmp", {'x'});
  IndexBuildReport report;
  build_index_folder(dir / "ix", sources, options(3000), {}, &report);
  EXPECT_EQ(report.datasets_built, 1u);
  EXPECT_FALSE(fs::exists(entry + ".tmp"));
  EXPECT_TRUE(test::read_bytes(entry) == good);
  // A truncated entry is an error naming it, never silently short arrays.
  fs::resize_file(entry, good.size() / 2);
  BlendedIndex index = open_index_folder(dir / "ix");
  const std::string error = test::error_of([&] { load_dataset_arrays(dir / "ix", index, 0); });
  EXPECT_NE(error.find(".gpt"), std::string::npos) << error;
  EXPECT_NE(error.find("damaged"), std::string::npos) << error;
  // The same for the blend entry, when the index is opened.
  const std::string blend = dir / ("ix/" + record["blend"].get<std::string>());
  fs::resize_file(blend, fs::file_size(blend) - 1);
  const std::string blend_error = test::error_of([&] { open_index_folder(dir / "ix"); });
  EXPECT_NE(blend_error.find(".blend"), std::string::npos) << blend_error;
  EXPECT_NE(blend_error.find("damaged"), std::string::npos) << blend_error;
}

TEST(SampleLoader, SamplesAreWindowsOfTheShuffledDocumentStream) {
  TempDir dir;
  const auto sources = three(dir);
  build_index_folder(dir / "ix", sources, options(3000));
  const GptSampleLoader loader = GptSampleLoader::open(dir / "ix");
  ASSERT_EQ(loader.size(), 3000u);
  // Independent statement: dataset sample p is the L+1 tokens of the stream of
  // documents in document_index order, starting p*L tokens in.
  std::vector<std::vector<std::uint32_t>> streams(3);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto ds = IndexedDataset::open(sources[i].prefix);
    const GptIndex& g = loader.index().datasets[i].index;
    for (std::uint64_t d = 0; d < g.document_index.element_count(); ++d) {
      for (auto t : ds.sequence<std::uint16_t>(static_cast<std::uint64_t>(index_value(g.document_index, d))))
        streams[i].push_back(t);
    }
  }
  std::vector<std::uint32_t> tokens;
  std::vector<std::uint64_t> per_dataset(3, 0);
  for (std::uint64_t k = 0; k < loader.size(); ++k) {
    tokens.clear();
    loader.sample(k, tokens);
    ASSERT_EQ(tokens.size(), 65u);
    const auto o = loader.index().origin(k);
    ++per_dataset[o.dataset];
    const GptIndex& g = loader.index().datasets[o.dataset].index;
    const auto p = static_cast<std::uint64_t>(index_value(g.shuffle_index, o.sample));
    const std::uint64_t at = p * 64;
    const std::vector<std::uint32_t> expected(streams[o.dataset].begin() + static_cast<std::ptrdiff_t>(at),
                                              streams[o.dataset].begin() + static_cast<std::ptrdiff_t>(at + 65));
    ASSERT_EQ(tokens, expected) << "sample " << k;
    const auto pv = loader.provenance(k);
    EXPECT_EQ(tokens[0], (pv.document * 7919u + pv.offset) % 60000u);  // the token says where it is from
  }
  EXPECT_EQ(per_dataset, (std::vector<std::uint64_t>{1500, 900, 600}));
}

TEST(PretrainingSampler, RanksSplitEachGlobalBatchAndResumeExactly) {
  std::vector<std::uint64_t> all, batch;
  for (std::uint64_t rank = 0; rank < 2; ++rank) {
    PretrainingSampler s(103, 0, 4, rank, 2);
    std::vector<std::uint64_t> mine;
    while (s.next(batch)) mine.insert(mine.end(), batch.begin(), batch.end());
    EXPECT_EQ(mine.size(), 48u);  // 12 full blocks of 8; the last 7 samples are dropped
    EXPECT_EQ(mine[0], rank * 4);
    EXPECT_EQ(mine[4], 8 + rank * 4);
  }
  PretrainingSampler straight(103, 0, 4, 1, 2), resumed(103, 40, 4, 1, 2);
  for (int i = 0; i < 5; ++i) straight.next(batch);
  std::vector<std::uint64_t> a, b;
  while (straight.next(batch)) a.insert(a.end(), batch.begin(), batch.end());
  while (resumed.next(batch)) b.insert(b.end(), batch.begin(), batch.end());
  EXPECT_EQ(a, b);
  EXPECT_THROW(PretrainingSampler(10, 0, 4, 2, 2), Error);
  EXPECT_THROW(PretrainingSampler(10, 11, 1, 0, 1), Error);
}

std::string error_of_build(const std::vector<BlendSource>& sources, const BlendOptions& o, const std::string& dir) {
  return test::error_of([&] { build_index_folder(dir, sources, o); });
}

TEST(IndexErrors, BadInputGetsOneClearLine) {
  TempDir dir;
  const auto good = three(dir);
  auto with_weight = [&](double w) {
    auto s = good;
    s[1].weight = w;
    return s;
  };
  EXPECT_NE(error_of_build(with_weight(0), options(100), dir / "x").find("weight 0 is not a positive number"),
            std::string::npos);
  EXPECT_NE(error_of_build(with_weight(-1), options(100), dir / "x").find("is not a positive number"), std::string::npos);
  EXPECT_NE(error_of_build(with_weight(std::nan("")), options(100), dir / "x").find("is not a positive number"),
            std::string::npos);
  EXPECT_NE(error_of_build(good, options(0), dir / "x").find("--num-samples must be at least 1"), std::string::npos);
  auto missing = good;
  missing[2].prefix = dir / "nowhere";
  EXPECT_NE(error_of_build(missing, options(100), dir / "x").find("nowhere"), std::string::npos);
  // An empty dataset.
  { IndexedDatasetWriter(dir / "empty", DType::kUInt16).finish(); }
  EXPECT_NE(error_of_build({{dir / "empty", std::nullopt, ""}}, options(10), dir / "x").find("has no documents"),
            std::string::npos);
  // A sequence longer than one epoch of the data.
  BlendOptions long_seq = options(10);
  long_seq.sequence_length = 1u << 20;
  EXPECT_NE(error_of_build({good[2]}, long_seq, dir / "x").find("never fill one sample"), std::string::npos);
  // Data file lists: a line that is not "weight prefix corpus", a weight that is not a number.
  test::write_text(dir / "list.txt", "0.5 a alpha\n0.5 b\n");
  EXPECT_NE(test::error_of([&] { read_data_file_list(dir / "list.txt"); }).find("line 2: expected 'weight prefix corpus'"),
            std::string::npos);
  test::write_text(dir / "list.txt", "abc a alpha\n");
  EXPECT_NE(test::error_of([&] { read_data_file_list(dir / "list.txt"); }).find("line 1: weight 'abc' is not a number"),
            std::string::npos);
  test::write_text(dir / "list.txt", "\n\n");
  EXPECT_NE(test::error_of([&] { read_data_file_list(dir / "list.txt"); }).find("lists no data files"),
            std::string::npos);
  // Mixed weighted and unweighted datasets.
  auto mixed = good;
  mixed[0].weight.reset();
  EXPECT_NE(error_of_build(mixed, options(100), dir / "x").find("a weight for every dataset or for none"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "x/index.json"));
}

}  // namespace
}  // namespace borealis::data

namespace borealis::data {
namespace {

// Where Megatron's 32-bit arrays would overflow, ours are 64-bit (too big to
// build in a test, so the rule itself is checked at its boundaries).
TEST(GptIndexDtypes, WidenExactlyWhereMegatronWouldOverflow) {
  GptIndexPlan p;
  p.documents = 1000;
  p.epochs = 3;
  p.samples = 5000;
  auto d = gpt_index_dtypes(p, 4096, IndexFlavor::kMegatronLm);
  EXPECT_STREQ(d.document_index, "<i4");
  EXPECT_STREQ(d.sample_index, "<i4");
  EXPECT_STREQ(d.shuffle_index, "<u4");
  EXPECT_STREQ(gpt_index_dtypes(p, 4096, IndexFlavor::kMegatronDeepSpeed).sample_index, "<i8");
  p.documents = 2147483647;  // int32 max: still int32 ids, but 3 epochs of them overflow
  p.epochs = 1;
  EXPECT_STREQ(gpt_index_dtypes(p, 1, IndexFlavor::kMegatronLm).document_index, "<i4");
  EXPECT_STREQ(gpt_index_dtypes(p, 1, IndexFlavor::kMegatronLm).sample_index, "<i4");
  p.epochs = 2;
  EXPECT_STREQ(gpt_index_dtypes(p, 1, IndexFlavor::kMegatronLm).sample_index, "<i8");
  p.documents = 2147483648ull;
  p.epochs = 1;
  EXPECT_STREQ(gpt_index_dtypes(p, 1, IndexFlavor::kMegatronLm).document_index, "<i8");
  p.samples = 4294967293ull;  // uint32 max - 2
  EXPECT_STREQ(gpt_index_dtypes(p, 1, IndexFlavor::kMegatronLm).shuffle_index, "<u4");
  p.samples = 4294967294ull;
  EXPECT_STREQ(gpt_index_dtypes(p, 1, IndexFlavor::kMegatronLm).shuffle_index, "<i8");
}

}  // namespace
}  // namespace borealis::data
