// KineticTournament on its own, driven as the blend scheduler drives it,
// against Megatron's loop written out plainly (argmax of w_i max(k,1) -
// count_i in double, lowest index on ties), across its horizon rebuilds
// (the first at 8,192 samples, then at every doubling).

#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "borealis/data/kinetic_tournament.h"

namespace borealis::data {
namespace {

void expect_loop(const std::vector<double>& w, std::uint64_t size, const std::string& what) {
  std::vector<double> count(w.size(), 0.0), loop_count(w.size(), 0.0);
  KineticTournament t;
  const KineticTournament::Lines lines{w, count, {}};
  t.start(lines, 0);
  for (std::uint64_t k = 0; k < size; ++k) {
    const double kk = std::max(static_cast<double>(k), 1.0);
    std::size_t best = 0;
    for (std::size_t i = 1; i < w.size(); ++i)
      if (w[i] * kk - loop_count[i] > w[best] * kk - loop_count[best]) best = i;
    loop_count[best] += 1.0;
    const std::size_t got = t.winner(lines, k);
    ASSERT_EQ(got, best) << what << " sample " << k;
    count[got] += 1.0;
    t.changed(lines, got, k + 1);
  }
  // Amortized O(log n) decisions per sample (measured 1-3 log2 n).
  EXPECT_LT(static_cast<double>(t.decisions()) / static_cast<double>(size), 6 * std::log2(static_cast<double>(w.size()) + 2)) << what;
}

TEST(KineticTournament, IsMegatronsLoop) {
  expect_loop({1.0}, 1000, "one line");
  expect_loop({0.5, 0.5}, 20000, "two equal");
  expect_loop({0.2, 0.3, 0.5}, 20000, "three");
  std::mt19937_64 rng(21);
  std::lognormal_distribution<double> size(0.0, 1.5);
  for (const std::size_t n : {5, 100, 333}) {
    std::vector<double> w(n);
    double sum = 0;
    for (auto& x : w) sum += (x = size(rng));
    for (auto& x : w) x /= sum;
    expect_loop(w, 100000, std::to_string(n) + " lognormal");
  }
  std::vector<double> near(257);
  for (std::size_t i = 0; i < near.size(); ++i) near[i] = (1.0 + 1e-9 * static_cast<double>(i)) / 257.0;
  expect_loop(near, 300000, "257 nearly equal");
}

// Tie keys (the scheduler's groups: a line's key is its next dataset) decide
// equal errors, and change when the line wins.
TEST(KineticTournament, TieKeysDecideEqualErrors) {
  const std::vector<double> w{0.25, 0.25, 0.25, 0.25};
  std::vector<double> count(4, 0.0);
  std::vector<std::uint32_t> key{7, 3, 9, 5};
  KineticTournament t;
  const KineticTournament::Lines lines{w, count, key};
  t.start(lines, 0);
  EXPECT_EQ(t.winner(lines, 0), 1u);  // all errors equal: lowest key
  key[1] = 11;                       // its key changes (the group's next member), count does not
  t.changed(lines, 1, 1);
  EXPECT_EQ(t.winner(lines, 1), 3u);
  count[3] += 1.0;
  t.changed(lines, 3, 2);
  EXPECT_EQ(t.winner(lines, 2), 0u);
}

}  // namespace
}  // namespace borealis::data
