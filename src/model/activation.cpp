// GELU (tanh form) and SwiGLU, forward and backward, elementwise.

#include <cmath>

#include "borealis/model/layers.h"

namespace borealis::model {

namespace {
constexpr float kSqrt2OverPi = 0.7978845608028654f;
constexpr float kCubic = 0.044715f;
inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }
}  // namespace

void gelu_forward(float* y, const float* x, std::int64_t n) {
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    const float u = kSqrt2OverPi * (v + kCubic * v * v * v);
    y[i] = 0.5f * v * (1.0f + std::tanh(u));
  }
}

void gelu_backward(float* dx, const float* dy, const float* x, std::int64_t n) {
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    const float u = kSqrt2OverPi * (v + kCubic * v * v * v);
    const float t = std::tanh(u);
    const float du = kSqrt2OverPi * (1.0f + 3.0f * kCubic * v * v);
    dx[i] = dy[i] * (0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * du);
  }
}

void swiglu_forward(float* y, const float* gate_up, std::int64_t N, std::int64_t F) {
#pragma omp parallel for schedule(static)
  for (std::int64_t n = 0; n < N; ++n) {
    const float* g = gate_up + n * 2 * F;
    const float* u = g + F;
    float* yr = y + n * F;
    for (std::int64_t f = 0; f < F; ++f) yr[f] = g[f] * sigmoid(g[f]) * u[f];
  }
}

void swiglu_backward(float* dgate_up, const float* dy, const float* gate_up, std::int64_t N,
                     std::int64_t F) {
#pragma omp parallel for schedule(static)
  for (std::int64_t n = 0; n < N; ++n) {
    const float* g = gate_up + n * 2 * F;
    const float* u = g + F;
    const float* dyr = dy + n * F;
    float* dg = dgate_up + n * 2 * F;
    float* du = dg + F;
    for (std::int64_t f = 0; f < F; ++f) {
      const float s = sigmoid(g[f]);
      const float silu = g[f] * s;
      dg[f] = dyr[f] * u[f] * s * (1.0f + g[f] * (1.0f - s));
      du[f] = dyr[f] * silu;
    }
  }
}

}  // namespace borealis::model
