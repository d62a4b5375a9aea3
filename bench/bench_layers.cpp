// Where a training step of the bench_train model goes, operation by
// operation: each layer function timed alone at the benchmark's shapes
// (GPT-2 style, 6 layers, d_model 256, 8 heads, context 256, vocab 8192,
// batch 8 = 2,048 tokens), next to the 2048³ SGEMM rate measured in the
// same run. Per operation: the median of REPS calls, its count per step,
// the milliseconds a step spends in it, and for the matmuls GFLOP/s and the
// share of SGEMM. Between calls a 160 MB buffer is read, so every call
// starts with cold caches as it does inside a step (the step's other
// operations evict what the last one touched).
//
//   build/bench/bench_layers [REPS=15] [THREADS]
//
// No peer runs here: bench_train compares the whole step with PyTorch.

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "borealis/model/layers.h"
#include "borealis/model/model_config.h"
#include "borealis/model/parameter_layout.h"
#include "borealis/train/adamw.h"
#include "bench_timing.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace borealis::model;

std::vector<float> eviction(40'000'000, 1.0f);
volatile float sink = 0;

void evict() {
  float s = 0;
  for (std::size_t i = 0; i < eviction.size(); i += 16) s += eviction[i];
  sink = sink + s;
}

double median_ms(int reps, const std::function<void()>& f) {
  std::vector<double> t;
  f();  // warm-up: first-touch page faults are not the operation's
  for (int i = 0; i < reps; ++i) {
    evict();
    const auto a = Clock::now();
    f();
    t.push_back(1e3 * borealis::bench::seconds_since(a));
  }
  return borealis::bench::median(t);
}

std::vector<float> random_floats(std::size_t n, std::mt19937& rng, float sd) {
  std::normal_distribution<float> normal(0.0f, sd);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::max(3, std::atoi(argv[1])) : 15;
  if (argc > 2) omp_set_num_threads(std::atoi(argv[2]));
  constexpr std::int64_t B = 8, T = 256, C = 256, NH = 8, D = 32, F = 4 * C, V = 8192, L = 6;
  constexpr std::int64_t N = B * T;
  std::mt19937 rng(1);

  const int n = 2048;
  auto a = random_floats(static_cast<std::size_t>(n) * n, rng, 1), b = a, cm = a;
  const double sgemm_ms = median_ms(std::max(3, reps / 3), [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f,
                cm.data(), n);
  });
  const double sgemm = 2.0 * n * n * n / sgemm_ms / 1e6;
  std::printf("bench_layers: %lld tokens (batch %lld x context %lld), d_model %lld, %lld heads, vocab %lld, "
              "%d threads; SGEMM 2048^3 %.1f GFLOP/s; medians of %d calls, caches flushed before each\n",
              static_cast<long long>(N), static_cast<long long>(B), static_cast<long long>(T),
              static_cast<long long>(C), static_cast<long long>(NH), static_cast<long long>(V),
              omp_get_max_threads(), sgemm, reps);
  std::printf("%-34s %9s %6s %10s %9s %7s\n", "operation", "ms/call", "calls", "ms/step", "GFLOP/s", "share");
  double total = 0;
  auto row = [&](const std::string& name, double ms, int calls, double flops) {
    total += ms * calls;
    if (flops > 0)
      std::printf("%-34s %9.2f %6d %10.1f %9.1f %6.0f%%\n", name.c_str(), ms, calls, ms * calls,
                  flops / ms / 1e6, 100.0 * flops / ms / 1e6 / sgemm);
    else
      std::printf("%-34s %9.2f %6d %10.1f\n", name.c_str(), ms, calls, ms * calls);
  };

  auto x = random_floats(N * F, rng, 0.5f), dx = random_floats(N * F, rng, 0.5f);
  auto y = random_floats(N * V, rng, 0.5f), dy = random_floats(N * V, rng, 0.01f);
  auto w = random_floats(V * C, rng, 0.02f), dw = random_floats(V * C, rng, 0.0f);
  auto bias = random_floats(V, rng, 0.0f), dbias = bias;
  auto linear = [&](const std::string& name, std::int64_t I, std::int64_t O, int calls, bool has_bias) {
    const float* bp = has_bias ? bias.data() : nullptr;
    const double flops = 2.0 * N * I * O;
    row(name + " forward", median_ms(reps, [&] { linear_forward(y.data(), x.data(), w.data(), bp, N, I, O); }),
        calls, flops);
    row(name + " backward", median_ms(reps, [&] {
          linear_backward(dx.data(), dw.data(), has_bias ? dbias.data() : nullptr, dy.data(), x.data(), w.data(), N,
                          I, O, 1.0f);
        }),
        calls, 2 * flops);
  };
  linear("qkv (256 -> 768)", C, 3 * C, L, true);
  linear("attention out (256 -> 256)", C, C, L, true);
  linear("mlp fc (256 -> 1024)", C, F, L, true);
  linear("mlp proj (1024 -> 256)", F, C, L, true);
  linear("vocabulary (256 -> 8192)", C, V, 1, false);

  auto qkv = random_floats(N * 3 * C, rng, 1.0f), att = random_floats(N * C, rng, 1.0f),
       lse = random_floats(N * NH, rng, 1.0f), dqkv = qkv, datt = random_floats(N * C, rng, 1.0f);
  std::vector<float> probs(static_cast<std::size_t>(attention_probability_floats(B, T, NH)));
  // Causal attention's real work: QKᵀ and P·V over the lower triangle
  // forward, four such products backward.
  const double att_flops = 2.0 * 2 * B * NH * (T * (T + 1) / 2) * D;
  row("attention forward (kept probs)", median_ms(reps, [&] {
        attention_forward(att.data(), lse.data(), probs.data(), qkv.data(), B, T, NH, NH, D);
      }),
      L, att_flops);
  row("attention backward (kept probs)", median_ms(reps, [&] {
        attention_backward(dqkv.data(), datt.data(), att.data(), lse.data(), probs.data(), qkv.data(), B, T, NH,
                           NH, D);
      }),
      L, 2 * att_flops);

  auto mean = random_floats(N, rng, 1), rstd = mean, nw = random_floats(C, rng, 1), nb = nw, gw = nw, gb = nw;
  row("layernorm forward", median_ms(reps, [&] {
        layer_norm_forward(y.data(), mean.data(), rstd.data(), x.data(), nw.data(), nb.data(), N, C, 1e-5f);
      }),
      2 * L + 1, 0);
  row("layernorm backward", median_ms(reps, [&] {
        layer_norm_backward(dx.data(), gw.data(), gb.data(), dy.data(), x.data(), nw.data(), mean.data(),
                            rstd.data(), N, C);
      }),
      2 * L + 1, 0);
  row("gelu forward", median_ms(reps, [&] { gelu_forward(y.data(), x.data(), N * F); }), L, 0);
  row("gelu backward", median_ms(reps, [&] { gelu_backward(dx.data(), dy.data(), x.data(), N * F); }), L, 0);

  std::vector<std::int32_t> targets(N);
  for (auto& t : targets) t = static_cast<std::int32_t>(rng() % V);
  auto logits = random_floats(N * V, rng, 1.0f);
  row("cross-entropy forward+backward", median_ms(reps, [&] {
        cross_entropy_fused(logits.data(), targets.data(), N, V, V, 1.0f / N);
      }),
      1, 0);

  ModelConfig mc;
  mc.family = Family::gpt2;
  mc.n_layers = L;
  mc.d_model = C;
  mc.n_heads = NH;
  mc.n_kv_heads = NH;
  mc.vocab_size = V;
  mc.max_seq_len = T;
  const ParameterLayout layout(mc);
  auto params = random_floats(layout.total(), rng, 0.02f), grads = random_floats(layout.total(), rng, 0.01f);
  borealis::train::AdamW opt(layout, {});
  row("gradient norm + clipped AdamW", median_ms(reps, [&] {
        const double norm = borealis::train::gradient_norm(layout, grads);
        opt.step(params, grads, 1e-4, borealis::train::clip_factor(norm, 1.0));
      }),
      1, 0);
  std::printf("%-34s %9s %6s %10.1f   (a step also looks up embeddings and clears the gradients)\n",
              "sum of the operations above", "", "", total);
  return sink == 12345.0f ? 1 : 0;
}
