// LayerNorm and RMSNorm, forward and backward. Row statistics are summed in
// double, in vmath::lane_sum's fixed order (independent of the thread count).
// Weight and bias gradients are summed per column block down all rows, so no
// two threads write the same entry and the sum order is fixed.

#include <algorithm>
#include <cmath>

#include "borealis/model/layers.h"
#include "column_blocks.h"
#include "vector_math.h"

namespace borealis::model {

void layer_norm_forward(float* y, float* mean, float* rstd, const float* x, const float* w,
                        const float* b, std::int64_t N, std::int64_t C, float eps) {
#pragma omp parallel for schedule(static)
  for (std::int64_t n = 0; n < N; ++n) {
    const float* xr = x + n * C;
    const double m = vmath::lane_sum<double>(C, [&](std::int64_t c) { return double{xr[c]}; }) /
                     static_cast<double>(C);
    const double var = vmath::lane_sum<double>(C, [&](std::int64_t c) {
      const double d = xr[c] - m;
      return d * d;
    });
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
    const float g_mean = vmath::lane_sum<float>(C, [&](std::int64_t c) { return dyr[c] * w[c]; }) /
                         static_cast<float>(C);
    const float gx_mean =
        vmath::lane_sum<float>(C, [&](std::int64_t c) { return dyr[c] * w[c] * (xr[c] - m) * s; }) /
        static_cast<float>(C);
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
    const double ss =
        vmath::lane_sum<double>(C, [&](std::int64_t c) { return static_cast<double>(xr[c]) * xr[c]; });
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
    const float gx_mean =
        vmath::lane_sum<float>(C, [&](std::int64_t c) { return dyr[c] * w[c] * xr[c]; }) / static_cast<float>(C);
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
