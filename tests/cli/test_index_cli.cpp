// `borealis index build|inspect` end to end: Megatron's reference arrays
// through the CLI (one process, two concurrent processes, mpirun -np 2),
// provenance and decoding in inspect, and one-line errors.

#include <filesystem>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "data/megatron_reference.h"
#include "dist/mpirun.h"
#include "test_util.h"

namespace borealis {
namespace {

using test::TempDir;
namespace fs = std::filesystem;

// The mds inputs and their data file list, staged in `dir`.
std::string stage_mds(const TempDir& dir) {
  for (const char* name : {"alpha_0", "alpha_1", "beta_0", "beta_1", "gamma_0"})
    test::stage(dir.path(), test::kMegatronRoot + "/mds/inputs/" + name + ".idx");
  fs::copy_file(test::kMegatronRoot + "/mds/inputs/data_file_list.txt", dir / "list.txt");
  return dir / "list.txt";
}

void expect_reference(const std::string& case_dir, const std::string& exported) {
  const auto expected = test::expected_files(case_dir);
  const auto actual = test::actual_files(exported);
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(actual, expected) << case_dir;
}

TEST(IndexCli, MegatronLmBlendMatchesMegatronAndIsReused) {
  TempDir dir;
  std::string data;
  for (const char* name : {"blend_a", "blend_b", "blend_c"})
    data += " '" + test::stage(dir.path(), test::kMegatronRoot + "/inputs/" + name + ".idx") + "'";
  const std::string args = "index build --data" + data + " --weights 0.5 0.3 0.2 --seq-length 128 --num-samples 100000 --out " +
                           (dir / "ix");
  auto r = test::run_borealis(args + " --export-npy " + (dir / "npy"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("100,000 samples of 129 tokens over 3 datasets"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("3 built, 0 reused, blend built"), std::string::npos) << r.output;
  expect_reference("case_ii_blend", dir / "npy");
  r = test::run_borealis(args);
  EXPECT_NE(r.output.find("0 built, 3 reused, blend reused"), std::string::npos) << r.output;
}

TEST(IndexCli, DeepSpeedCorpusFlowUnderMpirunAndConcurrentProcesses) {
  TempDir dir;
  const std::string list = stage_mds(dir);
  const std::string args = "index build --flavor megatron-deepspeed --data-file-list " + list +
                           " --seq-length 128 --num-samples 50000 --shuffle-sample-in-corpus";
  // Two ranks share the five files; the arrays are Megatron-DeepSpeed's.
  auto r = test::mpirun_borealis(2, args + " --out " + (dir / "mpi") + " --export-npy " + (dir / "npy-mpi"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  expect_reference("mds/concat_shuffle", dir / "npy-mpi");
  // Two processes at once on one folder: both succeed, each entry built once.
  const std::string one_run = fmt::format("'{}' {} --json --out '{}'", test::binary(), args, dir / "two");
  r = test::run_command(fmt::format("{0} > '{1}' 2>/dev/null & p=$!; {0} > '{2}' 2>/dev/null; s2=$?; wait $p; echo done $? $s2",
                                    one_run, dir / "one.json", dir / "other.json"));
  EXPECT_NE(r.output.find("done 0 0"), std::string::npos) << r.output;
  const auto one = nlohmann::json::parse(test::read_text(dir / "one.json"));
  const auto other = nlohmann::json::parse(test::read_text(dir / "other.json"));
  EXPECT_EQ(one["datasets_built"].get<int>() + other["datasets_built"].get<int>(), 5);
  EXPECT_EQ(one["blend_built"].get<bool>() + other["blend_built"].get<bool>(), 1);
  EXPECT_EQ(one["samples"], 50251);
  // The blend-in-corpus variant through the CLI too.
  r = test::run_borealis("index build --flavor megatron-deepspeed --data-file-list " + list +
                         " --seq-length 128 --num-samples 50000 --blend-sample-in-corpus --shuffle-sample-in-corpus --out " +
                         (dir / "blend") + " --export-npy " + (dir / "npy-blend"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  expect_reference("mds/blend_shuffle", dir / "npy-blend");
  EXPECT_NE(r.output.find("alpha"), std::string::npos) << r.output;  // the realised mix per corpus
}

TEST(IndexCli, InspectShowsTheMixAndDecodedSamplesWithProvenance) {
  TempDir dir;
  test::write_text(dir / "a.jsonl", "{\"text\": \"Hydrogen is the lightest element; water is H2O.\"}\n"
                                    "{\"text\": \"Helium is a noble gas with two protons.\"}\n");
  test::write_text(dir / "b.jsonl", "{\"text\": \"The Krebs cycle oxidises acetyl-CoA in mitochondria.\"}\n");
  const std::string vocab = test::data_dir() + "/vocab/r50k_base.tiktoken";
  for (const char* n : {"a", "b"}) {
    auto r = test::run_borealis("tokenize --tokenizer " + vocab + " --input " + (dir / (std::string(n) + ".jsonl")) +
                                " --output-prefix " + (dir / n) + " --append-eod");
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  test::write_text(dir / "list.txt", "2 a chemistry\n1 b biology\n");
  auto r = test::run_borealis("index build --flavor megatron-deepspeed --data-file-list " + (dir / "list.txt") +
                              " --seq-length 8 --num-samples 20 --out " + (dir / "ix"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = test::run_borealis("index inspect " + (dir / "ix") + " --tokenizer " + vocab + " --sample 0 --sample 3");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("samples of 9 tokens"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("chemistry"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("sample 3: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[corpus "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("text: \""), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("epochs per dataset: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("a [chemistry]: "), std::string::npos) << r.output;
}

TEST(IndexCli, BadInputExitsNonZeroWithOneLine) {
  TempDir dir;
  const std::string a = test::stage(dir.path(), test::kMegatronRoot + "/inputs/blend_c.idx");
  auto expect_error = [&](const std::string& args, const std::string& message) {
    const auto r = test::run_borealis(args);
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_NE(r.output.find(message), std::string::npos) << r.output;
    EXPECT_EQ(test::count_lines(r.output), 1u) << r.output;
  };
  const std::string base = " --seq-length 128 --num-samples 100 --out " + (dir / "ix");
  expect_error("index build --data " + (dir / "missing") + base, "missing.idx");
  expect_error("index build --data " + a + " " + a + " --weights 1" + base, "1 weights for 2 datasets");
  expect_error("index build --data " + a + " --weights abc" + base, "'abc' is not a number");
  expect_error("index build --data " + a + " --weights -2" + base, "-2 is not a positive number");
  expect_error("index build --data " + a + " --seq-length 128 --num-samples 0 --out " + (dir / "ix"),
               "--num-samples must be at least 1");
  expect_error("index build --flavor megatron-deepspeed --data " + a + base, "--data-file-list");
  expect_error("index inspect " + (dir / "nothing"), "no index here");
  fs::resize_file(a + ".bin", 10);
  expect_error("index build --data " + a + base, "blend_c.bin");
}

}  // namespace
}  // namespace borealis
