#pragma once
// The three small products of causal attention, written out for one head's
// block of M query rows (rows i0..i0+M-1) against keys 0..i0+M-1:
//
//   row_dots         S[r][j]  = α Σ_d A[r][d] · Bᵀ[d][j]      (QKᵀ, dO·Vᵀ)
//   rows_times       O[r][:]  = α Σ_j P[r][j] · B[j][:]       (P·V, dS·K)
//   columns_times    O[j][:] += α Σ_r P[r][j] · B[r][:]       (Pᵀ·dO, dSᵀ·Q)
//
// Each head's products are tiny (64 × 256 × 32 at the benchmark's size), and
// through cblas_sgemm more than a quarter of attention's time went to
// packing the operands and clearing outputs (perf: sgemm_*copy 21%, memset
// 7%). Here each head's K and V are packed once (Kᵀ for the scores, rows
// side by side for the other products), and the causal structure is used
// tile by tile: a tile wholly above the diagonal is never computed, and
// each sum stops at the last row or key that can be non-zero. P above the
// diagonal must be zero (the softmax loops write it). Timed against the
// per-block sgemm version, alternating: 4% less time a layer.
//
// Register tiles, for AVX2's 16 registers: row_dots 6 rows × 16 keys (12
// accumulators; 8 loads feed 12 FMAs); the other two R rows × 32 floats of
// the head (R = 2 for a 32-float chunk, 4 for 16 or 8). With AVX-512 (32
// registers): row_dots 6 rows × one 16-key vector, the others 6 rows × two
// 16-float vectors per 32-float chunk. On the EPYC VM (Zen 4, which splits a
// 512-bit FMA in two) that took attention at the benchmark's size from
// 3.6-4.3 to 3.4-3.6 ms a layer forward and 5.3-6.2 to 4.6-4.8 backward
// (alternating A/B, six rounds), by halving the instructions per FMA. A
// head dimension that is not a multiple of 8 ends in a scalar loop.

#include <algorithm>
#include <cstdint>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace borealis::model::attention_kernels {

// Keys are computed 16 at a time, so every S row and every packed Kᵀ row
// holds the key count rounded up to 16 floats, and then an odd number of
// 64-byte lines: rows 1 KB apart (256 keys) share a sixteenth of L1's sets,
// and the products read down such columns (row_dots 58 -> 73 GFLOP/s,
// columns_times 40 -> 51 on one core at 256 keys, D 32).
constexpr std::int64_t kKeyTile = 16;
inline std::int64_t padded_keys(std::int64_t keys) {
  return ((keys + kKeyTile - 1) / kKeyTile * kKeyTile) | kKeyTile;
}

#if defined(__AVX2__) && defined(__FMA__)
using F8 = __m256;
inline F8 zero8() { return _mm256_setzero_ps(); }
inline F8 load8(const float* p) { return _mm256_loadu_ps(p); }
inline F8 splat8(float x) { return _mm256_set1_ps(x); }
inline F8 fma8(F8 a, F8 b, F8 c) { return _mm256_fmadd_ps(a, b, c); }
inline F8 mul8(F8 a, F8 b) { return _mm256_mul_ps(a, b); }
inline F8 add8(F8 a, F8 b) { return _mm256_add_ps(a, b); }
inline void store8(float* p, F8 v) { _mm256_storeu_ps(p, v); }
#else  // portable: the same tiles on eight-float arrays (the compiler vectorizes what it can)
struct F8 {
  float v[8];
};
inline F8 zero8() { return F8{}; }
inline F8 load8(const float* p) {
  F8 r;
  for (int k = 0; k < 8; ++k) r.v[k] = p[k];
  return r;
}
inline F8 splat8(float x) {
  F8 r;
  for (float& e : r.v) e = x;
  return r;
}
inline F8 fma8(F8 a, F8 b, F8 c) {
  for (int k = 0; k < 8; ++k) c.v[k] += a.v[k] * b.v[k];
  return c;
}
inline F8 mul8(F8 a, F8 b) {
  for (int k = 0; k < 8; ++k) a.v[k] *= b.v[k];
  return a;
}
inline F8 add8(F8 a, F8 b) {
  for (int k = 0; k < 8; ++k) a.v[k] += b.v[k];
  return a;
}
inline void store8(float* p, F8 v) {
  for (int k = 0; k < 8; ++k) p[k] = v.v[k];
}
#endif

// B's rows side by side: dst[j·D + c] = B[j·ldb + c]. A head's rows in qkv
// are 3 KB apart at the benchmark's size, and at that stride they share four
// L1 sets: the products below read B row after row, so a packed copy is
// what keeps them in cache.
// Not turned into a memcpy call per row: those were a seventh of attention (perf).
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-loop-distribute-patterns")))
#endif
inline void copy_rows(float* dst, std::int64_t ldd, const float* src, std::int64_t lds, std::int64_t rows,
                      int D) {
  for (std::int64_t j = 0; j < rows; ++j) {
    const float* from = src + j * lds;
    float* to = dst + j * ldd;
    int c = 0;
    for (; c + 8 <= D; c += 8) store8(to + c, load8(from + c));
    for (; c < D; ++c) to[c] = from[c];
  }
}
inline void pack_rows(float* dst, const float* B, std::int64_t ldb, std::int64_t rows, int D) {
  copy_rows(dst, D, B, ldb, rows, D);
}

// Bᵀ[d][j] = Bc[j·D + d] from packed rows (pack_rows), for j < keys, zero
// for keys ≤ j < padded_keys(keys).
inline void transpose_rows(float* Bt, const float* Bc, std::int64_t keys, int D) {
  const std::int64_t kp = padded_keys(keys);
  for (int d = 0; d < D; ++d) {
    float* row = Bt + d * kp;
    for (std::int64_t j = 0; j < keys; ++j) row[j] = Bc[j * D + d];
    std::fill(row + keys, row + kp, 0.0f);
  }
}

namespace detail {

template <int R>
inline void row_dots_tile(float* S, std::int64_t lds, const float* A, std::int64_t lda, const float* Bt,
                          std::int64_t ldbt, int D, float alpha, std::int64_t j0) {
#if defined(__AVX512F__)
  __m512 acc[R];
  for (int r = 0; r < R; ++r) acc[r] = _mm512_setzero_ps();
  for (int d = 0; d < D; ++d) {
    const __m512 b = _mm512_loadu_ps(Bt + d * ldbt + j0);
    for (int r = 0; r < R; ++r) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(A[r * lda + d]), b, acc[r]);
  }
  const __m512 k = _mm512_set1_ps(alpha);
  for (int r = 0; r < R; ++r) _mm512_storeu_ps(S + r * lds + j0, _mm512_mul_ps(acc[r], k));
#else
  F8 acc[R][2];
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = zero8();
  for (int d = 0; d < D; ++d) {
    const F8 b0 = load8(Bt + d * ldbt + j0), b1 = load8(Bt + d * ldbt + j0 + 8);
    for (int r = 0; r < R; ++r) {
      const F8 a = splat8(A[r * lda + d]);
      acc[r][0] = fma8(a, b0, acc[r][0]);
      acc[r][1] = fma8(a, b1, acc[r][1]);
    }
  }
  const F8 k = splat8(alpha);
  for (int r = 0; r < R; ++r) {
    store8(S + r * lds + j0, mul8(acc[r][0], k));
    store8(S + r * lds + j0 + 8, mul8(acc[r][1], k));
  }
#endif
}

template <int R>
void row_dots_rows(float* S, std::int64_t lds, const float* A, std::int64_t lda, const float* Bt,
                   std::int64_t ldbt, int D, float alpha, std::int64_t last_key) {
  for (std::int64_t j0 = 0; j0 <= last_key; j0 += kKeyTile)
    row_dots_tile<R>(S, lds, A, lda, Bt, ldbt, D, alpha, j0);
}

// out[t][c..c+8·NV) (=|+=) α Σ_{s<n} P[t·ps + s·pn] · B[s·ldb + c..]: rows_times
// has ps = ldp, pn = 1; columns_times the transpose (ps = 1, pn = ldp).
template <int R, int NV, bool kAdd>
inline void chunk_tile(float* out, std::int64_t ldo, const float* P, std::int64_t ps, std::int64_t pn,
                       const float* B, std::int64_t ldb, std::int64_t n, float alpha) {
#if defined(__AVX512F__)
  if constexpr (NV == 4) {  // a 32-float chunk as two 16-float vectors
    __m512 acc[R][2];
    for (int t = 0; t < R; ++t) acc[t][0] = acc[t][1] = _mm512_setzero_ps();
    for (std::int64_t s = 0; s < n; ++s) {
      const __m512 b0 = _mm512_loadu_ps(B + s * ldb), b1 = _mm512_loadu_ps(B + s * ldb + 16);
      for (int t = 0; t < R; ++t) {
        const __m512 p = _mm512_set1_ps(P[t * ps + s * pn]);
        acc[t][0] = _mm512_fmadd_ps(p, b0, acc[t][0]);
        acc[t][1] = _mm512_fmadd_ps(p, b1, acc[t][1]);
      }
    }
    const __m512 k = _mm512_set1_ps(alpha);
    for (int t = 0; t < R; ++t)
      for (int v = 0; v < 2; ++v) {
        __m512 x = _mm512_mul_ps(acc[t][v], k);
        if constexpr (kAdd) x = _mm512_add_ps(x, _mm512_loadu_ps(out + t * ldo + 16 * v));
        _mm512_storeu_ps(out + t * ldo + 16 * v, x);
      }
    return;
  }
#endif
  F8 acc[R][NV];
  for (int t = 0; t < R; ++t)
    for (int v = 0; v < NV; ++v) acc[t][v] = zero8();
  for (std::int64_t s = 0; s < n; ++s) {
    F8 p[R];
    for (int t = 0; t < R; ++t) p[t] = splat8(P[t * ps + s * pn]);
    for (int v = 0; v < NV; ++v) {
      const F8 b = load8(B + s * ldb + 8 * v);
      for (int t = 0; t < R; ++t) acc[t][v] = fma8(p[t], b, acc[t][v]);
    }
  }
  const F8 k = splat8(alpha);
  for (int t = 0; t < R; ++t)
    for (int v = 0; v < NV; ++v) {
      F8 x = mul8(acc[t][v], k);
      if constexpr (kAdd) {
        x = add8(x, load8(out + t * ldo + 8 * v));
      }
      store8(out + t * ldo + 8 * v, x);
    }
}

// Scalar columns c0..D (the head dimension's remainder below 8).
template <bool kAdd>
void scalar_columns(float* out, std::int64_t ldo, const float* P, std::int64_t ps, std::int64_t pn,
                    const float* B, std::int64_t ldb, std::int64_t n, float alpha, int rows, int c0,
                    int D) {
  for (int t = 0; t < rows; ++t)
    for (int c = c0; c < D; ++c) {
      float sum = 0;
      for (std::int64_t s = 0; s < n; ++s) sum += P[t * ps + s * pn] * B[s * ldb + c];
      out[t * ldo + c] = kAdd ? out[t * ldo + c] + alpha * sum : alpha * sum;
    }
}

// R output rows (all with the same n), every column of the head.
template <int R, bool kAdd>
void chunk_rows(float* out, std::int64_t ldo, const float* P, std::int64_t ps, std::int64_t pn,
                const float* B, std::int64_t ldb, std::int64_t n, float alpha, int D) {
  int c = 0;
  for (; c + 32 <= D; c += 32) chunk_tile<R, 4, kAdd>(out + c, ldo, P, ps, pn, B + c, ldb, n, alpha);
  switch ((D - c) / 8) {
    case 3: chunk_tile<R, 3, kAdd>(out + c, ldo, P, ps, pn, B + c, ldb, n, alpha); break;
    case 2: chunk_tile<R, 2, kAdd>(out + c, ldo, P, ps, pn, B + c, ldb, n, alpha); break;
    case 1: chunk_tile<R, 1, kAdd>(out + c, ldo, P, ps, pn, B + c, ldb, n, alpha); break;
    default: break;
  }
  c += (D - c) / 8 * 8;
  if (c < D) scalar_columns<kAdd>(out, ldo, P, ps, pn, B, ldb, n, alpha, R, c, D);
}

}  // namespace detail

// S[r][j] = α Σ_d A[r·lda + d] · Bt[d·ldbt + j] for the M rows of a query
// block starting at query i0, every j ≤ i0 + r: computed in 16-key tiles, so
// S's row r is written up to its diagonal's tile (S row stride lds ≥ the
// keys' padded count; Bt padded the same way). Entries past the diagonal
// hold garbage for the caller to overwrite.
inline void row_dots(float* S, std::int64_t lds, const float* A, std::int64_t lda, const float* Bt,
                     std::int64_t ldbt, std::int64_t M, std::int64_t i0, int D, float alpha) {
  std::int64_t r = 0;
  for (; r + 6 <= M; r += 6)
    detail::row_dots_rows<6>(S + r * lds, lds, A + r * lda, lda, Bt, ldbt, D, alpha, i0 + r + 5);
  const std::int64_t left = M - r;
  float* s = S + r * lds;
  const float* a = A + r * lda;
  const std::int64_t last = i0 + M - 1;
  switch (left) {
    case 5: detail::row_dots_rows<5>(s, lds, a, lda, Bt, ldbt, D, alpha, last); break;
    case 4: detail::row_dots_rows<4>(s, lds, a, lda, Bt, ldbt, D, alpha, last); break;
    case 3: detail::row_dots_rows<3>(s, lds, a, lda, Bt, ldbt, D, alpha, last); break;
    case 2: detail::row_dots_rows<2>(s, lds, a, lda, Bt, ldbt, D, alpha, last); break;
    case 1: detail::row_dots_rows<1>(s, lds, a, lda, Bt, ldbt, D, alpha, last); break;
    default: break;
  }
}

// Rows per tile of the value-side products: with AVX-512's 32 registers, 6
// rows × 32 columns in 12 zmm accumulators (attention backward 4.6-4.8 ms a
// layer against 5.3-6.2 with the earlier 4 rows in ymm); with AVX2's
// sixteen, 2 rows when D ≥ 32.
inline int rows_per_tile(int D) {
#if defined(__AVX512F__)
  (void)D;
  return 6;
#else
  return D >= 32 ? 2 : 4;
#endif
}

namespace detail {
// chunk_rows for a run-time row count of 1 to 6 (a tile, or the rows left
// after the last whole tile: taken together, not one by one).
template <bool kAdd>
void chunk_rows_of(int rows, float* out, std::int64_t ldo, const float* P, std::int64_t ps, std::int64_t pn,
                   const float* B, std::int64_t ldb, std::int64_t n, float alpha, int D) {
  switch (rows) {
    case 6: chunk_rows<6, kAdd>(out, ldo, P, ps, pn, B, ldb, n, alpha, D); break;
    case 5: chunk_rows<5, kAdd>(out, ldo, P, ps, pn, B, ldb, n, alpha, D); break;
    case 4: chunk_rows<4, kAdd>(out, ldo, P, ps, pn, B, ldb, n, alpha, D); break;
    case 3: chunk_rows<3, kAdd>(out, ldo, P, ps, pn, B, ldb, n, alpha, D); break;
    case 2: chunk_rows<2, kAdd>(out, ldo, P, ps, pn, B, ldb, n, alpha, D); break;
    default: chunk_rows<1, kAdd>(out, ldo, P, ps, pn, B, ldb, n, alpha, D); break;
  }
}
}  // namespace detail

// out[r·ldo + c] = α Σ_{j ≤ i0 + r} P[r·ldp + j] · B[j·ldb + c], c < D, for the
// M rows of a query block starting at i0 (P zero past each row's diagonal).
inline void rows_times(float* out, std::int64_t ldo, const float* P, std::int64_t ldp, const float* B,
                       std::int64_t ldb, std::int64_t M, std::int64_t i0, int D, float alpha) {
  const int R = rows_per_tile(D);
  for (std::int64_t r = 0; r < M; r += R) {
    const int rows = static_cast<int>(std::min<std::int64_t>(R, M - r));
    const std::int64_t n = i0 + r + rows;  // keys up to the tile's last diagonal
    detail::chunk_rows_of<false>(rows, out + r * ldo, ldo, P + r * ldp, ldp, 1, B, ldb, n, alpha, D);
  }
}

// out[j·ldo + c] += α Σ_r P[r·ldp + j] · B[r·ldb + c], c < D, for every key
// j < i0 + M, over the rows r of a query block starting at i0 that can see
// j (r ≥ j - i0; P zero elsewhere).
inline void columns_times(float* out, std::int64_t ldo, const float* P, std::int64_t ldp, const float* B,
                          std::int64_t ldb, std::int64_t M, std::int64_t i0, int D, float alpha) {
  const std::int64_t keys = i0 + M;
  const int R = rows_per_tile(D);
  for (std::int64_t j = 0; j < keys; j += R) {
    const int rows = static_cast<int>(std::min<std::int64_t>(R, keys - j));
    const std::int64_t r0 = std::max<std::int64_t>(0, j - i0);
    detail::chunk_rows_of<true>(rows, out + j * ldo, ldo, P + r0 * ldp + j, 1, ldp, B + r0 * ldb, ldb, M - r0,
                                alpha, D);
  }
}

}  // namespace borealis::model::attention_kernels
