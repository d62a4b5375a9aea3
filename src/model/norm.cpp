// LayerNorm and RMSNorm, forward and backward. Row statistics are summed in
// double (C is small; this keeps them independent of the thread count).
// Weight and bias gradients are summed per column block down all rows, so no
// two threads write the same entry and the sum order is fixed.

#include <algorithm>
#include <cmath>

#include "borealis/model/layers.h"
#include "column_blocks.h"

namespace borealis::model {

void layer_norm_forward(float* y, float* mean, float* rstd, const float* x, const float* w,
                        const float* b, std::int64_t N, std::int64_t C, float eps) {
#pragma omp parallel for schedule(static)
  for (std::int64_t n = 0; n < N; ++n) {
    const float* xr = x + n * C;
    double sum = 0;
    for (std::int64_t c = 0; c < C; ++c) sum += xr[c];
    const double m = sum / static_cast<double>(C);
    double var = 0;
    for (std::int64_t c = 0; c < C; ++c) {
      const double d = xr[c] - m;
      var += d * d;
    }
    const float mf = static_cast<float>(m);
    const float s = static_cast<float>(1.0 / std::sqrt(var / static_cast<double>(C) + eps));
    float* yr = y + n * C;
    for (std::int64_t c = 0; c < C; ++c) yr[c] = (xr[c] - mf) * s * w[c] + b[c];
    mean[n] = mf;
    rstd[n] = s;
  }
}

void layer_norm_backward(float* dx, float* dw, float* db, const float* dy, const float* x,
                         const float* w, const float* mean, const float* rstd, std::int64_t N,
                         std::int64_t C) {
#pragma omp parallel for schedule(static)
  for (std::int64_t n = 0; n < N; ++n) {
    const float* xr = x + n * C;
    const float* dyr = dy + n * C;
    const float m = mean[n], s = rstd[n];
    float g_mean = 0, gx_mean = 0;
    for (std::int64_t c = 0; c < C; ++c) {
      const float g = dyr[c] * w[c];
      g_mean += g;
      gx_mean += g * (xr[c] - m) * s;
    }
    g_mean /= static_cast<float>(C);
    gx_mean /= static_cast<float>(C);
    float* dxr = dx + n * C;
    for (std::int64_t c = 0; c < C; ++c) {
      const float xhat = (xr[c] - m) * s;
      dxr[c] += s * (dyr[c] * w[c] - g_mean - xhat * gx_mean);
    }
  }
  for_column_blocks(C, [&](std::int64_t c0, std::int64_t c1) {
    float aw[kColumnBlock] = {}, ab[kColumnBlock] = {};
    for (std::int64_t n = 0; n < N; ++n) {
      const float* xr = x + n * C;
      const float* dyr = dy + n * C;
      const float m = mean[n], s = rstd[n];
      for (std::int64_t c = c0; c < c1; ++c) {
        aw[c - c0] += dyr[c] * (xr[c] - m) * s;
        ab[c - c0] += dyr[c];
      }
    }
    for (std::int64_t c = c0; c < c1; ++c) {
      dw[c] += aw[c - c0];
      db[c] += ab[c - c0];
    }
  });
}

void rms_norm_forward(float* y, float* rstd, const float* x, const float* w, std::int64_t N,
                      std::int64_t C, float eps) {
#pragma omp parallel for schedule(static)
  for (std::int64_t n = 0; n < N; ++n) {
    const float* xr = x + n * C;
    double ss = 0;
    for (std::int64_t c = 0; c < C; ++c) ss += static_cast<double>(xr[c]) * xr[c];
    const float s = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(C) + eps));
    float* yr = y + n * C;
    for (std::int64_t c = 0; c < C; ++c) yr[c] = xr[c] * s * w[c];
    rstd[n] = s;
  }
}

void rms_norm_backward(float* dx, float* dw, const float* dy, const float* x, const float* w,
                       const float* rstd, std::int64_t N, std::int64_t C) {
#pragma omp parallel for schedule(static)
  for (std::int64_t n = 0; n < N; ++n) {
    const float* xr = x + n * C;
    const float* dyr = dy + n * C;
    const float s = rstd[n];
    float gx_mean = 0;
    for (std::int64_t c = 0; c < C; ++c) gx_mean += dyr[c] * w[c] * xr[c];
    gx_mean /= static_cast<float>(C);
    const float k = s * s * gx_mean;
    float* dxr = dx + n * C;
    for (std::int64_t c = 0; c < C; ++c) dxr[c] += s * (dyr[c] * w[c] - xr[c] * k);
  }
  for_column_blocks(C, [&](std::int64_t c0, std::int64_t c1) {
    float aw[kColumnBlock] = {};
    for (std::int64_t n = 0; n < N; ++n) {
      const float* xr = x + n * C;
      const float* dyr = dy + n * C;
      const float s = rstd[n];
      for (std::int64_t c = c0; c < c1; ++c) aw[c - c0] += dyr[c] * xr[c] * s;
    }
    for (std::int64_t c = c0; c < c1; ++c) dw[c] += aw[c - c0];
  });
}

}  // namespace borealis::model
