// `borealis train`, `generate` and `plot` as a user runs them.

#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "test_util.h"
#include "train/counting_index.h"

namespace borealis {
namespace {

namespace fs = std::filesystem;

// A tiny run on counting data (token ids below 61) with r50k_base as the tokenizer.
std::string train_tiny(const test::TempDir& dir) {
  test::make_counting_index(dir, 300);
  test::write_text(dir / "run.toml", fmt::format(R"(
[model]
family = "gpt2"
n_layers = 1
d_model = 32
n_heads = 2
n_kv_heads = 2
max_seq_len = 64
[data]
index = "index"
tokenizer = "{}/vocab/r50k_base.tiktoken"
eval_samples = 16
[train]
steps = 6
micro_batch = 4
checkpoint_every = 3
out = "run"
threads = 1
)",
                                                 test::data_dir()));
  const auto r = test::run_borealis("train --config " + dir / "run.toml");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("trained steps 1..6"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("held-out loss"), std::string::npos) << r.output;
  return dir / "run";
}

TEST(TrainCli, TrainsGeneratesAndPlots) {
  test::TempDir dir;
  const auto run = train_tiny(dir);
  ASSERT_TRUE(fs::exists(run + "/checkpoints/step_00000006/tokenizer/r50k_base.tiktoken"));

  const auto greedy = test::run_borealis("generate --checkpoint " + run +
                                         " --prompt 'The atom' --max-tokens 5 --temperature 0");
  ASSERT_EQ(greedy.exit_code, 0) << greedy.output;
  EXPECT_EQ(greedy.output.rfind("The atom", 0), 0u) << greedy.output;
  const auto again = test::run_borealis(
      "generate --checkpoint " + run +
      "/checkpoints/step_00000006 --prompt 'The atom' --max-tokens 5 --temperature 0");
  EXPECT_EQ(again.output, greedy.output)
      << "greedy is deterministic; a run folder means its newest checkpoint";

  test::write_text(dir / "prompts.jsonl", "{\"prompt\":\"a\"}\n{\"prompt\":\"b\"}\n");
  const auto batch = test::run_borealis("generate --checkpoint " + run + " --input " +
                                        dir / "prompts.jsonl" + " --max-tokens 3 --seed 7");
  ASSERT_EQ(batch.exit_code, 0) << batch.output;
  std::istringstream lines(batch.output);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_TRUE(j.contains("completion"));
    EXPECT_LE(j["tokens"].get<int>(), 3);
    EXPECT_TRUE(j["finish_reason"] == "length" || j["finish_reason"] == "stop");
    ++n;
  }
  EXPECT_EQ(n, 2);

  const auto rerun = test::run_borealis("train --config " + dir / "run.toml");
  ASSERT_EQ(rerun.exit_code, 0) << rerun.output;
  EXPECT_NE(rerun.output.find("already trained to step 6"), std::string::npos) << rerun.output;

  const auto plot = test::run_borealis("plot " + run + "/metrics.jsonl -o " + dir / "loss.svg");
  ASSERT_EQ(plot.exit_code, 0) << plot.output;
  EXPECT_NE(test::read_text(dir / "loss.svg").find("<polyline"), std::string::npos);
}

TEST(TrainCli, ExportsTheHuggingFaceLayoutWithTokenizerAndProvenance) {
  test::TempDir dir;
  const auto run = train_tiny(dir);
  const auto r = test::run_borealis("export --checkpoint " + run + " --format hf " + dir / "hf");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("GPT2LMHeadModel"), std::string::npos) << r.output;
  const auto config = nlohmann::json::parse(test::read_text(dir / "hf/config.json"));
  EXPECT_EQ(config["model_type"], "gpt2");
  EXPECT_EQ(config["vocab_size"], 50257) << "the tokenizer's, not the padded one";
  EXPECT_TRUE(fs::exists(dir / "hf/model.safetensors"));
  EXPECT_TRUE(fs::exists(dir / "hf/r50k_base.tiktoken")) << "the checkpoint's tokenizer";
  const auto prov = nlohmann::json::parse(test::read_text(dir / "hf/borealis_provenance.json"));
  EXPECT_EQ(prov["step"], 6);
  EXPECT_EQ(prov["data"]["datasets"][0]["prefix"], dir / "counting");
  EXPECT_EQ(prov["data"]["datasets"][0]["idx_xxh3_64"].get<std::string>().size(), 16u);

  const auto again = test::run_borealis("export --checkpoint " + run + " " + dir / "hf");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.output.find(dir / "hf: already exists"), std::string::npos) << again.output;
  const auto format = test::run_borealis("export --checkpoint " + run + " --format onnx " +
                                         dir / "x");
  EXPECT_NE(format.output.find("--format onnx: the only export format is hf"), std::string::npos)
      << format.output;
  EXPECT_FALSE(fs::exists(dir / "x"));
}

TEST(TrainCli, ErrorsAreOneLine) {
  test::TempDir dir;
  const auto missing =
      test::run_borealis("generate --checkpoint " + dir / "nothing" + " --prompt x");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find(dir / "nothing" + ": not a checkpoint (no model.safetensors)"),
            std::string::npos)
      << missing.output;
  test::write_text(dir / "bad.toml", "[train]\nsteps = -3\n[data]\nindex = \"x\"\n");
  const auto bad = test::run_borealis("train --config " + dir / "bad.toml");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_EQ(std::count(bad.output.begin(), bad.output.end(), '\n'), 1) << bad.output;
}

}  // namespace
}  // namespace borealis
