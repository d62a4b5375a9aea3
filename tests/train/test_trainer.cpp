// The training loop: loss falls on learnable data, resume is bit-exact (in
// process and after kill -9 of `borealis train`), bad configs, foreign and
// corrupt checkpoints and non-finite losses are one-line errors.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "borealis/data/index_folder.h"
#include "borealis/data/indexed_dataset_writer.h"
#include "borealis/io/safetensors.h"
#include "borealis/train/checkpoint.h"
#include "borealis/train/lr_schedule.h"
#include "borealis/train/trainer.h"
#include "test_util.h"
#include "train/counting_index.h"

extern char** environ;

namespace borealis::train {
namespace {

namespace fs = std::filesystem;

// A dataset a small model can learn: documents that count upward modulo 61
// from a random start, so the next token follows from the last one.
std::string make_index(const test::TempDir& dir, std::uint64_t samples = 4000) {
  return test::make_counting_index(dir, samples);
}

std::string config_text(const std::string& index, const std::string& out, int steps) {
  return fmt::format(R"(
[model]
family = "llama"
n_layers = 2
d_model = 32
n_heads = 4
n_kv_heads = 2
vocab_size = 64

[data]
index = "{}"
eval_samples = 32

[optim]
lr = 1e-2
warmup_steps = 5

[train]
steps = {}
micro_batch = 4
grad_accum = 2
eval_every = 0
checkpoint_every = 10
keep_checkpoints = 2
out = "{}"
# One thread: ctest runs tests side by side, and OpenMP's barriers crawl on
# oversubscribed cores (a 3 s test took 7 minutes next to a compile).
threads = 1
)",
                     index, steps, out);
}

TrainConfig config_for(const std::string& index, const std::string& out, int steps,
                       const std::vector<std::string>& overrides = {}) {
  return parse_train_config(config_text(index, out, steps), "test.toml", "", overrides);
}

TEST(Trainer, LossFallsAndMetricsAreWritten) {
  test::TempDir dir;
  const auto index = make_index(dir);
  Trainer trainer(config_for(index, dir / "run", 60));
  EXPECT_EQ(trainer.config().model.max_seq_len, 32) << "taken from the index";
  const auto s = trainer.run();
  ASSERT_TRUE(s.eval_loss_before && s.eval_loss_after);
  EXPECT_NEAR(*s.eval_loss_before, std::log(64.0), 0.3);
  EXPECT_LT(*s.eval_loss_after, *s.eval_loss_before - 1.0) << "counting is learnable";
  std::ifstream in(dir / "run/metrics.jsonl");
  std::string line;
  int steps = 0, evals = 0;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line);
    if (j.contains("loss")) {
      ++steps;
      for (const char* key :
           {"lr", "grad_norm", "tokens_per_s", "gflops", "sgemm_share", "consumed_samples"})
        EXPECT_TRUE(j.contains(key)) << key;
      EXPECT_EQ(j["consumed_samples"].get<int>(), j["step"].get<int>() * 8);
    }
    if (j.contains("eval_loss")) ++evals;
  }
  EXPECT_EQ(steps, 60);
  EXPECT_EQ(evals, 2);  // before and after
  // keep_checkpoints = 2: steps 50 and 60 remain
  EXPECT_FALSE(fs::exists(dir / "run/checkpoints/step_00000040"));
  EXPECT_TRUE(fs::exists(dir / "run/checkpoints/step_00000050/state.json"));
  const auto state = read_checkpoint_state(dir / "run/checkpoints/step_00000060");
  EXPECT_EQ(state.step, 60);
  EXPECT_EQ(state.consumed_samples, 480u);
  ASSERT_EQ(state.provenance["datasets"].size(), 1u);
  EXPECT_EQ(state.provenance["datasets"][0]["prefix"], dir / "counting");
  EXPECT_EQ(state.provenance["datasets"][0]["idx_xxh3_64"].get<std::string>().size(), 16u);
}

TEST(Trainer, ResumeIsBitExact) {
  test::TempDir dir;
  const auto index = make_index(dir);
  Trainer(config_for(index, dir / "one", 20)).run();
  {
    Trainer first(config_for(index, dir / "two", 20));
    first.run({}, 10);
  }
  Trainer second(config_for(index, dir / "two", 20));
  ASSERT_TRUE(second.resumed_from());
  EXPECT_EQ(second.step(), 10);
  second.run();
  for (const char* file : {"model.safetensors", "optimizer.safetensors"})
    EXPECT_EQ(test::read_bytes(dir / "one/checkpoints/step_00000020/" + file),
              test::read_bytes(dir / "two/checkpoints/step_00000020/" + file))
        << file;
}

TEST(Trainer, SpikesAreSkippedLoggedAndJudgedAlikeAfterResume) {
  test::TempDir dir;
  const auto index = make_index(dir);
  // A large learning rate and a hair trigger: some steps are skipped.
  const std::vector<std::string> spiky = {"optim.lr=0.05", "train.spike_zscore=1.0",
                                          "train.spike_window=3", "train.grad_accum=1"};
  const auto whole = Trainer(config_for(index, dir / "one", 16, spiky)).run();
  EXPECT_GT(whole.skipped_steps, 0);
  {
    Trainer first(config_for(index, dir / "two", 16, spiky));
    first.run({}, 10);
  }
  const auto rest = Trainer(config_for(index, dir / "two", 16, spiky)).run();
  auto skipped = [](const std::string& run) {
    std::vector<std::string> lines;
    std::ifstream in(run + "/metrics.jsonl");
    for (std::string line; std::getline(in, line);)
      if (line.find("\"skipped\":true") != std::string::npos) lines.push_back(line);
    return lines;
  };
  EXPECT_EQ(skipped(dir / "one").size(), static_cast<std::size_t>(whole.skipped_steps));
  EXPECT_EQ(skipped(dir / "one"), skipped(dir / "two"))
      << "the window of recent steps travels in the checkpoint";
  EXPECT_EQ(test::read_bytes(dir / "one/checkpoints/step_00000016/model.safetensors"),
            test::read_bytes(dir / "two/checkpoints/step_00000016/model.safetensors"));
}

TEST(Trainer, KilledRunResumesBitExact) {
  test::TempDir dir;
  const auto index = make_index(dir, 20000);
  const int steps = 400;
  test::write_text(dir / "a.toml", config_text(index, dir / "a", steps));
  test::write_text(dir / "b.toml", config_text(index, dir / "b", steps));
  const auto whole = test::run_borealis("train --config " + dir / "a.toml");
  ASSERT_EQ(whole.exit_code, 0) << whole.output;

  // Start b, kill -9 once its first checkpoint exists, run it again.
  const std::string binary = test::binary(), config = dir / "b.toml";
  std::vector<std::string> args = {binary, "train", "--config", config};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!fs::exists(dir / "b/checkpoints/step_00000010/state.json") &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the run finished before it could be killed";

  const auto resumed = test::run_borealis("train --config " + config);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("resuming from step "), std::string::npos) << resumed.output;
  const std::string last = fmt::format("/checkpoints/step_{:08d}/", steps);
  for (const char* file : {"model.safetensors", "optimizer.safetensors"})
    EXPECT_EQ(test::read_bytes(dir / "a" + last + file), test::read_bytes(dir / "b" + last + file))
        << file;
  // metrics.jsonl has each step once, even though some were run twice
  std::ifstream in(dir / "b/metrics.jsonl");
  std::string line;
  std::set<int> seen;
  int lines = 0;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line);
    if (j.contains("loss")) {
      seen.insert(j["step"].get<int>());
      ++lines;
    }
  }
  EXPECT_EQ(lines, steps);
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(steps));
}

TEST(Trainer, NonFiniteLossStopsAndKeepsTheLastCheckpoint) {
  test::TempDir dir;
  const auto index = make_index(dir);
  Trainer trainer(config_for(index, dir / "run", 60,
                             {"optim.lr=1e6", "optim.clip=0", "optim.warmup_steps=0",
                              "train.checkpoint_every=1", "optim.weight_decay=0"}));
  const auto error = test::error_of([&] { trainer.run(); });
  EXPECT_NE(error.find("training stopped at step "), std::string::npos) << error;
  EXPECT_NE(error.find("the last good checkpoint is " + dir / "run/checkpoints/step_"),
            std::string::npos)
      << error;
  const auto latest = latest_checkpoint(dir / "run");
  ASSERT_TRUE(latest);
  Trainer again(config_for(index, dir / "run", 60));  // the kept checkpoint loads
  EXPECT_TRUE(again.resumed_from());
}

TEST(Trainer, RefusesCheckpointsOfAnotherModelOrData) {
  test::TempDir dir;
  const auto index = make_index(dir);
  Trainer(config_for(index, dir / "run", 10)).run();
  const auto other_model =
      test::error_of([&] { Trainer t(config_for(index, dir / "run", 20, {"model.d_model=64"})); });
  EXPECT_NE(other_model.find(dir / "run/checkpoints/step_00000010: checkpoint of another model"),
            std::string::npos)
      << other_model;
  test::TempDir other;
  const auto other_index = make_index(other, 5000);
  const auto other_data =
      test::error_of([&] { Trainer t(config_for(other_index, dir / "run", 20)); });
  EXPECT_NE(other_data.find("checkpoint trained on other data than " + other_index),
            std::string::npos)
      << other_data;
}

TEST(Trainer, CorruptCheckpointsAreNamed) {
  test::TempDir dir;
  const auto index = make_index(dir);
  Trainer(config_for(index, dir / "run", 10)).run();
  const std::string weights = dir / "run/checkpoints/step_00000010/model.safetensors";
  auto bytes = test::read_bytes(weights);
  bytes.resize(bytes.size() - 100);
  test::write_bytes(weights, bytes);
  const auto truncated = test::error_of([&] { Trainer t(config_for(index, dir / "run", 20)); });
  EXPECT_NE(truncated.find(weights + ": tensor '"), std::string::npos) << truncated;
  EXPECT_NE(truncated.find("(truncated file?)"), std::string::npos) << truncated;
  test::write_text(weights, std::string(8, '\xff'));
  const auto header = test::error_of([&] { Trainer t(config_for(index, dir / "run", 20)); });
  EXPECT_NE(header.find(weights + ": truncated safetensors file"), std::string::npos) << header;

  // A well-formed file whose tensors do not fit the model: wrong shape, wrong dtype.
  auto model_config = config_for(index, dir / "run", 20).model;
  model_config.max_seq_len = 32;  // as the trainer fills it in from the index
  const model::Transformer shape_of(model_config);
  auto rewrite = [&](const std::string& odd_name, const std::string& dtype,
                     std::vector<std::int64_t> odd_shape) {
    io::SafetensorsWriter w;
    std::vector<std::vector<std::byte>> keep;
    for (const auto& t : shape_of.layout().tensors()) {
      const bool odd = t.name == odd_name;
      const auto shape = odd ? odd_shape : t.shape;
      std::int64_t count = 1;
      for (auto d : shape) count *= d;
      keep.emplace_back(static_cast<std::size_t>(count) * (odd && dtype == "F16" ? 2 : 4));
      w.add(t.name, odd ? dtype : "F32", shape, keep.back());
    }
    w.set_metadata("borealis.model_config", model::to_json(shape_of.config()).dump());
    w.write(weights);
  };
  rewrite("norm_f.weight", "F32", {16});
  EXPECT_EQ(test::error_of([&] { Trainer t(config_for(index, dir / "run", 20)); }),
            weights + ": tensor 'norm_f.weight' has shape [16], expected [32]");
  rewrite("layers.1.attn.out.weight", "F16", {32, 32});
  EXPECT_EQ(test::error_of([&] { Trainer t(config_for(index, dir / "run", 20)); }),
            weights + ": tensor 'layers.1.attn.out.weight' is F16, expected F32");
}

TEST(Trainer, BadConfigsAreOneLineErrors) {
  test::TempDir dir;
  const auto index = make_index(dir);
  auto error_for = [&](const std::vector<std::string>& overrides) {
    return test::error_of([&] { Trainer t(config_for(index, dir / "run", 10, overrides)); });
  };
  EXPECT_EQ(error_for({"model.n_heads=3"}), "test.toml: d_model 32 is not divisible by n_heads 3");
  EXPECT_EQ(error_for({"model.n_kv_heads=3"}), "test.toml: n_kv_heads 3 does not divide n_heads 4");
  EXPECT_EQ(error_for({"optim.lr=-1"}), "test.toml: optim.lr must be positive (got -1)");
  EXPECT_EQ(error_for({"optim.decay=\"exp\""}),
            "test.toml: optim.decay must be cosine, linear or constant (got 'exp')");
  EXPECT_EQ(error_for({"train.steps=\"many\""}), "test.toml: train.steps must be an integer");
  EXPECT_EQ(error_for({"train.stepz=3"}), "test.toml: unknown key 'train.stepz'");
  EXPECT_EQ(error_for({"train.zero_stage=2"}),
            "test.toml: train.zero_stage must be 0 (plain data parallel) or 1 (ZeRO-1: optimizer "
            "state sharded across ranks), got 2");
  EXPECT_EQ(error_for({"train.global_batch=10"}),
            "test.toml: train.global_batch 10 is not a multiple of micro_batch 4");
  EXPECT_EQ(error_for({"train.global_batch=12"}), "");  // 3 micro-batches of 4 on one rank
  EXPECT_EQ(error_for({"train.spike_window=1"}),
            "test.toml: train.spike_window must be at least 2 steps");
  EXPECT_EQ(error_for({"model.max_seq_len=16"}),
            "test.toml: the index's sequence length 32 exceeds model.max_seq_len 16");
  EXPECT_NE(error_for({"train.steps=100000"}).find("need 800000 training samples"),
            std::string::npos);
  EXPECT_NE(error_for({"data.index=\"" + dir / "nowhere" + "\""}).find(dir / "nowhere"),
            std::string::npos);
  EXPECT_EQ(
      test::error_of([&] { parse_train_config("[model\nx=1", "bad.toml", ""); }).substr(0, 12),
      "bad.toml:1:7");
  EXPECT_EQ(test::error_of([&] { parse_train_config("[modle]\n", "bad.toml", ""); }),
            "bad.toml: unknown section [modle] (expected model, data, optim, train)");
  // a tokenizer larger than the model's vocabulary
  EXPECT_EQ(error_for({"data.tokenizer=\"" + test::data_dir() + "/vocab/r50k_base.tiktoken\""}),
            "test.toml: model.vocab_size 64 is smaller than the tokenizer's 50257 (" +
                test::data_dir() + "/vocab/r50k_base.tiktoken)");
  // an output folder that cannot be created
  test::write_text(dir / "file", "x");
  const auto unwritable =
      test::error_of([&] { Trainer(config_for(index, dir / "file/run", 10)).run(); });
  EXPECT_NE(unwritable.find(dir / "file/run"), std::string::npos) << unwritable;
}

TEST(LearningRateSchedule, WarmupThenDecay) {
  LearningRateSchedule s{1.0, 0.1, 10, 110, "cosine"};
  EXPECT_DOUBLE_EQ(s.at(0), 0.1);
  EXPECT_DOUBLE_EQ(s.at(9), 1.0);
  EXPECT_DOUBLE_EQ(s.at(10), 1.0);
  EXPECT_NEAR(s.at(60), 0.55, 1e-12);
  EXPECT_NEAR(s.at(110), 0.1, 1e-12);
  s.decay = "linear";
  EXPECT_NEAR(s.at(60), 0.55, 1e-12);
  EXPECT_NEAR(s.at(35), 1.0 - 0.9 * 0.25, 1e-12);
  s.decay = "constant";
  EXPECT_DOUBLE_EQ(s.at(100), 1.0);
}

}  // namespace
}  // namespace borealis::train
