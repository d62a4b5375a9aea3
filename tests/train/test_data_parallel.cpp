// Data-parallel training under a real `mpirun -np 2`: the same global batch on
// two ranks trains the model one process trains, ZeRO-1 changes nothing but
// the optimizer memory, checkpoints move between rank counts, and a killed
// rank ends the job.

#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "borealis/io/safetensors.h"
#include "dist/mpirun.h"
#include "test_util.h"
#include "train/counting_index.h"

namespace borealis {
namespace {

namespace fs = std::filesystem;

// Counting data (train/counting_index.h), a two-layer Llama, 4 samples per rank and
// micro-batch, 8 per step: one process accumulates two micro-batches, two
// ranks take one each.
void make_run(const test::TempDir& dir, std::int64_t steps, std::uint64_t samples) {
  test::make_counting_index(dir, samples);
  test::write_text(dir / "run.toml", fmt::format(R"(
[model]
family = "llama"
n_layers = 2
d_model = 32
n_heads = 4
n_kv_heads = 2
vocab_size = 64
max_seq_len = 32
[data]
index = "index"
eval_samples = 16
[optim]
lr = 3e-3
warmup_steps = 2
[train]
steps = {}
micro_batch = 4
global_batch = 8
eval_batches = 4
checkpoint_every = 3
threads = 1
)",
                                                 steps));
}

std::string train_command(const test::TempDir& dir, const std::string& out,
                          const std::string& extra = "") {
  return "train --config " + dir / "run.toml" + " --out " + dir / out + " " + extra;
}

test::CommandResult train_one(const test::TempDir& dir, const std::string& out,
                              const std::string& extra = "") {
  return test::run_borealis(train_command(dir, out, extra));
}

test::CommandResult train_two(const test::TempDir& dir, const std::string& out,
                              const std::string& extra = "") {
  return test::mpirun_borealis(2, train_command(dir, out, extra));
}

std::vector<nlohmann::json> metrics(const std::string& run) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(run + "/metrics.jsonl");
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

// step -> value of `key` for the metrics lines that have it
std::map<std::int64_t, double> series(const std::string& run, const std::string& key) {
  std::map<std::int64_t, double> s;
  for (const auto& j : metrics(run))
    if (j.contains(key)) s[j.at("step").get<std::int64_t>()] = j.at(key).get<double>();
  return s;
}

// Largest |a - b| of any tensor, relative to that tensor's largest |a|.
double weight_difference(const std::string& a_path, const std::string& b_path) {
  const io::SafetensorsReader a(a_path), b(b_path);
  double worst = 0;
  for (const auto& [name, ta] : a.tensors()) {
    const auto& tb = b.tensors().at(name);
    EXPECT_EQ(ta.bytes.size(), tb.bytes.size()) << name;
    const auto* x = reinterpret_cast<const float*>(ta.bytes.data());
    const auto* y = reinterpret_cast<const float*>(tb.bytes.data());
    double diff = 0, scale = 0;
    for (std::size_t i = 0; i < ta.bytes.size() / sizeof(float); ++i) {
      diff = std::max(diff, std::fabs(static_cast<double>(x[i]) - y[i]));
      scale = std::max(scale, std::fabs(static_cast<double>(x[i])));
    }
    worst = std::max(worst, scale > 0 ? diff / scale : diff);
  }
  return worst;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// Float sums over ranks run in another order than one process's
// accumulation: measured 4e-7 of a tensor's largest weight after 6-8 steps.
constexpr double kWeightTolerance = 1e-5;
constexpr double kLossTolerance = 1e-6;  // relative; measured agreement to 7 digits

TEST(DataParallel, TwoRanksTrainTheModelOneProcessTrains) {
  test::TempDir dir;
  make_run(dir, 6, 100);
  const auto one = train_one(dir, "one");
  ASSERT_EQ(one.exit_code, 0) << one.output;
  EXPECT_NE(one.output.find("8 samples (4 x 2 accumulation x 1 rank)"), std::string::npos)
      << one.output;
  const auto two = train_two(dir, "two");
  ASSERT_EQ(two.exit_code, 0) << two.output;
  EXPECT_NE(two.output.find("8 samples (4 x 1 accumulation x 2 ranks)"), std::string::npos)
      << two.output;
  EXPECT_NE(two.output.find("ranks 0-1 of 2 (OpenMPI launch), 1 thread per rank"),
            std::string::npos)
      << "one line per node: " << two.output;
  EXPECT_EQ(two.output.find("trained steps"), two.output.rfind("trained steps"))
      << "rank 0 alone reports: " << two.output;

  for (const char* key : {"loss", "eval_loss", "grad_norm"}) {
    const auto a = series(dir / "one", key), b = series(dir / "two", key);
    ASSERT_EQ(a.size(), b.size()) << key;
    ASSERT_FALSE(a.empty()) << key;
    for (const auto& [step, v] : a)
      EXPECT_NEAR(b.at(step), v, kLossTolerance * std::fabs(v)) << key << " at step " << step;
  }
  const auto consumed = series(dir / "two", "consumed_samples");
  EXPECT_EQ(consumed.at(6), 48) << "6 steps of a global batch of 8";
  EXPECT_LE(weight_difference(dir / "one/checkpoints/step_00000006/model.safetensors",
                              dir / "two/checkpoints/step_00000006/model.safetensors"),
            kWeightTolerance);
}

TEST(DataParallel, ZeroOneShardsTheOptimizerAndChangesNothingElse) {
  test::TempDir dir;
  make_run(dir, 6, 100);
  const auto plain = train_two(dir, "plain");
  ASSERT_EQ(plain.exit_code, 0) << plain.output;
  const auto zero = train_two(dir, "zero", "--set train.zero_stage=1");
  ASSERT_EQ(zero.exit_code, 0) << zero.output;
  EXPECT_NE(zero.output.find("(ZeRO-1: 1/2 of it)"), std::string::npos) << zero.output;

  // Two-rank sums do not depend on their order and the gradient norm is
  // taken in fixed chunks, so sharding changes no bit of the result.
  for (const char* file : {"model.safetensors", "optimizer.safetensors"})
    EXPECT_TRUE(read_all(dir / "plain/checkpoints/step_00000006/" + file) ==
                read_all(dir / "zero/checkpoints/step_00000006/" + file))
        << file << " differs between plain data parallel and ZeRO-1";
  auto floats = [&](const std::string& run) {
    return metrics(run).front().at("optimizer_floats_per_rank").get<double>();
  };
  const double ratio = floats(dir / "zero") / floats(dir / "plain");
  EXPECT_GT(ratio, 0.4);
  EXPECT_LT(ratio, 0.6) << "rank 0 holds about half of AdamW's state";
}

TEST(DataParallel, CheckpointsResumeOnAnotherNumberOfRanks) {
  test::TempDir dir;
  make_run(dir, 6, 100);
  ASSERT_EQ(train_one(dir, "one").exit_code, 0);
  ASSERT_EQ(train_two(dir, "zero", "--set train.zero_stage=1").exit_code, 0);

  // 2 -> 1: ZeRO-1 shards written as whole tensors, read back by one process.
  auto r = train_two(dir, "two_then_one", "--set train.zero_stage=1 --until-step 3");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = train_one(dir, "two_then_one");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("resuming from step 3"), std::string::npos) << r.output;
  EXPECT_LE(weight_difference(dir / "one/checkpoints/step_00000006/model.safetensors",
                              dir / "two_then_one/checkpoints/step_00000006/model.safetensors"),
            kWeightTolerance);
  EXPECT_LE(weight_difference(dir / "one/checkpoints/step_00000006/optimizer.safetensors",
                              dir / "two_then_one/checkpoints/step_00000006/optimizer.safetensors"),
            1e-4)
      << "AdamW's moments carried over";

  // 1 -> 2: one process's checkpoint split into two shards.
  r = train_one(dir, "one_then_two", "--until-step 3");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = train_two(dir, "one_then_two", "--set train.zero_stage=1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("resuming from step 3"), std::string::npos) << r.output;
  EXPECT_LE(weight_difference(dir / "zero/checkpoints/step_00000006/model.safetensors",
                              dir / "one_then_two/checkpoints/step_00000006/model.safetensors"),
            kWeightTolerance);
  const auto a = series(dir / "zero", "loss"), b = series(dir / "one_then_two", "loss");
  for (std::int64_t step = 4; step <= 6; ++step)
    EXPECT_NEAR(b.at(step), a.at(step), kLossTolerance * a.at(step)) << "step " << step;
}

TEST(DataParallel, LaunchRunsTheJobOnThisMachine) {
  test::TempDir dir;
  make_run(dir, 6, 100);
  // `borealis launch` outside any scheduler: OpenMPI's mpirun, each rank on
  // its own core (the --mca settings of mpirun.h, as environment variables).
  const auto r = test::run_command(
      test::lsan_environment() +
      " OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none timeout 60 '" +
      test::binary() + "' launch --ranks-per-node 2 --threads-per-rank 1 -- " +
      train_command(dir, "launched"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("borealis launch: mpirun -np 2 --map-by slot:PE=1"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("8 samples (4 x 1 accumulation x 2 ranks)"), std::string::npos)
      << r.output;
  EXPECT_TRUE(fs::exists(dir / "launched/checkpoints/step_00000006/model.safetensors"));
}

TEST(DataParallel, AnErrorOnOneRankEndsTheJobNamingTheRank) {
  test::TempDir dir;
  make_run(dir, 6, 100);
  // A vocabulary too small for the data, and one held-out batch: rank 0
  // fails reading it while rank 1 already waits in the all-reduce of the
  // held-out loss.
  const auto r =
      train_two(dir, "bad", "--set model.vocab_size=40 --set train.eval_batches=1");
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.exit_code, 124) << "a rank hung: " << r.output;
  EXPECT_NE(r.output.find("borealis: error (rank 0 of 2): "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("outside the model's vocabulary of 40"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("(rank 1 of 2)"), std::string::npos) << "rank 1 had no error: " << r.output;
}

// The ranks of a job started in the background whose command line holds `marker`.
std::vector<int> rank_pids(const std::string& marker) {
  std::vector<int> pids;
  const auto r = test::run_command("pgrep -f -- '" + marker + "'");
  std::istringstream in(r.output);
  for (int pid; in >> pid;) {
    std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
    std::string name;
    std::getline(comm, name);
    if (name == "borealis") pids.push_back(pid);  // not mpirun, timeout or the shell
  }
  return pids;
}

TEST(DataParallel, AKilledRankEndsTheJobAndTheRunResumes) {
  test::TempDir dir;
  make_run(dir, 5000, 40100);  // far more steps than the test waits for
  const std::string log = dir / "job.log", rc = dir / "job.rc";
  // In the background; its exit code lands in job.rc. (Built by appending:
  // GCC 12 warns (-Wrestrict) on "lit" + string.)
  std::string job = "(";
  job += test::mpirun_prefix(2) + " '" + test::binary() + "' " +
         train_command(dir, "run", "--set train.checkpoint_every=2") + " > " + log +
         " 2>&1; echo $? > " + rc + ") > /dev/null 2>&1 &";
  test::run_command(job);
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::seconds(50);
  while (!fs::exists(dir / "run/checkpoints/latest") && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(fs::exists(dir / "run/checkpoints/latest")) << read_all(log);
  const auto pids = rank_pids(dir / "run.toml");
  ASSERT_EQ(pids.size(), 2u) << read_all(log);
  ASSERT_EQ(::kill(pids[1], SIGKILL), 0);

  const auto killed = Clock::now();
  while (!fs::exists(rc) && Clock::now() < killed + std::chrono::seconds(30))
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(fs::exists(rc)) << "the job still runs 30 s after a rank died";
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // rc written and closed
  EXPECT_NE(std::stoi(read_all(rc)), 0);
  EXPECT_TRUE(rank_pids(dir / "run.toml").empty()) << "no rank is left behind";
  const auto out = read_all(log);
  EXPECT_NE(out.find("rank"), std::string::npos) << out;
  EXPECT_NE(out.find("signal 9"), std::string::npos) << "names the cause: " << out;

  // The checkpoint the job left resumes.
  const auto latest = read_all(dir / "run/checkpoints/latest");
  const std::int64_t step = std::stoll(latest.substr(latest.find('_') + 1));
  const auto r = train_two(dir, "run", "--until-step " + std::to_string(step + 2));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("resuming from step " + std::to_string(step)), std::string::npos)
      << r.output;
  EXPECT_TRUE(fs::exists(dir / fmt::format("run/checkpoints/step_{:08d}", step + 2)));
}

}  // namespace
}  // namespace borealis
