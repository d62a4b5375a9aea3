// Causal self-attention with grouped-query heads, in query blocks.
//
// For a block of queries i0..i1-1 of one head, only keys 0..i1-1 can be seen,
// so the block's scores are an (i1-i0) × i1 product, its softmax a row loop,
// and its output one more product (attention_kernels.h: the products written
// out for the causal triangle). Forward keeps lse_i (log of the softmax
// denominator), and the probabilities themselves when the caller gives room
// for them; backward uses those or recomputes
//   P = exp(QKᵀ/sqrt(D) - lse)
// block by block. Scratch per thread: one head's K and V packed (and Kᵀ or
// Vᵀ), in backward its dK and dV, and two 64 × T float blocks.
//
// Forward runs (batch, head) tasks in parallel; backward runs (batch, kv
// head) tasks, because every q head of a group and every query block adds
// into the same dK and dV rows.

#include <algorithm>
#include <cmath>
#include <vector>

#include "attention_kernels.h"
#include "borealis/model/layers.h"
#include "vector_math.h"

namespace borealis::model {

namespace {
namespace ak = attention_kernels;
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

// Query block blk of a head: rows i0..i1-1, seeing keys 0..i1-1; its scores
// and probabilities are M rows of padded_keys(i1) floats.
struct QueryBlock {
  std::int64_t i0, i1, M, ldp;
  QueryBlock(std::int64_t T, std::int64_t blk)
      : i0(blk * kQueryBlock), i1(std::min(T, i0 + kQueryBlock)), M(i1 - i0), ldp(ak::padded_keys(i1)) {}
};

// Where query block blk of a head starts in a probability store, so a head
// holds Σ M·ldp floats.
std::int64_t block_offset(std::int64_t T, std::int64_t blk) {
  std::int64_t off = 0;
  for (std::int64_t j = 0; j < blk; ++j) {
    const QueryBlock q(T, j);
    off += q.M * q.ldp;
  }
  return off;
}

// p_ij = exp(s_ij - lse_i) for j ≤ i, 0 after (up to the padded row end).
void probabilities_from_scores(float* S, const QueryBlock& q, const float* lse_rows) {
  for (std::int64_t r = 0; r < q.M; ++r) {
    const std::int64_t i = q.i0 + r;
    float* s = S + r * q.ldp;
    vmath::exp_sub_scale(s, i + 1, lse_rows[r], 1.0f);
    std::fill(s + i + 1, s + q.ldp, 0.0f);
  }
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
  const std::int64_t tp = ak::padded_keys(T);
  const std::int64_t tasks = B * NH;
#pragma omp parallel
  {
    std::vector<float> kt(static_cast<std::size_t>(D * tp)), kc(static_cast<std::size_t>(T * D)),
        vc(static_cast<std::size_t>(T * D));
    std::vector<float> scratch(probs == nullptr ? static_cast<std::size_t>(kQueryBlock * tp) : 0);
#pragma omp for schedule(dynamic)
    for (std::int64_t task = 0; task < tasks; ++task) {
      const std::int64_t b = task / NH;
      const int h = static_cast<int>(task % NH);
      ak::pack_rows(kc.data(), qkv + g.k(b * T, h / g.group), g.ld, T, D);
      ak::transpose_rows(kt.data(), kc.data(), T, D);
      ak::pack_rows(vc.data(), qkv + g.v(b * T, h / g.group), g.ld, T, D);
      for (std::int64_t blk = 0; blk < blocks; ++blk) {
        const QueryBlock q(T, blk);
        float* S = probs == nullptr ? scratch.data()
                                    : probs + (b * NH + h) * per_head + block_offset(T, blk);
        ak::row_dots(S, q.ldp, qkv + g.q(b * T + q.i0, h), g.ld, kt.data(), tp, q.M, q.i0, D, g.scale);
        for (std::int64_t r = 0; r < q.M; ++r) {
          const std::int64_t i = q.i0 + r;
          float* s = S + r * q.ldp;
          const float mx = vmath::max_of(s, i + 1);
          const float sum = vmath::exp_sub_sum(s, i + 1, mx);
          vmath::scale_then_clear(s, i + 1, 1.0f / sum, q.ldp);
          lse[(b * NH + h) * T + i] = mx + std::log(sum);
        }
        ak::rows_times(out + (b * T + q.i0) * g.C + static_cast<std::int64_t>(h) * D, g.C, S, q.ldp,
                       vc.data(), D, q.M, q.i0, D, 1.0f);
      }
    }
  }
}

void attention_backward(float* dqkv, const float* dout, const float* out, const float* lse,
                        const float* probs, const float* qkv, std::int64_t B, std::int64_t T,
                        int NH, int NKV, int D) {
  const Geometry g(T, NH, NKV, D);
  const std::int64_t blocks = (T + kQueryBlock - 1) / kQueryBlock;
  const std::int64_t per_head = block_offset(T, blocks);
  const std::int64_t tp = ak::padded_keys(T);
  const std::int64_t tasks = B * NKV;
#pragma omp parallel
  {
    std::vector<float> vt(static_cast<std::size_t>(D * tp)),
        kt(probs == nullptr ? static_cast<std::size_t>(D * tp) : 0),
        scratch(probs == nullptr ? static_cast<std::size_t>(kQueryBlock * tp) : 0),
        dP(static_cast<std::size_t>(kQueryBlock * tp)),
        kc(static_cast<std::size_t>(T * D)), vc(static_cast<std::size_t>(T * D)), dk(static_cast<std::size_t>(T * D)), dv(static_cast<std::size_t>(T * D)),
        qc(static_cast<std::size_t>(kQueryBlock * D)), doc(static_cast<std::size_t>(kQueryBlock * D));
#pragma omp for schedule(dynamic)
    for (std::int64_t task = 0; task < tasks; ++task) {
      const std::int64_t b = task / NKV;
      const int kv = static_cast<int>(task % NKV);
      // dK and dV of this kv head gather from every q head and block, packed
      // like the operands and stored into dqkv at the end.
      std::fill(dk.begin(), dk.end(), 0.0f);
      std::fill(dv.begin(), dv.end(), 0.0f);
      ak::pack_rows(kc.data(), qkv + g.k(b * T, kv), g.ld, T, D);
      ak::pack_rows(vc.data(), qkv + g.v(b * T, kv), g.ld, T, D);
      ak::transpose_rows(vt.data(), vc.data(), T, D);
      if (probs == nullptr) ak::transpose_rows(kt.data(), kc.data(), T, D);
      for (int h = kv * g.group; h < (kv + 1) * g.group; ++h)
        for (std::int64_t blk = 0; blk < blocks; ++blk) {
          const QueryBlock q(T, blk);
          const float* dO = dout + (b * T + q.i0) * g.C + static_cast<std::int64_t>(h) * D;
          const float* O = out + (b * T + q.i0) * g.C + static_cast<std::int64_t>(h) * D;
          const float* Q = qkv + g.q(b * T + q.i0, h);
          ak::pack_rows(qc.data(), Q, g.ld, q.M, D);
          ak::pack_rows(doc.data(), dO, g.C, q.M, D);
          const float* P;
          if (probs != nullptr) {
            P = probs + (b * NH + h) * per_head + block_offset(T, blk);
          } else {  // rebuild p_ij = exp(s_ij - lse_i); the upper triangle stays 0
            ak::row_dots(scratch.data(), q.ldp, Q, g.ld, kt.data(), tp, q.M, q.i0, D, g.scale);
            probabilities_from_scores(scratch.data(), q, lse + (b * NH + h) * T + q.i0);
            P = scratch.data();
          }
          // dP = dO · Vᵀ, then dS = P ∘ (dP - rowsum(dO ∘ O)) in place
          ak::row_dots(dP.data(), q.ldp, dO, g.C, vt.data(), tp, q.M, q.i0, D, 1.0f);
          for (std::int64_t r = 0; r < q.M; ++r) {
            const std::int64_t i = q.i0 + r;
            const float* p = P + r * q.ldp;
            float* ds = dP.data() + r * q.ldp;
            const float* dOr = dO + r * g.C;
            const float* Or = O + r * g.C;
            const float rowdot = vmath::lane_sum<float>(D, [&](std::int64_t d) { return dOr[d] * Or[d]; });
            for (std::int64_t j = 0; j <= i; ++j) ds[j] = p[j] * (ds[j] - rowdot);
            std::fill(ds + i + 1, ds + q.ldp, 0.0f);
          }
          // dV[0:i1] += Pᵀ · dO
          ak::columns_times(dv.data(), D, P, q.ldp, doc.data(), D, q.M, q.i0, D, 1.0f);
          // dQ_block = scale · dS · K[0:i1]
          ak::rows_times(dqkv + g.q(b * T + q.i0, h), g.ld, dP.data(), q.ldp, kc.data(), D, q.M, q.i0, D,
                         g.scale);
          // dK[0:i1] += scale · dSᵀ · Q_block
          ak::columns_times(dk.data(), D, dP.data(), q.ldp, qc.data(), D, q.M, q.i0, D, g.scale);
        }
      ak::copy_rows(dqkv + g.k(b * T, kv), g.ld, dk.data(), D, T, D);
      ak::copy_rows(dqkv + g.v(b * T, kv), g.ld, dv.data(), D, T, D);
    }
  }
}

}  // namespace borealis::model
