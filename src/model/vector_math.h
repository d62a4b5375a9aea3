#pragma once
// exp eight floats at a time, from glibc's vector math library (libmvec,
// AVX2 variant; glibc documents it within 4 ulp), for the trainer's
// softmaxes, GELU (as x·σ(2u)) and SwiGLU: called one float at a time, exp
// and tanh were a fifth of a training step (perf, bench_train). Without
// AVX2 (a portable build) the same loops run on std::exp.
//
// The vector and scalar versions may differ in the last bits, so a loop's
// tail (n % 8 elements) goes through the vector function too, padded, to
// keep results independent of where a row starts.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "borealis/util/lane_sum.h"

#if defined(__AVX2__)
#include <immintrin.h>
extern "C" __m256 _ZGVdN8v_expf(__m256);
#endif

namespace borealis::model::vmath {

using util::lane_sum;

#if defined(__AVX2__)
inline __m256 exp8(__m256 x) { return _ZGVdN8v_expf(x); }

// Applies f to every 8-float group of x[0..n) (the last one padded with
// `pad`), writing f's result back through `store(i, value, count)`.
template <typename F>
inline void for_each8(std::int64_t n, F&& f) {
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) f(i, 8);
  if (i < n) f(i, static_cast<int>(n - i));
}
inline __m256 load(const float* p, int count, float pad) {
  if (count == 8) return _mm256_loadu_ps(p);
  alignas(32) float buf[8];
  for (int k = 0; k < 8; ++k) buf[k] = k < count ? p[k] : pad;
  return _mm256_load_ps(buf);
}
inline void store(float* p, __m256 v, int count) {
  if (count == 8) return _mm256_storeu_ps(p, v);
  alignas(32) float buf[8];
  _mm256_store_ps(buf, v);
  std::memcpy(p, buf, static_cast<std::size_t>(count) * sizeof(float));
}
inline float hsum(__m256 v) {
  alignas(32) float buf[8];
  _mm256_store_ps(buf, v);
  return ((buf[0] + buf[1]) + (buf[2] + buf[3])) + ((buf[4] + buf[5]) + (buf[6] + buf[7]));
}
#endif

// x[i] = exp(x[i] - sub); returns Σ x[i] (after).
inline float exp_sub_sum(float* x, std::int64_t n, float sub) {
#if defined(__AVX2__)
  __m256 acc = _mm256_setzero_ps();
  const __m256 s = _mm256_set1_ps(sub);
  for_each8(n, [&](std::int64_t i, int count) {
    const __m256 e = exp8(_mm256_sub_ps(load(x + i, count, -INFINITY), s));
    acc = _mm256_add_ps(acc, e);  // padding lanes are exp(-inf) = 0
    store(x + i, e, count);
  });
  return hsum(acc);
#else
  float sum = 0;
  for (std::int64_t i = 0; i < n; ++i) sum += (x[i] = std::exp(x[i] - sub));
  return sum;
#endif
}

// Σ exp(x[i] - sub), x unchanged.
inline float sum_exp_sub(const float* x, std::int64_t n, float sub) {
#if defined(__AVX2__)
  __m256 acc = _mm256_setzero_ps();
  const __m256 s = _mm256_set1_ps(sub);
  for_each8(n, [&](std::int64_t i, int count) {
    acc = _mm256_add_ps(acc, exp8(_mm256_sub_ps(load(x + i, count, -INFINITY), s)));
  });
  return hsum(acc);
#else
  float sum = 0;
  for (std::int64_t i = 0; i < n; ++i) sum += std::exp(x[i] - sub);
  return sum;
#endif
}

// x[i] = exp(x[i] - sub) · scale
inline void exp_sub_scale(float* x, std::int64_t n, float sub, float scale) {
#if defined(__AVX2__)
  const __m256 s = _mm256_set1_ps(sub), k = _mm256_set1_ps(scale);
  for_each8(n, [&](std::int64_t i, int count) {
    store(x + i, _mm256_mul_ps(exp8(_mm256_sub_ps(load(x + i, count, 0.0f), s)), k), count);
  });
#else
  for (std::int64_t i = 0; i < n; ++i) x[i] = std::exp(x[i] - sub) * scale;
#endif
}

inline float max_of(const float* x, std::int64_t n) {
  float m = -INFINITY;
#if defined(__AVX2__)
  __m256 acc = _mm256_set1_ps(-INFINITY);
  for_each8(n, [&](std::int64_t i, int count) {
    acc = _mm256_max_ps(acc, load(x + i, count, -INFINITY));
  });
  alignas(32) float buf[8];
  _mm256_store_ps(buf, acc);
  for (float v : buf) m = std::max(m, v);
#else
  for (std::int64_t i = 0; i < n; ++i) m = std::max(m, x[i]);
#endif
  return m;
}

}  // namespace borealis::model::vmath
