// Linear layers through OpenBLAS. Weights are [out, in] (torch.nn.Linear's
// layout), so forward multiplies by Wᵀ: one sgemm with the second operand
// transposed, which OpenBLAS packs as cheaply as the plain one.

#include <cblas.h>

#include <algorithm>
#include <cstring>

#include "borealis/model/layers.h"
#include "column_blocks.h"

namespace borealis::model {

void linear_forward(float* out, const float* in, const float* w, const float* b, std::int64_t N,
                    std::int64_t I, std::int64_t O) {
  float beta = 0.0f;
  if (b != nullptr) {  // start from the bias and let sgemm add the product
#pragma omp parallel for schedule(static)
    for (std::int64_t n = 0; n < N; ++n)
      std::memcpy(out + n * O, b, static_cast<std::size_t>(O) * sizeof(float));
    beta = 1.0f;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(N), static_cast<int>(O),
              static_cast<int>(I), 1.0f, in, static_cast<int>(I), w, static_cast<int>(I), beta, out,
              static_cast<int>(O));
}

void linear_backward(float* din, float* dw, float* db, const float* dout, const float* in,
                     const float* w, std::int64_t N, std::int64_t I, std::int64_t O,
                     float alpha) {
  if (din != nullptr)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(N), static_cast<int>(I),
                static_cast<int>(O), alpha, dout, static_cast<int>(O), w, static_cast<int>(I), 0.0f,
                din, static_cast<int>(I));
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
