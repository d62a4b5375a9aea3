// BlendScheduler (vectorised, branch-free) against Megatron's loop written
// out plainly here: every dataset's error
// w_i * max(k, 1) - count_i in double each sample, strict > (lowest index
// wins ties). Weight sets include exact ties, weights one ulp apart, tiny
// weights and thousands of datasets.

#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "borealis/data/blend_schedule.h"
#include "borealis/data/numpy_sum.h"

namespace borealis::data {
namespace {

std::vector<std::uint32_t> megatron_loop(const std::vector<double>& w, std::uint64_t size) {
  std::vector<std::int64_t> current(w.size(), 0);
  std::vector<std::uint32_t> out(size);
  for (std::uint64_t k = 0; k < size; ++k) {
    const double kk = std::max(static_cast<double>(k), 1.0);
    std::size_t best = 0;
    double best_error = w[0] * kk - static_cast<double>(current[0]);
    for (std::size_t i = 1; i < w.size(); ++i) {
      const double e = w[i] * kk - static_cast<double>(current[i]);
      if (e > best_error) {
        best_error = e;
        best = i;
      }
    }
    out[k] = static_cast<std::uint32_t>(best);
    ++current[best];
  }
  return out;
}

// Checks the scheduler against the loop; returns how it decided.
BlendScheduler::Stats expect_same(const std::vector<double>& raw, std::uint64_t size, const std::string& what) {
  const std::vector<double> w = numpy_normalize(raw);
  const auto expected = megatron_loop(w, size);
  BlendScheduler scheduler(w);
  std::vector<std::uint32_t> index(size);
  std::vector<std::int64_t> sample(size);
  for (std::uint64_t at = 0; at < size; at += 100000) {  // in chunks, as the index build asks
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(100000, size - at));
    scheduler.next(std::span<std::uint32_t>(index.data() + at, n), std::span<std::int64_t>(sample.data() + at, n));
  }
  std::vector<std::uint64_t> seen(w.size(), 0);
  for (std::uint64_t k = 0; k < size; ++k) {
    EXPECT_EQ(index[k], expected[k]) << what << " sample " << k;
    EXPECT_EQ(sample[k], static_cast<std::int64_t>(seen[expected[k]]++)) << what << " sample " << k;
    if (index[k] != expected[k]) break;
  }
  EXPECT_EQ(scheduler.counts(), seen) << what;
  const BlendSchedule s = build_blend_schedule(w, std::min<std::uint64_t>(size, 5000));  // the whole-schedule wrapper
  EXPECT_TRUE(std::equal(s.dataset_index.begin(), s.dataset_index.end(), expected.begin())) << what;
  return scheduler.stats();
}

TEST(BlendSchedule, ScanAndTreeAreMegatronsLoop) {
  expect_same({1.0}, 1000, "one dataset");
  expect_same({1, 1}, 1001, "two equal");
  expect_same({1, 1, 1, 1, 1, 1, 1}, 5000, "seven equal (ties every step)");
  expect_same({0.3, 0.2, 0.5}, 100000, "three");
  expect_same({1.0, std::nextafter(1.0, 2.0), 1.0, std::nextafter(1.0, 0.0)}, 100000, "one ulp apart");
  expect_same({1e-9, 1.0, 3e-7, 2.0}, 200000, "tiny weights");
  std::mt19937_64 rng(11);
  std::lognormal_distribution<double> size(0.0, 1.5);
  for (const std::size_t k : {5, 14, 33, 100, 173}) {
    std::vector<double> w(k);
    for (auto& x : w) x = size(rng);
    expect_same(w, 150000, std::to_string(k) + " lognormal");
  }
  std::vector<double> many(2419);
  for (auto& x : many) x = std::floor(size(rng) * 1000) + 1;  // integer token counts: many exact ties
  expect_same(many, 60000, "2419 datasets");
}

// From 384 lines (datasets, or groups of equal weight) the scheduler scans
// only those near the top (the level filter), after a first window of 4,096
// samples decided by the kinetic tournament; the tournament takes over where
// the filter does not pay. Long enough runs to cross many windows, level
// changes, hand-overs and the tournament's horizon rebuilds; equal weights
// make groups that take their members in turn.
TEST(BlendSchedule, LevelFilterIsMegatronsLoop) {
  std::mt19937_64 rng(12);
  std::lognormal_distribution<double> size(0.0, 1.5);
  for (const std::size_t k : {384, 700, 2419}) {
    std::vector<double> w(k);
    for (auto& x : w) x = size(rng);
    const auto stats = expect_same(w, k < 1000 ? 300000 : 120000, std::to_string(k) + " lognormal");
    // The first windows are crowded (most datasets not yet taken) and go to
    // the tournament; from 69,632 samples on the filter pays.
    EXPECT_GE(stats.filtered, (k < 1000 ? 300000u : 120000u) - 69632u) << k;
  }
  expect_same(std::vector<double>(300, 1.0), 100000, "300 equal (one line)");
  std::vector<double> few(500);
  for (auto& x : few) x = static_cast<double>(1 + rng() % 3);  // three distinct weights
  expect_same(few, 100000, "500 with three weights");
  std::vector<double> dominant(400, 1.0);
  dominant[200] = 400.0;  // one dataset takes half
  expect_same(dominant, 100000, "one dominant of 400");
  std::vector<double> pairs(800);  // 400 distinct weights, each twice: the filter over groups
  for (std::size_t i = 0; i < 400; ++i) pairs[i] = pairs[799 - i] = size(rng);
  expect_same(pairs, 200000, "800 in 400 equal pairs");
  std::vector<double> tiny(400);
  for (auto& x : tiny) x = size(rng);
  tiny[7] = 1e-12;  // wakes (almost) never
  expect_same(tiny, 200000, "400 with a tiny weight");
}

// Weights that crowd the top keep most lines awake; the tournament decides
// most samples there, exactly.
TEST(BlendSchedule, TournamentIsMegatronsLoop) {
  std::vector<double> near(400);  // distinct but nearly equal: near round robin
  for (std::size_t i = 0; i < near.size(); ++i) near[i] = 1.0 + 1e-9 * static_cast<double>(i);
  auto stats = expect_same(near, 200000, "400 nearly equal");
  EXPECT_GT(stats.tournament, 150000u);
  std::vector<double> ulps(1000, 1.0);  // 500 weights within 500 ulps, each twice: near ties everywhere
  for (std::size_t i = 0; i < ulps.size(); ++i)
    for (std::size_t u = 0; u < i % 500; ++u) ulps[i] = std::nextafter(ulps[i], 2.0);
  expect_same(ulps, 100000, "1000 within 500 ulps (500 lines)");
  std::vector<double> grouped(1200);  // 600 nearly equal weights, each twice: tie keys change on every win
  for (std::size_t i = 0; i < 600; ++i) grouped[i] = grouped[1199 - i] = 1.0 + 1e-7 * static_cast<double>(i);
  stats = expect_same(grouped, 100000, "600 nearly equal pairs");
  EXPECT_GT(stats.tournament, 60000u);
  std::mt19937_64 rng(13);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> skewed(500);  // one huge weight, the rest 1e-50 and below: errors all but equal
  for (auto& x : skewed) x = std::exp(3 * std::exp(normal(rng)));
  expect_same(skewed, 100000, "500 skewed");
  std::vector<double> zipf(1000);
  for (std::size_t i = 0; i < zipf.size(); ++i) zipf[i] = 1.0 / static_cast<double>(i + 1);
  expect_same(zipf, 100000, "1000 zipf");
}

}  // namespace
}  // namespace borealis::data
