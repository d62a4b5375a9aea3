// Data-parallel scaling on one machine: the training issue's benchmark model
// (GPT-2 style, 6 layers, d_model 256, 8 heads, context 256, vocab 8192:
// 6.9M parameters) with a global batch of 8 sequences (2,048 tokens) a step,
//   1 rank  x 2 threads   (this process)
//   2 ranks x 1 thread    (mpirun -np 2), plain data parallel
//   2 ranks x 1 thread    plain, the whole exchange after backward (no buckets)
//   2 ranks x 1 thread    with ZeRO-1 (optimizer state sharded)
// A step is what `borealis train` does: forward (training pass), backward with
// the gradient buckets started as layers finish, the exchange, the gradient
// norm, clipping, AdamW on the rank's range, the parameter all-gather. It
// prints tokens/s, AdamW state per rank, and under mpirun the MPI_Allreduce
// bandwidth of the gradient size (27.6 MB) measured in the same run.
//
// Usage: bench_data_parallel [STEPS]   (default 8 timed steps after 2 warm-up)
// It starts the two-rank runs itself (mpirun must be on PATH); `--worker MODE
// STEPS` is that rank-side entry point.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#define OMPI_SKIP_MPICXX 1
#include <mpi.h>
#include <omp.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "borealis/dist/gradient_exchange.h"
#include "borealis/dist/mpi_world.h"
#include "borealis/model/transformer.h"
#include "borealis/train/adamw.h"
#include "bench_timing.h"

using Clock = std::chrono::steady_clock;
using borealis::model::Transformer;

namespace {

using borealis::bench::median;
using borealis::bench::seconds_since;



borealis::model::ModelConfig bench_model() {
  borealis::model::ModelConfig c;
  c.family = borealis::model::Family::gpt2;
  c.n_layers = 6;
  c.d_model = 256;
  c.n_heads = 8;
  c.n_kv_heads = 8;
  c.vocab_size = 8192;
  c.max_seq_len = 256;
  c.tied_embeddings = true;
  return c;
}

// Runs `steps` timed steps on this rank; the result as JSON (rank 0's view).
nlohmann::json run(bool zero, bool overlap, int steps) {
  auto& world = borealis::dist::MpiWorld::get();
  const auto c = bench_model();
  const int global_batch = 8, T = c.max_seq_len;
  const int B = global_batch / world.size();
  Transformer model(c);
  model.init_weights(0);
  borealis::dist::GradientExchange exchange(world, model.layout().total(), zero);
  borealis::train::AdamW opt(model.layout(), {0.9, 0.95, 1e-8, 0.1}, exchange.shard_begin(),
                             exchange.shard_end());
  std::mt19937 rng(static_cast<unsigned>(1 + world.rank()));
  std::vector<std::int32_t> x(static_cast<std::size_t>(B) * T), y(x.size());
  for (auto& t : x) t = static_cast<std::int32_t>(rng() % 8192);
  for (auto& t : y) t = static_cast<std::int32_t>(rng() % 8192);
  auto grads = model.gradients();
  const Transformer::GradientsReady ready = [&](std::size_t off, std::size_t n) {
    exchange.start(grads, off, n);
    exchange.progress();
  };
  std::vector<double> times, waits;
  for (int s = 0; s < steps + 2; ++s) {
    if (world.initialized_mpi()) MPI_Barrier(MPI_COMM_WORLD);
    const auto t0 = Clock::now();
    model.forward(x, y, B, T, Transformer::Pass::training);
    model.zero_grad();
    model.backward(1.0f, world.size() > 1 && overlap ? ready : Transformer::GradientsReady{});
    const auto tw = Clock::now();
    exchange.finish(grads);
    if (s >= 2) waits.push_back(seconds_since(tw));
    const double norm = exchange.gradient_norm(grads);
    opt.step(model.parameters(), grads, 3e-4, borealis::train::clip_factor(norm, 1.0));
    exchange.gather_parameters(model.parameters());
    if (s >= 2) times.push_back(seconds_since(t0));
  }
  // The slowest rank sets the pace.
  double step = median(times);
  if (world.initialized_mpi()) MPI_Allreduce(MPI_IN_PLACE, &step, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);

  double allreduce_gbs = 0;
  if (world.initialized_mpi() && world.size() > 1) {
    std::vector<float> buf(model.layout().total(), 1.0f);
    std::vector<double> t;
    for (int i = 0; i < 7; ++i) {
      MPI_Barrier(MPI_COMM_WORLD);
      const auto a = Clock::now();
      MPI_Allreduce(MPI_IN_PLACE, buf.data(), static_cast<int>(buf.size()), MPI_FLOAT, MPI_SUM,
                    MPI_COMM_WORLD);
      t.push_back(seconds_since(a));
    }
    allreduce_gbs = static_cast<double>(buf.size()) * sizeof(float) / median(t) / 1e9;
  }
  return {{"ranks", world.size()},
          {"threads", omp_get_max_threads()},
          {"zero", zero},
          {"exchange_wait_ms", median(waits) * 1e3},
          {"step_s", step},
          {"tokens_per_s", global_batch * T / step},
          {"optimizer_mb_per_rank", static_cast<double>(opt.m().size()) * 2 * 4 / 1e6},
          {"gradient_mb", static_cast<double>(model.layout().total()) * 4 / 1e6},
          {"allreduce_gb_per_s", allreduce_gbs}};
}

nlohmann::json run_two_ranks(const std::string& self, const char* mode, int steps) {
  std::string cmd = "OMP_NUM_THREADS=1 mpirun -np 2 -x OMP_NUM_THREADS --oversubscribe --mca btl "
                    "self,vader --mca btl_vader_single_copy_mechanism none";
  if (::geteuid() == 0) cmd += " --allow-run-as-root";
  cmd += fmt::format(" '{}' --worker {} {} 2>&1", self, mode, steps);
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return {};
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  if (::pclose(pipe) != 0 || out.rfind('{') == std::string::npos) {
    std::fprintf(stderr, "bench_data_parallel: mpirun failed:\n%s\n", out.c_str());
    return {};
  }
  return nlohmann::json::parse(out.substr(out.rfind('{')));
}

void print_row(const char* name, const nlohmann::json& r, double base) {
  if (r.is_null()) return;
  fmt::print("{:<36} {:>8.1f} {:>10.0f} {:>8.2f}x {:>12.1f} {:>9.1f} {:>14}\n", name,
             r["step_s"].get<double>() * 1e3, r["tokens_per_s"].get<double>(),
             r["tokens_per_s"].get<double>() / base, r["optimizer_mb_per_rank"].get<double>(),
             r["exchange_wait_ms"].get<double>(),
             r["allreduce_gb_per_s"].get<double>() > 0
                 ? fmt::format("{:.2f} GB/s", r["allreduce_gb_per_s"].get<double>())
                 : std::string("-"));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 4 && std::string(argv[1]) == "--worker") {
    const std::string mode = argv[2];
    const auto r = run(mode == "zero", mode != "plain-after", std::atoi(argv[3]));
    if (borealis::dist::MpiWorld::get().rank() == 0) fmt::print("{}\n", r.dump());
    return 0;
  }
  const int steps = argc > 1 ? std::atoi(argv[1]) : 8;
  char self[4096] = {};
  if (::readlink("/proc/self/exe", self, sizeof(self) - 1) <= 0) return 1;
  omp_set_num_threads(2);
  const auto one = run(false, true, steps);
  const auto plain = run_two_ranks(self, "plain", steps);
  const auto after = run_two_ranks(self, "plain-after", steps);
  const auto zero = run_two_ranks(self, "zero", steps);
  fmt::print(
      "bench_data_parallel: GPT-2 style 6.9M parameters, global batch 8 x 256 = 2,048 tokens per "
      "step, {} timed steps (median; the slowest rank)\n",
      steps);
  fmt::print("{:<36} {:>8} {:>10} {:>9} {:>12} {:>9} {:>14}\n", "configuration", "step ms",
             "tokens/s", "vs 1x2", "AdamW MB/rank", "wait ms", "allreduce");
  const double base = one["tokens_per_s"].get<double>();
  print_row("1 rank x 2 threads", one, base);
  print_row("2 ranks x 1 thread", plain, base);
  print_row("2 ranks x 1 thread, exchange at end", after, base);
  print_row("2 ranks x 1 thread, ZeRO-1", zero, base);
  fmt::print(
      "gradient {:.1f} MB per step and rank; 'wait ms': time in the exchange's finish() after "
      "backward (buckets started during backward, or all of it at the end)\n",
      one["gradient_mb"].get<double>());
  return 0;
}
