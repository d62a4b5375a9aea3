// GELU (tanh form) and SwiGLU, forward and backward, elementwise; exp a
// vector at a time (vector_math.h).

#include <algorithm>
#include <cmath>

#include "borealis/model/layers.h"
#include "vector_math.h"

namespace borealis::model {

namespace {
constexpr float kSqrt2OverPi = 0.7978845608028654f;
constexpr float kCubic = 0.044715f;
constexpr std::int64_t kChunk = 4096;  // elements per OpenMP work item

// Runs body(begin, end) over [0, n) in chunks, in parallel.
template <typename F>
void parallel_chunks(std::int64_t n, F&& body) {
  const std::int64_t chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static)
  for (std::int64_t c = 0; c < chunks; ++c) body(c * kChunk, std::min(n, (c + 1) * kChunk));
}

#if defined(BOREALIS_VMATH_VECTOR)
using vmath::Vf;
using vmath::vadd;
using vmath::vdiv;
using vmath::vmul;
using vmath::vsplat;
using vmath::vsub;
// GELU's tanh form through the identity (1 + tanh u)/2 = σ(2u): one exp
// and a divide instead of libmvec's tanh, which cost twice as much.
inline Vf two_u(Vf x) {  // 2·sqrt(2/π)(x + 0.044715 x³)
  const Vf x3 = vmul(vmul(x, x), x);
  return vmul(vsplat(2.0f * kSqrt2OverPi), vadd(x, vmul(vsplat(kCubic), x3)));
}
inline Vf sigmoid(Vf g) {
  const Vf one = vsplat(1.0f);
  return vdiv(one, vadd(one, vmath::vexp(vsub(vsplat(0.0f), g))));
}
#else
inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }
#endif
}  // namespace

void gelu_forward(float* y, const float* x, std::int64_t n) {
  parallel_chunks(n, [&](std::int64_t b, std::int64_t e) {
#if defined(BOREALIS_VMATH_VECTOR)
    vmath::for_each_group(e - b, [&](std::int64_t i, int count) {
      const Vf v = vmath::load(x + b + i, count, 0.0f);
      vmath::store(y + b + i, vmul(v, sigmoid(two_u(v))), count);
    });
#else
    for (std::int64_t i = b; i < e; ++i) {
      const float v = x[i];
      y[i] = v * sigmoid(2.0f * kSqrt2OverPi * (v + kCubic * v * v * v));
    }
#endif
  });
}

void gelu_backward(float* dx, const float* dy, const float* x, std::int64_t n) {
  // d/dx x·σ(2u) = σ(2u) + 2x·σ(2u)(1 − σ(2u))·u'
  parallel_chunks(n, [&](std::int64_t b, std::int64_t e) {
#if defined(BOREALIS_VMATH_VECTOR)
    const Vf one = vsplat(1.0f), two = vsplat(2.0f);
    const Vf k = vsplat(kSqrt2OverPi), k3 = vsplat(3.0f * kCubic);
    vmath::for_each_group(e - b, [&](std::int64_t i, int count) {
      const Vf v = vmath::load(x + b + i, count, 0.0f);
      const Vf s = sigmoid(two_u(v));
      const Vf du = vmul(k, vadd(one, vmul(k3, vmul(v, v))));
      const Vf grad = vadd(s, vmul(vmul(two, v), vmul(vmul(s, vsub(one, s)), du)));
      vmath::store(dx + b + i, vmul(vmath::load(dy + b + i, count, 0.0f), grad), count);
    });
#else
    for (std::int64_t i = b; i < e; ++i) {
      const float v = x[i];
      const float s = sigmoid(2.0f * kSqrt2OverPi * (v + kCubic * v * v * v));
      const float du = kSqrt2OverPi * (1.0f + 3.0f * kCubic * v * v);
      dx[i] = dy[i] * (s + 2.0f * v * (s * (1.0f - s) * du));
    }
#endif
  });
}

void swiglu_forward(float* y, const float* gate_up, std::int64_t N, std::int64_t F) {
#pragma omp parallel for schedule(static)
  for (std::int64_t n = 0; n < N; ++n) {
    const float* g = gate_up + n * 2 * F;
    const float* u = g + F;
    float* yr = y + n * F;
#if defined(BOREALIS_VMATH_VECTOR)
    vmath::for_each_group(F, [&](std::int64_t f, int count) {
      const Vf gv = vmath::load(g + f, count, 0.0f);
      vmath::store(yr + f, vmul(vmul(gv, sigmoid(gv)), vmath::load(u + f, count, 0.0f)), count);
    });
#else
    for (std::int64_t f = 0; f < F; ++f) yr[f] = g[f] * sigmoid(g[f]) * u[f];
#endif
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
#if defined(BOREALIS_VMATH_VECTOR)
    const Vf one = vsplat(1.0f);
    vmath::for_each_group(F, [&](std::int64_t f, int count) {
      const Vf gv = vmath::load(g + f, count, 0.0f), uv = vmath::load(u + f, count, 0.0f);
      const Vf d = vmath::load(dyr + f, count, 0.0f);
      const Vf s = sigmoid(gv);
      const Vf dsilu = vmul(s, vadd(one, vmul(gv, vsub(one, s))));
      vmath::store(dg + f, vmul(vmul(d, uv), dsilu), count);
      vmath::store(du + f, vmul(d, vmul(gv, s)), count);
    });
#else
    for (std::int64_t f = 0; f < F; ++f) {
      const float s = sigmoid(g[f]);
      dg[f] = dyr[f] * u[f] * (s * (1.0f + g[f] * (1.0f - s)));
      du[f] = dyr[f] * (g[f] * s);
    }
#endif
  }
}

}  // namespace borealis::model
