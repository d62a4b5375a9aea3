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

void expect_same(const std::vector<double>& raw, std::uint64_t size, const std::string& what) {
  const std::vector<double> w = numpy_normalize(raw);
  const auto expected = megatron_loop(w, size);
  {
    const BlendSchedule s = build_blend_schedule(w, size);
    std::vector<std::uint64_t> seen(w.size(), 0);
    for (std::uint64_t k = 0; k < size; ++k) {
      ASSERT_EQ(s.dataset_index[k], expected[k]) << what << " sample " << k;
      ASSERT_EQ(s.dataset_sample_index[k], static_cast<std::int64_t>(seen[expected[k]]++)) << what << " sample " << k;
    }
    EXPECT_EQ(s.counts, seen) << what;
  }
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

// From 256 lines (datasets, or groups of equal weight) the scheduler scans
// only those near the top (the level filter), after a first window of 4,096
// samples scanned in full; it falls back to the full scan where the filter
// does not pay. Long enough runs to cross many windows, level changes and
// back-offs; equal weights make groups that take their members in turn.
TEST(BlendSchedule, LevelFilterIsMegatronsLoop) {
  std::mt19937_64 rng(12);
  std::lognormal_distribution<double> size(0.0, 1.5);
  for (const std::size_t k : {256, 700, 2419}) {
    std::vector<double> w(k);
    for (auto& x : w) x = size(rng);
    expect_same(w, k < 1000 ? 300000 : 120000, std::to_string(k) + " lognormal");
  }
  expect_same(std::vector<double>(300, 1.0), 100000, "300 equal (ties every step; the filter backs off)");
  std::vector<double> few(500);
  for (auto& x : few) x = static_cast<double>(1 + rng() % 3);  // three distinct weights
  expect_same(few, 100000, "500 with three weights");
  std::vector<double> dominant(400, 1.0);
  dominant[200] = 400.0;  // one dataset takes half
  expect_same(dominant, 100000, "one dominant of 400");
  std::vector<double> pairs(600);  // 300 distinct weights, each twice: the filter over groups
  for (std::size_t i = 0; i < 300; ++i) pairs[i] = pairs[599 - i] = size(rng);
  expect_same(pairs, 200000, "600 in 300 equal pairs");
  std::vector<double> tiny(300);
  for (auto& x : tiny) x = size(rng);
  tiny[7] = 1e-12;  // wakes (almost) never
  expect_same(tiny, 200000, "300 with a tiny weight");
}

}  // namespace
}  // namespace borealis::data
