// Blend schedule: Borealis' BlendScheduler against Megatron's loop
// (helpers.cpp build_blending_indices: every dataset's error, every sample),
// written out plainly here in the same double arithmetic. Both run in this
// process on the same weights; the schedules are compared sample by sample
// over the peer's run, so a speed-up never hides a different answer.
//
// Usage: bench_blend_schedule [SAMPLES_MILLIONS=2]
// Weight shapes: lognormal (file sizes), nearly equal (1 + 1e-9 i: distinct
// weights crowding the top), Zipf (1/i), equal. The peer runs at most
// 2e8 / datasets samples (it is O(samples x datasets)); its ns per sample is
// from that run.

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "borealis/data/blend_schedule.h"
#include "borealis/data/numpy_sum.h"
#include "bench_timing.h"

using borealis::data::BlendScheduler;

namespace {

using borealis::bench::seconds_since;


// Megatron's loop: argmax_i w_i max(k,1) - count_i, lowest index on ties.
std::vector<std::uint32_t> megatron_loop(const std::vector<double>& w, std::uint64_t size) {
  std::vector<double> count(w.size(), 0.0);
  std::vector<std::uint32_t> out(size);
  for (std::uint64_t k = 0; k < size; ++k) {
    const double kk = std::max(static_cast<double>(k), 1.0);
    std::size_t best = 0;
    double best_error = w[0] * kk - count[0];
    for (std::size_t i = 1; i < w.size(); ++i) {
      const double e = w[i] * kk - count[i];
      if (e > best_error) {
        best_error = e;
        best = i;
      }
    }
    out[k] = static_cast<std::uint32_t>(best);
    count[best] += 1.0;
  }
  return out;
}

std::vector<double> weights(const std::string& shape, std::size_t n) {
  std::mt19937_64 rng(n);
  std::lognormal_distribution<double> lognormal(0.0, 1.0);
  std::vector<double> w(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (shape == "lognormal") w[i] = lognormal(rng);
    else if (shape == "nearly-equal") w[i] = 1.0 + 1e-9 * static_cast<double>(i);
    else if (shape == "zipf") w[i] = 1.0 / static_cast<double>(i + 1);
    else w[i] = 1.0;
  }
  return borealis::data::numpy_normalize(w);
}

}  // namespace

int main(int argc, char** argv) {
  const double millions = argc > 1 ? std::atof(argv[1]) : 2.0;
  const auto samples = static_cast<std::uint64_t>(millions * 1e6);
  if (samples == 0) {
    std::fprintf(stderr, "usage: bench_blend_schedule [SAMPLES_MILLIONS=2]\n");
    return 2;
  }
  std::printf("blend schedule, %llu samples per run; peer: Megatron's loop (C++ helper's arithmetic), one thread\n",
              static_cast<unsigned long long>(samples));
  std::printf("%9s %-13s %12s %12s %8s   %s\n", "datasets", "weights", "borealis ns", "megatron ns", "ratio",
              "decided by (filter / full scan / tournament)");
  int mismatches = 0;
  for (const std::size_t n : {14, 256, 512, 2419, 10000}) {
    for (const std::string shape : {"lognormal", "nearly-equal", "zipf", "equal"}) {
      const std::vector<double> w = weights(shape, n);
      BlendScheduler scheduler(w);
      std::vector<std::uint32_t> index(samples);
      std::vector<std::uint32_t> sample(samples);
      auto t0 = std::chrono::steady_clock::now();
      scheduler.next(std::span<std::uint32_t>(index), std::span<std::uint32_t>(sample));
      const double ours = seconds_since(t0) * 1e9 / static_cast<double>(samples);

      const std::uint64_t peer_samples = std::min<std::uint64_t>(samples, 200'000'000 / n);
      t0 = std::chrono::steady_clock::now();
      const std::vector<std::uint32_t> expected = megatron_loop(w, peer_samples);
      const double peer = seconds_since(t0) * 1e9 / static_cast<double>(peer_samples);
      std::uint64_t first_bad = peer_samples;
      for (std::uint64_t k = 0; k < peer_samples && first_bad == peer_samples; ++k)
        if (index[k] != expected[k]) first_bad = k;

      const auto& s = scheduler.stats();
      const double decided = static_cast<double>(s.filtered + s.scanned + s.tournament);
      std::string how = "scan (" + std::to_string(scheduler.line_count()) + (scheduler.line_count() == 1 ? " line)" : " lines)");
      if (decided > 0) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "%5.1f%% / %4.1f%% / %5.1f%%", 100.0 * s.filtered / decided,
                      100.0 * s.scanned / decided, 100.0 * s.tournament / decided);
        how = buf;
      }
      std::printf("%9zu %-13s %12.1f %12.1f %7.1fx   %s\n", n, shape.c_str(), ours, peer, peer / ours, how.c_str());
      if (first_bad != peer_samples) {
        std::printf("  MISMATCH at sample %llu\n", static_cast<unsigned long long>(first_bad));
        ++mismatches;
      }
      std::fflush(stdout);
    }
  }
  return mismatches == 0 ? 0 : 1;
}
