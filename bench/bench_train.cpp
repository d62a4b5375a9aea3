// Training throughput: the training issue's benchmark model -- GPT-2 style,
// 6 layers, d_model 256, 8 heads, context 256, vocab 8192, batch 8 (6.9M
// parameters, 2,048 tokens per step) -- and the Llama variant of the same
// size, trained by Borealis and by PyTorch (bench/train_torch_peer.py, run
// with Debian's python3-torch on OpenBLAS's OpenMP build) in the same run,
// on the same number of threads. A step is forward + backward + gradient
// clipping + AdamW. It also measures the machine's SGEMM rate (2048³,
// OpenBLAS, same threads) and prints each trainer's achieved GFLOP/s
// (llm.c's count: 6·params + 6·layers·context·d_model per token) as a share
// of it.
//
// Usage: bench_train [STEPS] [THREADS] [ROUNDS]   (defaults 8 timed steps, all cores, 3 rounds)
// BENCH_TRAIN_NO_PEER=1 skips PyTorch (to profile Borealis alone);
// BENCH_TRAIN_FAMILY=gpt2|llama runs one family.

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "borealis/model/transformer.h"
#include "borealis/train/adamw.h"
#include "bench_timing.h"

using Clock = std::chrono::steady_clock;
using borealis::model::Family;
using borealis::model::ModelConfig;

namespace {

using borealis::bench::median;
using borealis::bench::seconds_since;



// One 2048³ SGEMM (about 0.1 s), GFLOP/s.
double sgemm_once() {
  static const int n = 2048;
  static std::vector<float> a(static_cast<std::size_t>(n) * n, 0.5f), b(a.size(), 0.25f),
      c(a.size());
  const auto t = Clock::now();
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n,
              0.0f, c.data(), n);
  return 2.0 * n * n * n / seconds_since(t) / 1e9;
}

struct Timing {
  double step = 0, forward = 0, backward = 0, update = 0, loss = 0;
  double sgemm = 0;  // median SGEMM rate measured around/between this trainer's steps
};

Timing run_borealis(const ModelConfig& c, int B, int steps) {
  borealis::model::Transformer model(c);
  model.init_weights(0);
  borealis::train::AdamW opt(model.layout(), {0.9, 0.95, 1e-8, 0.1});
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> tok(0, c.vocab_size - 1);
  std::vector<std::int32_t> x(static_cast<std::size_t>(B) * c.max_seq_len), y(x.size());
  for (auto& t : x) t = tok(rng);
  for (auto& t : y) t = tok(rng);
  std::vector<double> step, fwd, bwd, upd, sgemm;
  Timing r;
  for (int s = 0; s < steps + 2; ++s) {
    const auto t0 = Clock::now();
    r.loss = model.forward(x, y, B, c.max_seq_len, borealis::model::Transformer::Pass::training);
    const double f = seconds_since(t0);
    const auto t1 = Clock::now();
    model.zero_grad();
    model.backward();
    const double b = seconds_since(t1);
    const auto t2 = Clock::now();
    const double norm = borealis::train::gradient_norm(model.layout(), model.gradients());
    opt.step(model.parameters(), model.gradients(), 3e-4, borealis::train::clip_factor(norm, 1.0));
    const double u = seconds_since(t2);
    if (s >= 2) {
      step.push_back(seconds_since(t0));
      fwd.push_back(f);
      bwd.push_back(b);
      upd.push_back(u);
      sgemm.push_back(sgemm_once());  // after the step is timed: the same window, not inside it
    }
  }
  r.step = median(step);
  r.forward = median(fwd);
  r.backward = median(bwd);
  r.update = median(upd);
  r.sgemm = median(sgemm);
  return r;
}

bool run_torch(const ModelConfig& c, int B, int steps, int threads, Timing& r,
               std::string& version) {
  const std::string cmd = fmt::format(
      "OMP_NUM_THREADS={0} LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp "
      "/usr/bin/python3 "
      "{1}/train_torch_peer.py --family {2} --layers {3} --d-model {4} --heads {5} --kv-heads {6} "
      "--seq {7} "
      "--vocab {8} --batch {9} --steps {10} --threads {0}",
      threads, BOREALIS_BENCH_DIR, borealis::model::family_name(c.family), c.n_layers, c.d_model,
      c.n_heads, c.kv_heads(), c.max_seq_len, c.vocab_size, B, steps);
  std::vector<double> sgemm;
  for (int i = 0; i < 4; ++i) sgemm.push_back(sgemm_once());
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return false;
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  if (::pclose(pipe) != 0) return false;
  for (int i = 0; i < 4; ++i) sgemm.push_back(sgemm_once());
  r.sgemm = median(sgemm);
  try {
    const auto j = nlohmann::json::parse(out.substr(out.rfind('{')));
    r.step = j.at("step_s");
    r.forward = j.at("forward_s");
    r.backward = j.at("backward_s");
    r.update = j.at("update_s");
    r.loss = j.at("loss");
    version = j.at("torch");
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int steps = argc > 1 ? std::atoi(argv[1]) : 8;
  const int threads = argc > 2 ? std::atoi(argv[2]) : omp_get_max_threads();
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 3;
  omp_set_num_threads(threads);
  const int B = 8;
  const bool peer = std::getenv("BENCH_TRAIN_NO_PEER") == nullptr;
  fmt::print(
      "bench_train: batch {} x context 256 = 2,048 tokens per step, {} threads, {} timed steps per "
      "trainer and round, {} rounds; SGEMM 2048^3 timed between Borealis' steps and around "
      "PyTorch's "
      "process\n",
      B, threads, steps, rounds);
  fmt::print("{:<6} {:<5} {:<11} {:>9} {:>8} {:>8} {:>7} {:>9} {:>8} {:>7} {:>8}\n", "model",
             "round", "trainer", "step ms", "fwd ms", "bwd ms", "upd ms", "tokens/s", "GFLOP/s",
             "SGEMM", "share");
  for (auto family : {Family::gpt2, Family::llama}) {
    if (const char* only = std::getenv("BENCH_TRAIN_FAMILY");
        only != nullptr && only != std::string(borealis::model::family_name(family)))
      continue;
    ModelConfig c;
    c.family = family;
    c.n_layers = 6;
    c.d_model = 256;
    c.n_heads = 8;
    c.n_kv_heads = 8;
    c.max_seq_len = 256;
    c.vocab_size = 8192;
    const char* name = borealis::model::family_name(family);
    const double flops = c.training_flops_per_token(c.max_seq_len);
    const double tokens = static_cast<double>(B) * c.max_seq_len;
    std::vector<double> ours_tps, ours_share, peer_tps, peer_share, ratios;
    for (int r = 1; r <= rounds; ++r) {
      // Each trainer's share is of the SGEMM rate measured in its own window
      // (between Borealis' steps; before and after PyTorch's process): on a
      // shared VM the rate moves with the neighbours' load.
      auto row = [&](const std::string& who, const Timing& t, std::vector<double>& tps_out,
                     std::vector<double>& share_out) {
        const double tps = tokens / t.step;
        tps_out.push_back(tps);
        const double sgemm = t.sgemm;
        share_out.push_back(tps * flops / 1e9 / sgemm);
        fmt::print(
            "{:<6} {:<5} {:<11} {:>9.1f} {:>8.1f} {:>8.1f} {:>7.1f} {:>9.0f} {:>8.1f} {:>7.1f} "
            "{:>7.0f}%\n",
            name, r, who, t.step * 1e3, t.forward * 1e3, t.backward * 1e3, t.update * 1e3, tps,
            tps * flops / 1e9, sgemm, 100.0 * share_out.back());
        std::fflush(stdout);
      };
      row("borealis", run_borealis(c, B, steps), ours_tps, ours_share);
      if (!peer) continue;
      Timing torch;
      std::string version;
      if (!run_torch(c, B, steps, threads, torch, version)) {
        fmt::print("{:<6} PyTorch peer did not run (needs /usr/bin/python3 with python3-torch)\n",
                   name);
        continue;
      }
      row("torch " + version.substr(0, version.find('a')), torch, peer_tps, peer_share);
      ratios.push_back(ours_tps.back() / peer_tps.back());
    }
    fmt::print(
        "{:<6} {} params, {:.1f} MFLOP/token. Borealis: {:.0f} tokens/s, {:.0f}% of SGEMM (median "
        "of {} rounds)",
        name, c.parameter_count(), flops / 1e6, median(ours_tps), 100 * median(ours_share),
        ours_tps.size());
    if (!ratios.empty())
      fmt::print(
          "; PyTorch: {:.0f} tokens/s, {:.0f}% of SGEMM; ratio {:.2f}x (rounds: {:.2f}-{:.2f})",
          median(peer_tps), 100 * median(peer_share), median(ratios),
          *std::min_element(ratios.begin(), ratios.end()),
          *std::max_element(ratios.begin(), ratios.end()));
    fmt::print("\n");
  }
  return 0;
}
