// Linear layers (linear.cpp) against the definition computed in double, on
// every way a call is divided between threads: one sgemm that OpenBLAS
// splits itself (few rows, or one thread), rows of the output per thread,
// and in backward half the threads on the input gradient and half on the
// weight gradient (even counts) or every thread on a part of each (odd
// counts), with and without an input gradient. Parts end on multiples of 16
// rows, so row counts that are not are included. The PyTorch oracle covers
// the model at small sizes, where only the first way runs.

#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <ostream>
#include <random>
#include <vector>

#include <fmt/format.h>

#include "borealis/model/layers.h"

namespace borealis::model {
namespace {

struct Case {
  std::int64_t N, I, O;
  int threads;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << "N " << c.N << ", I " << c.I << ", O " << c.O << ", " << c.threads << " threads";
}

std::vector<float> random_values(std::size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

// Largest |got - want| relative to the largest |want|; infinite where a
// value is not finite (an entry never written stays NaN).
double relative_error(const std::vector<float>& got, const std::vector<double>& want) {
  double err = 0, scale = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (!std::isfinite(got[i])) return INFINITY;
    err = std::max(err, std::abs(static_cast<double>(got[i]) - want[i]));
    scale = std::max(scale, std::abs(want[i]));
  }
  return err / scale;
}

class LinearThreads : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override { saved_ = omp_get_max_threads(); }
  void TearDown() override { omp_set_num_threads(saved_); }
  int saved_ = 1;
};

TEST_P(LinearThreads, ForwardAndBackwardMatchTheDefinition) {
  const auto [N, I, O, threads] = GetParam();
  omp_set_num_threads(threads);
  std::mt19937 rng(static_cast<unsigned>(N * 7 + O));
  const auto x = random_values(static_cast<std::size_t>(N * I), rng);
  const auto w = random_values(static_cast<std::size_t>(O * I), rng);
  const auto b = random_values(static_cast<std::size_t>(O), rng);
  const auto residual = random_values(static_cast<std::size_t>(N * O), rng);
  const auto dy = random_values(static_cast<std::size_t>(N * O), rng);
  const float alpha = 0.5f;

  std::vector<double> y_ref(static_cast<std::size_t>(N * O)), dx_ref(static_cast<std::size_t>(N * I), 0.0),
      dw_ref(static_cast<std::size_t>(O * I)), db_ref(static_cast<std::size_t>(O));
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t o = 0; o < O; ++o) {
      double acc = double{residual[n * O + o]} + b[o];
      for (std::int64_t i = 0; i < I; ++i) acc += double{x[n * I + i]} * w[o * I + i];
      y_ref[n * O + o] = acc;
    }
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t o = 0; o < O; ++o)
      for (std::int64_t i = 0; i < I; ++i) dx_ref[n * I + i] += alpha * double{dy[n * O + o]} * w[o * I + i];
  for (std::int64_t o = 0; o < O; ++o) {
    double sum = 0;
    for (std::int64_t n = 0; n < N; ++n) sum += dy[n * O + o];
    db_ref[o] = 1.0 + alpha * sum;  // db starts at 1: backward adds
    for (std::int64_t i = 0; i < I; ++i) {
      double acc = 0;
      for (std::int64_t n = 0; n < N; ++n) acc += double{dy[n * O + o]} * x[n * I + i];
      dw_ref[o * I + i] = 1.0 + alpha * acc;  // dW starts at 1: backward adds
    }
  }

  // Forward, the residual in a separate array and in the output itself.
  std::vector<float> y(static_cast<std::size_t>(N * O), std::nanf(""));
  linear_forward(y.data(), x.data(), w.data(), b.data(), N, I, O, residual.data());
  EXPECT_LT(relative_error(y, y_ref), 1e-5);
  std::vector<float> in_place = residual;
  linear_forward(in_place.data(), x.data(), w.data(), b.data(), N, I, O, in_place.data());
  EXPECT_EQ(in_place, y);

  // Backward with and without the input gradient; din starts as NaN, so a
  // row that no thread writes fails.
  std::vector<float> dx(static_cast<std::size_t>(N * I), std::nanf("")), dw(static_cast<std::size_t>(O * I), 1.0f),
      db(static_cast<std::size_t>(O), 1.0f);
  linear_backward(dx.data(), dw.data(), db.data(), dy.data(), x.data(), w.data(), N, I, O, alpha);
  EXPECT_LT(relative_error(dx, dx_ref), 1e-5);
  EXPECT_LT(relative_error(dw, dw_ref), 1e-5);
  EXPECT_LT(relative_error(db, db_ref), 1e-5);
  std::vector<float> dw_only(static_cast<std::size_t>(O * I), 1.0f);
  linear_backward(nullptr, dw_only.data(), nullptr, dy.data(), x.data(), w.data(), N, I, O, alpha);
  EXPECT_LT(relative_error(dw_only, dw_ref), 1e-5);
}

INSTANTIATE_TEST_SUITE_P(
    Splits, LinearThreads,
    ::testing::Values(Case{40, 24, 20, 2},      // few rows: one sgemm, OpenBLAS's threads
                      Case{600, 40, 24, 1},     // one thread
                      Case{600, 40, 24, 2},     // output rows per thread; din || dW (small O)
                      Case{517, 33, 300, 2},    // rows not a multiple of 16
                      Case{1100, 24, 520, 4},   // halves: two threads on din's rows, two on dW's
                      Case{780, 20, 800, 3},    // odd: each thread a part of din and of dW
                      Case{1100, 16, 40, 4}),   // dW's 40 rows too few to share: one sgemm each
    [](const auto& info) {
      const Case& c = info.param;
      return fmt::format("N{}_I{}_O{}_threads{}", c.N, c.I, c.O, c.threads);
    });

}  // namespace
}  // namespace borealis::model
