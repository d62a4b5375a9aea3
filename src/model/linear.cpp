// Linear layers through OpenBLAS. Weights are [out, in] (torch.nn.Linear's
// layout), so forward multiplies by Wᵀ: one sgemm with the second operand
// transposed, which OpenBLAS packs as cheaply as the plain one.
//
// Outputs are never left to sgemm's beta = 0: OpenBLAS clears C in a pass
// of its own (sgemm_beta, 2.3% of a training step in perf), slower than
// writing the bias rows (plus the residual stream, when the caller adds
// one) or zeros on all threads and adding with beta = 1.

#include <cblas.h>

#include <algorithm>
#include <cstring>

#include "borealis/model/layers.h"
#include "column_blocks.h"

namespace borealis::model {

namespace {
// out[n, :] = residual[n, :] + row (either may be null, missing ones are 0;
// residual may be out), for n < N, on all threads.
void start_rows(float* out, const float* row, const float* residual, std::int64_t N, std::int64_t width) {
  const auto bytes = static_cast<std::size_t>(width) * sizeof(float);
#pragma omp parallel for schedule(static)
  for (std::int64_t n = 0; n < N; ++n) {
    float* o = out + n * width;
    if (residual == nullptr) {
      if (row != nullptr)
        std::memcpy(o, row, bytes);
      else
        std::memset(o, 0, bytes);
    } else {
      const float* r = residual + n * width;
      if (row != nullptr)
        for (std::int64_t i = 0; i < width; ++i) o[i] = r[i] + row[i];
      else if (r != o)
        std::memcpy(o, r, bytes);
    }
  }
}
}  // namespace

void linear_forward(float* out, const float* in, const float* w, const float* b, std::int64_t N,
                    std::int64_t I, std::int64_t O, const float* residual) {
  start_rows(out, b, residual, N, O);  // residual + bias (or zeros); sgemm adds the product
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(N), static_cast<int>(O),
              static_cast<int>(I), 1.0f, in, static_cast<int>(I), w, static_cast<int>(I), 1.0f, out,
              static_cast<int>(O));
}

void linear_backward(float* din, float* dw, float* db, const float* dout, const float* in,
                     const float* w, std::int64_t N, std::int64_t I, std::int64_t O,
                     float alpha) {
  if (din != nullptr) {
    start_rows(din, nullptr, nullptr, N, I);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(N), static_cast<int>(I),
                static_cast<int>(O), alpha, dout, static_cast<int>(O), w, static_cast<int>(I), 1.0f,
                din, static_cast<int>(I));
  }
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(O), static_cast<int>(I),
              static_cast<int>(N), alpha, dout, static_cast<int>(O), in, static_cast<int>(I), 1.0f,
              dw, static_cast<int>(I));
  if (db != nullptr) {
    for_column_blocks(O, [&](std::int64_t o0, std::int64_t o1) {
      float acc[kColumnBlock] = {};
      for (std::int64_t n = 0; n < N; ++n) {
        const float* row = dout + n * O;
        for (std::int64_t o = o0; o < o1; ++o) acc[o - o0] += row[o];
      }
      for (std::int64_t o = o0; o < o1; ++o) db[o] += alpha * acc[o - o0];
    });
  }
}

}  // namespace borealis::model
