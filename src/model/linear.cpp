// Linear layers through OpenBLAS. Weights are [out, in] (torch.nn.Linear's
// layout), so forward multiplies by Wᵀ: one sgemm with the second operand
// transposed, which OpenBLAS packs as cheaply as the plain one.
//
// Outputs are never left to sgemm's beta = 0: OpenBLAS clears C in a pass
// of its own (sgemm_beta, 2.3% of a training step in perf), slower than
// writing the bias rows or zeros on all threads and adding with beta = 1.

#include <cblas.h>

#include <algorithm>
#include <cstring>

#include "borealis/model/layers.h"
#include "column_blocks.h"

namespace borealis::model {

namespace {
// out[n, :] = row (or 0 when row is null), for n < N, on all threads.
void fill_rows(float* out, const float* row, std::int64_t N, std::int64_t width) {
  const auto bytes = static_cast<std::size_t>(width) * sizeof(float);
#pragma omp parallel for schedule(static)
  for (std::int64_t n = 0; n < N; ++n) {
    if (row != nullptr)
      std::memcpy(out + n * width, row, bytes);
    else
      std::memset(out + n * width, 0, bytes);
  }
}
}  // namespace

void linear_forward(float* out, const float* in, const float* w, const float* b, std::int64_t N,
                    std::int64_t I, std::int64_t O) {
  fill_rows(out, b, N, O);  // the bias (or zeros); sgemm adds the product
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(N), static_cast<int>(O),
              static_cast<int>(I), 1.0f, in, static_cast<int>(I), w, static_cast<int>(I), 1.0f, out,
              static_cast<int>(O));
}

void linear_backward(float* din, float* dw, float* db, const float* dout, const float* in,
                     const float* w, std::int64_t N, std::int64_t I, std::int64_t O,
                     float alpha) {
  if (din != nullptr) {
    fill_rows(din, nullptr, N, I);
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
