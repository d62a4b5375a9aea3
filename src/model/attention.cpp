// Causal self-attention with grouped-query heads, in query blocks.
//
// For a block of queries i0..i1-1 of one head, only keys 0..i1-1 can be seen,
// so the block's scores are one (i1-i0) × i1 sgemm, its softmax a row loop,
// and its output one more sgemm. Forward keeps lse_i (log of the softmax
// denominator) instead of the probabilities; backward recomputes
//   P = exp(QKᵀ/sqrt(D) - lse)
// block by block. Scratch per thread: two 64 × T float blocks.
//
// Forward runs (batch, head, block) tasks in parallel; backward runs
// (batch, kv head) tasks, because every q head of a group and every query
// block adds into the same dK and dV rows.

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "borealis/model/layers.h"
#include "vector_math.h"

namespace borealis::model {

namespace {
constexpr std::int64_t kQueryBlock = 64;

struct Geometry {
  std::int64_t T, ld, C;
  int NH, NKV, D, group;
  float scale;
  Geometry(std::int64_t t, int nh, int nkv, int d)
      : T(t),
        ld(static_cast<std::int64_t>(nh + 2 * nkv) * d),
        C(static_cast<std::int64_t>(nh) * d),
        NH(nh),
        NKV(nkv),
        D(d),
        group(nh / nkv),
        scale(static_cast<float>(1.0 / std::sqrt(static_cast<double>(d)))) {}
  std::int64_t q(std::int64_t row, int h) const {
    return row * ld + static_cast<std::int64_t>(h) * D;
  }
  std::int64_t k(std::int64_t row, int g) const {
    return row * ld + static_cast<std::int64_t>(NH + g) * D;
  }
  std::int64_t v(std::int64_t row, int g) const {
    return row * ld + static_cast<std::int64_t>(NH + NKV + g) * D;
  }
};

// S[M, K] = scale · Q_block · K[0:K]ᵀ, into S (zeroed here: sgemm with beta
// 0 clears C through a slow scalar pass, a tenth of attention's time in perf).
void scores(float* S, const float* qkv, const Geometry& g, std::int64_t b, int h, std::int64_t i0,
            std::int64_t M, std::int64_t K) {
  std::memset(S, 0, static_cast<std::size_t>(M * K) * sizeof(float));
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(M), static_cast<int>(K),
              g.D, g.scale, qkv + g.q(b * g.T + i0, h), static_cast<int>(g.ld),
              qkv + g.k(b * g.T, h / g.group), static_cast<int>(g.ld), 1.0f, S,
              static_cast<int>(K));
}

// Where query block blk of a head starts in a probability store: blocks
// are M × K with K = the block's end, so a head holds Σ M·K floats.
std::int64_t block_offset(std::int64_t T, std::int64_t blk) {
  std::int64_t off = 0;
  for (std::int64_t j = 0; j < blk; ++j) {
    const std::int64_t i0 = j * kQueryBlock, i1 = std::min(T, i0 + kQueryBlock);
    off += (i1 - i0) * i1;
  }
  return off;
}

void zero_parallel(float* p, std::int64_t rows, std::int64_t width) {
#pragma omp parallel for schedule(static)
  for (std::int64_t n = 0; n < rows; ++n)
    std::memset(p + n * width, 0, static_cast<std::size_t>(width) * sizeof(float));
}
}  // namespace

std::int64_t attention_probability_floats(std::int64_t B, std::int64_t T, int NH) {
  const std::int64_t blocks = (T + kQueryBlock - 1) / kQueryBlock;
  return B * NH * block_offset(T, blocks);
}

void attention_forward(float* out, float* lse, float* probs, const float* qkv, std::int64_t B,
                       std::int64_t T, int NH, int NKV, int D) {
  const Geometry g(T, NH, NKV, D);
  const std::int64_t blocks = (T + kQueryBlock - 1) / kQueryBlock;
  const std::int64_t per_head = block_offset(T, blocks);
  const std::int64_t tasks = B * NH * blocks;
  zero_parallel(out, B * T, g.C);  // the P·V products add into it
#pragma omp parallel
  {
    std::vector<float> scratch(probs == nullptr ? static_cast<std::size_t>(kQueryBlock * T) : 0);
#pragma omp for schedule(dynamic)
    for (std::int64_t task = 0; task < tasks; ++task) {
      const std::int64_t b = task / (NH * blocks);
      const int h = static_cast<int>(task / blocks % NH);
      const std::int64_t blk = task % blocks;
      const std::int64_t i0 = blk * kQueryBlock, i1 = std::min(T, i0 + kQueryBlock);
      const std::int64_t M = i1 - i0, K = i1;
      float* S = probs == nullptr ? scratch.data()
                                  : probs + (b * NH + h) * per_head + block_offset(T, blk);
      scores(S, qkv, g, b, h, i0, M, K);
      for (std::int64_t r = 0; r < M; ++r) {
        const std::int64_t i = i0 + r;
        float* s = S + r * K;
        const float mx = vmath::max_of(s, i + 1);
        const float sum = vmath::exp_sub_sum(s, i + 1, mx);
        const float inv = 1.0f / sum;
        for (std::int64_t j = 0; j <= i; ++j) s[j] *= inv;
        for (std::int64_t j = i + 1; j < K; ++j) s[j] = 0.0f;
        lse[(b * NH + h) * T + i] = mx + std::log(sum);
      }
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(M), D,
                  static_cast<int>(K), 1.0f, S, static_cast<int>(K), qkv + g.v(b * T, h / g.group),
                  static_cast<int>(g.ld), 1.0f,
                  out + (b * T + i0) * g.C + static_cast<std::int64_t>(h) * D,
                  static_cast<int>(g.C));
    }
  }
}

void attention_backward(float* dqkv, const float* dout, const float* out, const float* lse,
                        const float* probs, const float* qkv, std::int64_t B, std::int64_t T,
                        int NH, int NKV, int D) {
  const Geometry g(T, NH, NKV, D);
  const std::int64_t blocks = (T + kQueryBlock - 1) / kQueryBlock;
  const std::int64_t per_head = block_offset(T, blocks);
  zero_parallel(dqkv, B * T, g.ld);  // dQ, dK and dV all add into it
  const std::int64_t tasks = B * NKV;
#pragma omp parallel
  {
    std::vector<float> scratch(probs == nullptr ? static_cast<std::size_t>(kQueryBlock * T) : 0),
        dP(static_cast<std::size_t>(kQueryBlock * T));
#pragma omp for schedule(dynamic)
    for (std::int64_t task = 0; task < tasks; ++task) {
      const std::int64_t b = task / NKV;
      const int kv = static_cast<int>(task % NKV);
      for (int h = kv * g.group; h < (kv + 1) * g.group; ++h)
        for (std::int64_t blk = 0; blk < blocks; ++blk) {
          const std::int64_t i0 = blk * kQueryBlock, i1 = std::min(T, i0 + kQueryBlock);
          const std::int64_t M = i1 - i0, K = i1;
          const float* dO = dout + (b * T + i0) * g.C + static_cast<std::int64_t>(h) * D;
          const float* O = out + (b * T + i0) * g.C + static_cast<std::int64_t>(h) * D;
          const float* P;
          if (probs != nullptr) {
            P = probs + (b * NH + h) * per_head + block_offset(T, blk);
          } else {  // rebuild p_ij = exp(s_ij - lse_i); the upper triangle stays 0
            scores(scratch.data(), qkv, g, b, h, i0, M, K);
            for (std::int64_t r = 0; r < M; ++r) {
              const std::int64_t i = i0 + r;
              vmath::exp_sub_scale(scratch.data() + r * K, i + 1, lse[(b * NH + h) * T + i], 1.0f);
              for (std::int64_t j = i + 1; j < K; ++j) scratch[static_cast<std::size_t>(r * K + j)] = 0.0f;
            }
            P = scratch.data();
          }
          std::memset(dP.data(), 0, static_cast<std::size_t>(M * K) * sizeof(float));
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(M),
                      static_cast<int>(K), D, 1.0f, dO, static_cast<int>(g.C), qkv + g.v(b * T, kv),
                      static_cast<int>(g.ld), 1.0f, dP.data(), static_cast<int>(K));
          for (std::int64_t r = 0; r < M; ++r) {
            const std::int64_t i = i0 + r;
            const float* p = P + r * K;
            float* ds = dP.data() + r * K;
            float rowdot = 0;
            for (int d = 0; d < D; ++d) rowdot += dO[r * g.C + d] * O[r * g.C + d];
            for (std::int64_t j = 0; j <= i; ++j) ds[j] = p[j] * (ds[j] - rowdot);
            for (std::int64_t j = i + 1; j < K; ++j) ds[j] = 0.0f;
          }
          // dV[0:K] += Pᵀ · dO
          cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(K), D,
                      static_cast<int>(M), 1.0f, P, static_cast<int>(K), dO,
                      static_cast<int>(g.C), 1.0f, dqkv + g.v(b * T, kv), static_cast<int>(g.ld));
          // dQ_block = scale · dS · K[0:K]  (its rows are still zero)
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(M), D,
                      static_cast<int>(K), g.scale, dP.data(), static_cast<int>(K),
                      qkv + g.k(b * T, kv), static_cast<int>(g.ld), 1.0f, dqkv + g.q(b * T + i0, h),
                      static_cast<int>(g.ld));
          // dK[0:K] += scale · dSᵀ · Q_block
          cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(K), D,
                      static_cast<int>(M), g.scale, dP.data(), static_cast<int>(K),
                      qkv + g.q(b * T + i0, h), static_cast<int>(g.ld), 1.0f, dqkv + g.k(b * T, kv),
                      static_cast<int>(g.ld));
        }
    }
  }
}

}  // namespace borealis::model
