// Causal attention (attention.cpp and its kernels) against the definition
// computed plainly in double, over the shapes the tiled kernels treat
// differently: head dimensions that are and are not multiples of 8 and 32,
// sequences shorter than a key tile and ending inside a query block, and
// grouped-query heads. The PyTorch oracle (test_torch_oracle.cpp) covers the
// whole model at one head size; this covers the kernels' edges.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "borealis/model/layers.h"

namespace borealis::model {
namespace {

struct Shape {
  std::int64_t B, T;
  int NH, NKV, D;
};

struct Reference {
  std::vector<double> out, lse, dqkv;
};

// out_i = Σ_{j≤i} softmax_j(q_i·k_j/√D) v_j, and its gradient for dout.
Reference reference(const Shape& s, const std::vector<float>& qkv, const std::vector<float>& dout) {
  const std::int64_t ld = static_cast<std::int64_t>(s.NH + 2 * s.NKV) * s.D, C = std::int64_t{s.NH} * s.D;
  const double scale = 1.0 / std::sqrt(static_cast<double>(s.D));
  Reference r;
  r.out.assign(static_cast<std::size_t>(s.B * s.T * C), 0.0);
  r.lse.assign(static_cast<std::size_t>(s.B * s.NH * s.T), 0.0);
  r.dqkv.assign(qkv.size(), 0.0);
  auto at = [&](std::int64_t b, std::int64_t t, std::int64_t col) {
    return static_cast<std::size_t>((b * s.T + t) * ld + col);
  };
  for (std::int64_t b = 0; b < s.B; ++b)
    for (int h = 0; h < s.NH; ++h) {
      const int g = h / (s.NH / s.NKV);
      const std::int64_t qc = std::int64_t{h} * s.D, kc = std::int64_t{s.NH + g} * s.D,
                         vc = std::int64_t{s.NH + s.NKV + g} * s.D;
      for (std::int64_t i = 0; i < s.T; ++i) {
        std::vector<double> p(static_cast<std::size_t>(i + 1));
        double mx = -INFINITY;
        for (std::int64_t j = 0; j <= i; ++j) {
          double dot = 0;
          for (int d = 0; d < s.D; ++d) dot += double{qkv[at(b, i, qc + d)]} * qkv[at(b, j, kc + d)];
          p[static_cast<std::size_t>(j)] = dot * scale;
          mx = std::max(mx, dot * scale);
        }
        double sum = 0;
        for (double& x : p) sum += (x = std::exp(x - mx));
        for (double& x : p) x /= sum;
        r.lse[static_cast<std::size_t>((b * s.NH + h) * s.T + i)] = mx + std::log(sum);
        const float* dO = dout.data() + (b * s.T + i) * C + qc;
        std::vector<double> dp(p.size());
        double rowdot = 0;
        for (std::int64_t j = 0; j <= i; ++j) {
          double acc = 0;
          for (int d = 0; d < s.D; ++d) {
            const double v = qkv[at(b, j, vc + d)];
            r.out[static_cast<std::size_t>((b * s.T + i) * C + qc + d)] += p[static_cast<std::size_t>(j)] * v;
            acc += double{dO[d]} * v;
            r.dqkv[at(b, j, vc + d)] += p[static_cast<std::size_t>(j)] * dO[d];
          }
          dp[static_cast<std::size_t>(j)] = acc;
          rowdot += p[static_cast<std::size_t>(j)] * acc;
        }
        for (std::int64_t j = 0; j <= i; ++j) {
          const double ds = p[static_cast<std::size_t>(j)] * (dp[static_cast<std::size_t>(j)] - rowdot) * scale;
          for (int d = 0; d < s.D; ++d) {
            r.dqkv[at(b, i, qc + d)] += ds * qkv[at(b, j, kc + d)];
            r.dqkv[at(b, j, kc + d)] += ds * qkv[at(b, i, qc + d)];
          }
        }
      }
    }
  return r;
}

double largest(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::fabs(x));
  return m;
}

template <typename T>
double worst(const std::vector<T>& got, const std::vector<double>& want) {
  double m = 0;
  for (std::size_t i = 0; i < want.size(); ++i) m = std::max(m, std::fabs(got[i] - want[i]));
  return m;
}

void check(const Shape& s) {
  SCOPED_TRACE(::testing::Message() << "B " << s.B << " T " << s.T << " heads " << s.NH << "/" << s.NKV
                                    << " D " << s.D);
  const std::int64_t ld = static_cast<std::int64_t>(s.NH + 2 * s.NKV) * s.D, C = std::int64_t{s.NH} * s.D;
  std::mt19937 rng(static_cast<unsigned>(s.T * 131 + s.D * 7 + s.NH));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> qkv(static_cast<std::size_t>(s.B * s.T * ld)), dout(static_cast<std::size_t>(s.B * s.T * C));
  for (float& x : qkv) x = normal(rng);
  for (float& x : dout) x = normal(rng);
  const Reference want = reference(s, qkv, dout);

  for (const bool store : {true, false}) {
    SCOPED_TRACE(store ? "probabilities kept" : "probabilities recomputed");
    // Poisoned outputs: every element must be written, none read before.
    std::vector<float> out(dout.size(), NAN), lse(want.lse.size(), NAN), dqkv(qkv.size(), NAN);
    std::vector<float> probs(store ? static_cast<std::size_t>(attention_probability_floats(s.B, s.T, s.NH)) : 0, NAN);
    attention_forward(out.data(), lse.data(), store ? probs.data() : nullptr, qkv.data(), s.B, s.T, s.NH, s.NKV, s.D);
    attention_backward(dqkv.data(), dout.data(), out.data(), lse.data(), store ? probs.data() : nullptr, qkv.data(),
                       s.B, s.T, s.NH, s.NKV, s.D);
    // Float32 sums of up to T·D products of unit normals: measured within
    // 1e-6 of the largest value; 1e-5 would be a real error.
    EXPECT_LE(worst(out, want.out), 1e-5 * largest(want.out));
    EXPECT_LE(worst(lse, want.lse), 1e-5 * largest(want.lse));
    EXPECT_LE(worst(dqkv, want.dqkv), 1e-5 * largest(want.dqkv));
  }
}

TEST(Attention, MatchesTheDefinitionAtEveryKernelEdge) {
  // D: scalar tail only (4), one vector (8), two (16), a vector plus a tail
  // (12), a whole 32-float chunk (32), chunk + vector (40), two chunks (64).
  // T: one query; shorter than a key tile; inside the first block; a block
  // boundary crossed with a partial last block; three partial tiles.
  for (const Shape& s : {Shape{1, 1, 2, 2, 8}, Shape{2, 5, 2, 1, 4}, Shape{1, 17, 2, 2, 12}, Shape{2, 70, 4, 2, 16},
                         Shape{1, 130, 2, 2, 32}, Shape{1, 67, 3, 1, 40}, Shape{1, 64, 1, 1, 64}})
    check(s);
}

}  // namespace
}  // namespace borealis::model
