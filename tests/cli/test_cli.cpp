// The borealis binary as a user runs it: help, version, and the `data`
// commands on the Megatron reference datasets, including exit codes and the
// one-line error contract.

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "borealis/data/indexed_dataset.h"
#include "borealis/data/indexed_dataset_writer.h"
#include "borealis/version.h"
#include "data/reference_datasets.h"

namespace borealis {
namespace {

using test::run_borealis;
using test::TempDir;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

test::ReferenceDataset reference(const std::string& name) {
  for (auto& r : test::reference_datasets())
    if (r.name == name) return r;
  throw std::runtime_error("no reference " + name);
}

TEST(Cli, VersionNamesCommitAndBuildType) {
  auto r = run_borealis("--version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(contains(r.output, std::string("borealis ") + kVersion)) << r.output;
  EXPECT_TRUE(contains(r.output, std::string("commit ") + kGitCommit)) << r.output;
  EXPECT_TRUE(contains(r.output, kBuildType)) << r.output;
}

TEST(Cli, HelpListsCommands) {
  auto r = run_borealis("--help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* cmd : {"quickstart", "corpus", "data"}) EXPECT_TRUE(contains(r.output, cmd));
  r = run_borealis("data --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* cmd : {"inspect", "validate", "merge"}) EXPECT_TRUE(contains(r.output, cmd));
  r = run_borealis("data inspect --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(contains(r.output, "--json"));
}

TEST(Cli, UsageErrorsAreOneLineWithExitTwo) {
  for (const char* args : {"", "frobnicate", "data inspect", "data inspect --bogus x"}) {
    auto r = run_borealis(args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.output;
    EXPECT_EQ(test::count_lines(r.output), 1u) << args << ": " << r.output;
    EXPECT_TRUE(contains(r.output, "borealis: error: ")) << r.output;
  }
}

TEST(Cli, InspectJsonOnMegatronDataset) {
  TempDir dir;
  const auto prefix = test::stage_reference(reference("single"), dir);
  auto r = run_borealis("data inspect --json " + prefix);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["sequences"], 10000);
  EXPECT_EQ(j["documents"], 10000);
  EXPECT_EQ(j["dtype"], "uint16");
  EXPECT_EQ(j["tokens"], 4159256);
  EXPECT_EQ(j["first_sequences"].size(), 3u);
  std::uint64_t in_histogram = 0;
  for (const auto& b : j["histogram"]) in_histogram += b["count"].get<std::uint64_t>();
  EXPECT_EQ(in_histogram, 10000u);
  EXPECT_LE(j["length"]["min"].get<std::int64_t>(), j["length"]["max"].get<std::int64_t>());
}

TEST(Cli, InspectTextShowsHistogramAndIds) {
  TempDir dir;
  data::IndexedDatasetWriter w(dir / "ids", data::DType::kInt32);
  std::vector<std::int32_t> tokens = {70000, 1, 2};
  w.add_document(std::span<const std::int32_t>(tokens));
  w.finish();
  auto r = run_borealis("data inspect " + (dir / "ids.idx"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "histogram")) << r.output;
  EXPECT_TRUE(contains(r.output, "int32")) << r.output;
  EXPECT_TRUE(contains(r.output, "70000 1 2")) << r.output;
}

TEST(Cli, ValidateExitCodes) {
  TempDir dir;
  const auto good = test::stage_reference(reference("blend_c"), dir);
  auto r = run_borealis("data validate " + good);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "2,500 sequences")) << r.output;

  const auto bad = test::stage_reference(reference("alpha_1"), dir);
  std::filesystem::resize_file(bad + ".bin", 100);
  r = run_borealis("data validate " + good + " " + bad);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "FAIL  " + bad + ".bin: data file is shorter")) << r.output;
  EXPECT_TRUE(contains(r.output, "1 of 2 datasets failed validation")) << r.output;
}

TEST(Cli, BadInputIsOneLineAndNonZero) {
  TempDir dir;
  const auto prefix = test::stage_reference(reference("blend_c"), dir);
  std::filesystem::remove(prefix + ".bin");
  auto r = run_borealis("data inspect " + prefix);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(test::count_lines(r.output), 1u) << r.output;
  EXPECT_TRUE(contains(r.output, "borealis: error: " + prefix + ".bin")) << r.output;

  test::write_bytes(dir / "junk.idx", {'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'n', 'd', 'e', 'x',
                                       ' ', 'f', 'i', 'l', 'e', ' ', 'a', 't', ' ', 'a', 'l', 'l',
                                       ' ', 'r', 'e', 'a', 'l', 'l', 'y', '.', '.', '.', '!'});
  test::write_bytes(dir / "junk.bin", {});
  r = run_borealis("data inspect " + (dir / "junk"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(test::count_lines(r.output), 1u) << r.output;
  EXPECT_TRUE(contains(r.output, "junk.idx: not a Megatron MMIDIDX index")) << r.output;
}

TEST(Cli, MergeDirectoryAndPrefixes) {
  TempDir dir;
  std::filesystem::create_directories(dir / "parts");
  TempDir unused;
  std::uint64_t tokens = 0;
  for (const char* name : {"alpha_0", "alpha_1"}) {
    auto ref = reference(name);
    tokens += ref.tokens();
    const auto staged = test::stage_reference(ref, unused);
    std::filesystem::copy_file(staged + ".idx", dir / ("parts/" + std::string(name) + ".idx"));
    std::filesystem::copy_file(staged + ".bin", dir / ("parts/" + std::string(name) + ".bin"));
  }
  auto r = run_borealis("data merge " + (dir / "all") + " " + (dir / "parts"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "merged 2 datasets")) << r.output;
  r = run_borealis("data inspect --json " + (dir / "all"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["sequences"], 5000);
  EXPECT_EQ(j["documents"], 5000);
  EXPECT_EQ(j["tokens"].get<std::uint64_t>(), tokens);
  EXPECT_EQ(run_borealis("data validate " + (dir / "all")).exit_code, 0);

  r = run_borealis("data merge " + (dir / "x") + " " + (dir / "missing"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.output, "missing.idx: cannot open")) << r.output;

  // Merging a directory into a prefix inside it skips the output: running the
  // same command twice must not fold the first result into the second.
  for (int round = 0; round < 2; ++round) {
    r = run_borealis("data merge " + (dir / "parts/all") + " " + (dir / "parts"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_TRUE(contains(r.output, "merged 2 datasets")) << r.output;
  }
}

TEST(Cli, InspectJsonSurvivesANonUtf8Path) {
  TempDir dir;
  const std::string prefix = dir / "caf\xe9";
  data::IndexedDatasetWriter w(prefix, data::DType::kUInt16);
  std::vector<std::uint16_t> tokens = {1, 2};
  w.add_document(std::span<const std::uint16_t>(tokens));
  w.finish();
  auto r = run_borealis("data inspect --json '" + prefix + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["tokens"], 2);
}

}  // namespace
}  // namespace borealis

namespace borealis {
namespace {

TEST(Cli, CorpusBuildDefaultOnFixturesThenReuse) {
  TempDir dir;
  const std::string fixtures = test::data_dir() + "/corpus";
  const std::string args = "corpus build-default " + (dir / "c") + " --dictd-dir " + fixtures +
                           " --units-file " + fixtures + "/definitions.units";
  auto r = run_borealis(args);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* name : {"gcide", "elements", "foldoc", "codata"}) {
    EXPECT_TRUE(std::filesystem::exists(dir / ("c/" + std::string(name) + ".jsonl"))) << name;
  }
  EXPECT_TRUE(std::filesystem::exists(dir / "c/manifest.json"));
  EXPECT_FALSE(contains(r.output, "(reused)")) << r.output;
  r = run_borealis(args);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::size_t reused = 0;
  for (std::size_t pos = 0; (pos = r.output.find("(reused)", pos)) != std::string::npos; ++pos)
    ++reused;
  EXPECT_EQ(reused, 4u) << r.output;
}

TEST(Cli, CorpusMissingInputNamesFileAndPackage) {
  TempDir dir;
  auto r = run_borealis("corpus build-default " + (dir / "c") + " --dictd-dir " + (dir / "none"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.output, "borealis: error: " + (dir / "none/gcide.index"))) << r.output;
  EXPECT_TRUE(contains(r.output, "dict-gcide")) << r.output;
  EXPECT_EQ(test::count_lines(r.output), 1u) << r.output;
}

TEST(Cli, QuickstartBuildsTheRealCorpusAndReusesIt) {
  // The main job, on the Debian packages scripts/setup installs.
  TempDir dir;
  // (3 training steps here; the default trains for a few minutes)
  auto r = run_borealis("quickstart --train-steps 3 --workdir " + (dir / "qs"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "Plan:")) << r.output;
  EXPECT_TRUE(contains(r.output, "total")) << r.output;
  std::ifstream manifest(dir / "qs/corpus/manifest.json");
  EXPECT_TRUE(manifest.good());
  // A trained tokenizer, and one dataset per corpus with one document per line.
  EXPECT_TRUE(std::filesystem::exists(dir / "qs/tokenizer/tokenizer.json"));
  EXPECT_TRUE(std::filesystem::exists(dir / "qs/tokenizer/science.tiktoken"));
  for (const char* name : {"gcide", "elements", "foldoc", "codata"}) {
    const auto corpus = test::read_bytes(dir / ("qs/corpus/" + std::string(name) + ".jsonl"));
    const auto ds =
        data::IndexedDataset::open(dir / ("qs/tokens/" + std::string(name)), data::Verify::kFull);
    EXPECT_EQ(ds.document_count(), test::count_lines(std::string(corpus.begin(), corpus.end())))
        << name;
    EXPECT_GT(ds.token_count(), ds.document_count()) << name;
  }
  // A blended index over the corpora, from a data file list, with its realised mix.
  EXPECT_TRUE(std::filesystem::exists(dir / "qs/index/index.json"));
  EXPECT_TRUE(std::filesystem::exists(dir / "qs/index/data_file_list.txt"));
  EXPECT_TRUE(contains(r.output, "requested   realised")) << r.output;
  EXPECT_TRUE(contains(r.output, "samples of 257 tokens")) << r.output;
  // Then a model trained on it, and continuations of the prompts.
  EXPECT_TRUE(contains(r.output, "before training")) << r.output;
  EXPECT_TRUE(std::filesystem::exists(dir / "qs/run/checkpoints/step_00000003/model.safetensors"));
  EXPECT_TRUE(contains(r.output, "Hydrogen is >>>")) << r.output;
  r = run_borealis("index inspect " + (dir / "qs/index") + " --tokenizer " +
                   (dir / "qs/tokenizer/tokenizer.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "sample 0: ") && contains(r.output, "text: ")) << r.output;
  r = run_borealis("quickstart --train-steps 3 --workdir " + (dir / "qs"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "gcide") && contains(r.output, "(reused)")) << r.output;
  EXPECT_TRUE(contains(r.output, "(already trained 3 steps)")) << r.output;
  EXPECT_TRUE(contains(r.output, "already trained")) << r.output;
  EXPECT_TRUE(contains(r.output, "shuffle-sample-in-corpus) (reused)")) << r.output;
}

}  // namespace
}  // namespace borealis

namespace borealis {
namespace {

TEST(Cli, TokenizerEncodeDecodeRoundTrip) {
  TempDir dir;
  const std::string vocab = test::data_dir() + "/vocab/cl100k_base.tiktoken";
  {
    std::ofstream in(dir / "in.jsonl");
    in << R"({"text":"hello world"})"
       << "\n"
       << R"({"text":"<|endoftext|> H2SO4 \u00e9\u00e8 \ud83e\uddec"})"
       << "\n";
  }
  auto r = run_borealis("tokenizer encode --tokenizer " + vocab + " --input " + (dir / "in.jsonl") +
                        " --output " + (dir / "ids.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream ids(dir / "ids.jsonl");
  std::string first;
  std::getline(ids, first);
  EXPECT_EQ(first, R"({"ids":[15339,1917]})");  // tiktoken cl100k_base: "hello world"
  r = run_borealis("tokenizer decode --tokenizer " + vocab + " --input " + (dir / "ids.jsonl") +
                   " --output " + (dir / "back.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream a(dir / "in.jsonl"), b(dir / "back.jsonl");
  std::string la, lb;
  while (std::getline(a, la) && std::getline(b, lb))
    EXPECT_EQ(nlohmann::json::parse(la), nlohmann::json::parse(lb));
}

TEST(Cli, TokenizerBadLineNamesFileAndLine) {
  TempDir dir;
  const std::string vocab = test::data_dir() + "/vocab/r50k_base.tiktoken";
  test::write_bytes(dir / "in.jsonl", {'{', '}', '\n', 'x', '\n'});
  auto r = run_borealis("tokenizer encode --tokenizer " + vocab + " --input " + (dir / "in.jsonl") +
                        " --output " + (dir / "out.jsonl"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.output, (dir / "in.jsonl") + ": line 1: missing string key \"text\""))
      << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "out.jsonl"));
  r = run_borealis("tokenizer encode --tokenizer " + (dir / "in.jsonl") + " --input " +
                   (dir / "in.jsonl") + " --output " + (dir / "out.jsonl"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.output, "unknown tokenizer file")) << r.output;
}

}  // namespace
}  // namespace borealis

namespace borealis {
namespace {

TEST(Cli, TokenizeJsonlIntoADatasetAndResume) {
  TempDir dir;
  const std::string vocab = test::data_dir() + "/vocab/cl100k_base.tiktoken";
  {
    std::ofstream in(dir / "docs.jsonl");
    in << R"({"text":"Water is H2O."})"
       << "\n"
       << R"({"text":"Salt is NaCl."})"
       << "\n";
  }
  const std::string args = "tokenize --tokenizer " + vocab + " --input " + (dir / "docs.jsonl") +
                           " --output-prefix " + (dir / "new/dir/sci") +
                           " --append-eod --workers 2";
  auto r = run_borealis(args);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "tokenized 2 documents")) << r.output;
  r = run_borealis("data inspect --json " + (dir / "new/dir/sci"));  // directories created
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["documents"], 2);
  EXPECT_EQ(j["dtype"], "int32");                     // cl100k has more than 65,500 tokens
  EXPECT_EQ(j["first_sequences"][0].back(), 100257);  // <|endoftext|>
  r = run_borealis(args);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "already complete")) << r.output;
}

}  // namespace
}  // namespace borealis
