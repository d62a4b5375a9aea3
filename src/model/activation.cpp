// GELU (tanh form) and SwiGLU, forward and backward, elementwise; exp
// eight at a time (vector_math.h).

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

#if defined(__AVX2__)
// GELU's tanh form through the identity (1 + tanh u)/2 = σ(2u): one exp
// and a divide instead of libmvec's tanh, which cost twice as much.
inline __m256 two_u(__m256 x) {  // 2·sqrt(2/π)(x + 0.044715 x³)
  const __m256 x3 = _mm256_mul_ps(_mm256_mul_ps(x, x), x);
  return _mm256_mul_ps(_mm256_set1_ps(2.0f * kSqrt2OverPi),
                       _mm256_add_ps(x, _mm256_mul_ps(_mm256_set1_ps(kCubic), x3)));
}
inline __m256 sigmoid8(__m256 g) {
  const __m256 one = _mm256_set1_ps(1.0f);
  return _mm256_div_ps(one, _mm256_add_ps(one, vmath::exp8(_mm256_sub_ps(_mm256_setzero_ps(), g))));
}
#else
inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }
#endif
}  // namespace

void gelu_forward(float* y, const float* x, std::int64_t n) {
  parallel_chunks(n, [&](std::int64_t b, std::int64_t e) {
#if defined(__AVX2__)
    vmath::for_each8(e - b, [&](std::int64_t i, int count) {
      const __m256 v = vmath::load(x + b + i, count, 0.0f);
      vmath::store(y + b + i, _mm256_mul_ps(v, sigmoid8(two_u(v))), count);
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
#if defined(__AVX2__)
    const __m256 one = _mm256_set1_ps(1.0f), two = _mm256_set1_ps(2.0f);
    const __m256 k = _mm256_set1_ps(kSqrt2OverPi), k3 = _mm256_set1_ps(3.0f * kCubic);
    vmath::for_each8(e - b, [&](std::int64_t i, int count) {
      const __m256 v = vmath::load(x + b + i, count, 0.0f);
      const __m256 s = sigmoid8(two_u(v));
      const __m256 du =
          _mm256_mul_ps(k, _mm256_add_ps(one, _mm256_mul_ps(k3, _mm256_mul_ps(v, v))));
      const __m256 grad = _mm256_add_ps(
          s, _mm256_mul_ps(_mm256_mul_ps(two, v),
                           _mm256_mul_ps(_mm256_mul_ps(s, _mm256_sub_ps(one, s)), du)));
      vmath::store(dx + b + i, _mm256_mul_ps(vmath::load(dy + b + i, count, 0.0f), grad), count);
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
#if defined(__AVX2__)
    vmath::for_each8(F, [&](std::int64_t f, int count) {
      const __m256 gv = vmath::load(g + f, count, 0.0f);
      vmath::store(yr + f,
                   _mm256_mul_ps(_mm256_mul_ps(gv, sigmoid8(gv)), vmath::load(u + f, count, 0.0f)),
                   count);
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
#if defined(__AVX2__)
    const __m256 one = _mm256_set1_ps(1.0f);
    vmath::for_each8(F, [&](std::int64_t f, int count) {
      const __m256 gv = vmath::load(g + f, count, 0.0f), uv = vmath::load(u + f, count, 0.0f);
      const __m256 d = vmath::load(dyr + f, count, 0.0f);
      const __m256 s = sigmoid8(gv);
      const __m256 dsilu =
          _mm256_mul_ps(s, _mm256_add_ps(one, _mm256_mul_ps(gv, _mm256_sub_ps(one, s))));
      vmath::store(dg + f, _mm256_mul_ps(_mm256_mul_ps(d, uv), dsilu), count);
      vmath::store(du + f, _mm256_mul_ps(d, _mm256_mul_ps(gv, s)), count);
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
