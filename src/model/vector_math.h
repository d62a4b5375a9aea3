#pragma once
// exp a vector of floats at a time, from glibc's vector math library
// (libmvec; glibc documents it within 4 ulp), for the trainer's softmaxes,
// GELU (as x·σ(2u)) and SwiGLU: called one float at a time, exp and tanh
// were a fifth of a training step (perf, bench_train). Vectors are 16 floats
// where the CPU has AVX-512 (libmvec's AVX-512 expf: 0.31 ns a float
// against 0.41 for its AVX2 one, one core of the EPYC VM), else 8 with AVX2;
// without either (a portable build) the same loops run on std::exp.
//
// The vector and scalar versions may differ in the last bits, so a loop's
// tail (n % kLanes elements) goes through the vector function too, padded,
// to keep results independent of where a row starts. A build's results
// depend on its lane count (a sum's order, libmvec's variant), not on the
// thread count.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "borealis/util/lane_sum.h"

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif
#if defined(__AVX512F__)
extern "C" __m512 _ZGVeN16v_expf(__m512);
#elif defined(__AVX2__)
extern "C" __m256 _ZGVdN8v_expf(__m256);
#endif

namespace borealis::model::vmath {

using util::lane_sum;

#if defined(__AVX512F__) || defined(__AVX2__)
#define BOREALIS_VMATH_VECTOR 1
#if defined(__AVX512F__)
using Vf = __m512;
constexpr int kLanes = 16;
inline Vf vexp(Vf x) { return _ZGVeN16v_expf(x); }
inline Vf vsplat(float x) { return _mm512_set1_ps(x); }
inline Vf vadd(Vf a, Vf b) { return _mm512_add_ps(a, b); }
inline Vf vsub(Vf a, Vf b) { return _mm512_sub_ps(a, b); }
inline Vf vmul(Vf a, Vf b) { return _mm512_mul_ps(a, b); }
inline Vf vdiv(Vf a, Vf b) { return _mm512_div_ps(a, b); }
// Masked with every lane on: GCC 12's _mm512_max_ps starts from an
// undefined vector that -Wmaybe-uninitialized flags.
inline Vf vmax(Vf a, Vf b) { return _mm512_mask_max_ps(a, 0xFFFF, a, b); }
// The first `count` floats at p, the rest `pad` (masked: nothing past p +
// count is read or written).
inline Vf load(const float* p, int count, float pad) {
  if (count == kLanes) return _mm512_loadu_ps(p);
  return _mm512_mask_loadu_ps(_mm512_set1_ps(pad), static_cast<__mmask16>((1u << count) - 1), p);
}
inline void store(float* p, Vf v, int count) {
  if (count == kLanes) return _mm512_storeu_ps(p, v);
  _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << count) - 1), v);
}
#else
using Vf = __m256;
constexpr int kLanes = 8;
inline Vf vexp(Vf x) { return _ZGVdN8v_expf(x); }
inline Vf vsplat(float x) { return _mm256_set1_ps(x); }
inline Vf vadd(Vf a, Vf b) { return _mm256_add_ps(a, b); }
inline Vf vsub(Vf a, Vf b) { return _mm256_sub_ps(a, b); }
inline Vf vmul(Vf a, Vf b) { return _mm256_mul_ps(a, b); }
inline Vf vdiv(Vf a, Vf b) { return _mm256_div_ps(a, b); }
inline Vf vmax(Vf a, Vf b) { return _mm256_max_ps(a, b); }
inline Vf load(const float* p, int count, float pad) {
  if (count == kLanes) return _mm256_loadu_ps(p);
  alignas(32) float buf[kLanes];
  for (int k = 0; k < kLanes; ++k) buf[k] = k < count ? p[k] : pad;
  return _mm256_load_ps(buf);
}
inline void store(float* p, Vf v, int count) {
  if (count == kLanes) return _mm256_storeu_ps(p, v);
  alignas(32) float buf[kLanes];
  _mm256_store_ps(buf, v);
  std::memcpy(p, buf, static_cast<std::size_t>(count) * sizeof(float));
}
#endif

// Applies f(i, count) to every kLanes-float group of [0, n), the last one
// possibly shorter (count < kLanes).
template <typename F>
inline void for_each_group(std::int64_t n, F&& f) {
  std::int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) f(i, kLanes);
  if (i < n) f(i, static_cast<int>(n - i));
}

// Lane sums and maxima in a fixed pairwise order.
inline float hsum(Vf v) {
  alignas(64) float buf[kLanes];
  std::memcpy(buf, &v, sizeof v);
  for (int w = kLanes / 2; w > 0; w /= 2)
    for (int k = 0; k < w; ++k) buf[k] += buf[k + w];
  return buf[0];
}
inline float hmax(Vf v) {
  alignas(64) float buf[kLanes];
  std::memcpy(buf, &v, sizeof v);
  float m = buf[0];
  for (int k = 1; k < kLanes; ++k) m = std::max(m, buf[k]);
  return m;
}
#endif

// x[i] = exp(x[i] - sub); returns Σ x[i] (after).
inline float exp_sub_sum(float* x, std::int64_t n, float sub) {
#if defined(BOREALIS_VMATH_VECTOR)
  Vf acc = vsplat(0.0f);
  const Vf s = vsplat(sub);
  for_each_group(n, [&](std::int64_t i, int count) {
    const Vf e = vexp(vsub(load(x + i, count, -INFINITY), s));
    acc = vadd(acc, e);  // padding lanes are exp(-inf) = 0
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
#if defined(BOREALIS_VMATH_VECTOR)
  Vf acc = vsplat(0.0f);
  const Vf s = vsplat(sub);
  for_each_group(n, [&](std::int64_t i, int count) {
    acc = vadd(acc, vexp(vsub(load(x + i, count, -INFINITY), s)));
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
#if defined(BOREALIS_VMATH_VECTOR)
  const Vf s = vsplat(sub), k = vsplat(scale);
  for_each_group(n, [&](std::int64_t i, int count) {
    store(x + i, vmul(vexp(vsub(load(x + i, count, 0.0f), s)), k), count);
  });
#else
  for (std::int64_t i = 0; i < n; ++i) x[i] = std::exp(x[i] - sub) * scale;
#endif
}

// x[i] *= scale for i < n, then x[i] = 0 for n ≤ i < end.
inline void scale_then_clear(float* x, std::int64_t n, float scale, std::int64_t end) {
#if defined(BOREALIS_VMATH_VECTOR)
  const Vf k = vsplat(scale);
  for_each_group(n, [&](std::int64_t i, int count) { store(x + i, vmul(load(x + i, count, 0.0f), k), count); });
#else
  for (std::int64_t i = 0; i < n; ++i) x[i] *= scale;
#endif
  std::fill(x + n, x + end, 0.0f);
}

inline float max_of(const float* x, std::int64_t n) {
#if defined(BOREALIS_VMATH_VECTOR)
  Vf acc = vsplat(-INFINITY);
  for_each_group(n, [&](std::int64_t i, int count) { acc = vmax(acc, load(x + i, count, -INFINITY)); });
  return hmax(acc);
#else
  float m = -INFINITY;
  for (std::int64_t i = 0; i < n; ++i) m = std::max(m, x[i]);
  return m;
#endif
}

}  // namespace borealis::model::vmath
