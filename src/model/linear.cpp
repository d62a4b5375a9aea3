// Linear layers through OpenBLAS. Weights are [out, in] (torch.nn.Linear's
// layout), so forward multiplies by Wᵀ: one sgemm with the second operand
// transposed, which OpenBLAS packs as cheaply as the plain one.
//
// Outputs are never left to sgemm's beta = 0: OpenBLAS clears C in a pass
// of its own (sgemm_beta, 2.3% of a training step in perf), slower than
// writing the bias rows (plus the residual stream, when the caller adds
// one) or zeros on all threads and adding with beta = 1.
//
// Threads run whole single-threaded sgemm calls on parts of their own
// (`thread_parts`, `part_of`) instead of OpenBLAS splitting each call: its
// threads pack shares of one operand into a buffer that every thread's
// kernel then reads. When the VM's two cores sat apart (a state that came
// and went for seconds at a time, SGEMM itself barely slower), that packing
// doubled and a training step's matmuls took 465-519 ms instead of 428-446;
// parts that no other thread reads took 425-450 ms in both states
// (bench_layers' shapes, caches flushed, thirteen rounds). Calls whose parts
// would be small keep OpenBLAS's own threading.

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cstring>

#include "borealis/model/layers.h"
#include "column_blocks.h"

namespace borealis::model {

namespace {
// Below this many rows a part (the rows of an output, or of a weight
// gradient) runs less efficiently than OpenBLAS's own split of the call.
constexpr std::int64_t kMinPartRows = 256;

// [begin, end) of part `t` of `parts` over `rows`, inner boundaries on
// multiples of 16 rows, so no part but the last ends in a partial tile of
// OpenBLAS's AVX-512 sgemm kernel (16 × 4 register tiles).
struct Part {
  std::int64_t begin, end;
};
Part part_of(std::int64_t rows, int t, int parts) {
  auto edge = [&](int k) { return k == parts ? rows : rows * k / parts / 16 * 16; };
  return {edge(t), edge(t + 1)};
}

// How many threads take parts of their own: all of them, unless that makes
// parts smaller than kMinPartRows rows or we are inside a parallel region
// already (then 1: one sgemm, OpenBLAS decides).
int thread_parts(std::int64_t rows) {
  const int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
  return threads > 1 && rows / threads >= kMinPartRows ? threads : 1;
}

// out[n, :] = residual[n, :] + row (either may be null, missing ones are 0;
// residual may be out), for n in [n0, n1).
void start_rows(float* out, const float* row, const float* residual, std::int64_t n0, std::int64_t n1,
                std::int64_t width) {
  const auto bytes = static_cast<std::size_t>(width) * sizeof(float);
  for (std::int64_t n = n0; n < n1; ++n) {
    float* o = out + n * width;
    if (residual == nullptr) {
      if (row != nullptr)
        std::memcpy(o, row, bytes);
      else
        std::memset(o, 0, bytes);
    } else {
      const float* r = residual + n * width;
      if (row != nullptr)
        for (std::int64_t i = 0; i < width; ++i) o[i] = r[i] + row[i];
      else if (r != o)
        std::memcpy(o, r, bytes);
    }
  }
}

// The same on all threads, for calls that OpenBLAS splits itself.
void start_rows_parallel(float* out, const float* row, const float* residual, std::int64_t N,
                         std::int64_t width) {
#pragma omp parallel for schedule(static)
  for (std::int64_t n = 0; n < N; ++n) start_rows(out, row, residual, n, n + 1, width);
}

// db[o0:o1] += alpha · Σ_n dout[n, o0:o1], summed in row order.
void bias_gradient_columns(float* db, const float* dout, std::int64_t N, std::int64_t O, std::int64_t o0,
                           std::int64_t o1, float alpha) {
  float acc[kColumnBlock] = {};
  for (std::int64_t n = 0; n < N; ++n) {
    const float* row = dout + n * O;
    for (std::int64_t o = o0; o < o1; ++o) acc[o - o0] += row[o];
  }
  for (std::int64_t o = o0; o < o1; ++o) db[o] += alpha * acc[o - o0];
}

// out[n0:n1] += in[n0:n1] · Wᵀ
void forward_rows(float* out, const float* in, const float* w, std::int64_t n0, std::int64_t n1,
                  std::int64_t I, std::int64_t O) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n1 - n0), static_cast<int>(O),
              static_cast<int>(I), 1.0f, in + n0 * I, static_cast<int>(I), w, static_cast<int>(I), 1.0f,
              out + n0 * O, static_cast<int>(O));
}

// din[n0:n1] += alpha · dout[n0:n1] · W
void input_gradient_rows(float* din, const float* dout, const float* w, std::int64_t n0, std::int64_t n1,
                         std::int64_t I, std::int64_t O, float alpha) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(n1 - n0), static_cast<int>(I),
              static_cast<int>(O), alpha, dout + n0 * O, static_cast<int>(O), w, static_cast<int>(I), 1.0f,
              din + n0 * I, static_cast<int>(I));
}

// dW[o0:o1] += alpha · dout[:, o0:o1]ᵀ · in
void weight_gradient_rows(float* dw, const float* dout, const float* in, std::int64_t o0, std::int64_t o1,
                          std::int64_t N, std::int64_t I, std::int64_t O, float alpha) {
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(o1 - o0), static_cast<int>(I),
              static_cast<int>(N), alpha, dout + o0, static_cast<int>(O), in, static_cast<int>(I), 1.0f,
              dw + o0 * I, static_cast<int>(I));
}
}  // namespace

void linear_forward(float* out, const float* in, const float* w, const float* b, std::int64_t N,
                    std::int64_t I, std::int64_t O, const float* residual) {
  const int parts = thread_parts(N);
  if (parts == 1) {
    start_rows_parallel(out, b, residual, N, O);  // residual + bias (or zeros); sgemm adds the product
    forward_rows(out, in, w, 0, N, I, O);
    return;
  }
#pragma omp parallel num_threads(parts)
  {
    const Part p = part_of(N, omp_get_thread_num(), parts);
    start_rows(out, b, residual, p.begin, p.end, O);
    forward_rows(out, in, w, p.begin, p.end, I, O);
  }
}

void linear_backward(float* din, float* dw, float* db, const float* dout, const float* in,
                     const float* w, std::int64_t N, std::int64_t I, std::int64_t O,
                     float alpha) {
  // The two products have the same FLOPs. With an even number of threads,
  // half take din's rows and half dW's rows, so each thread packs one
  // operand pair; otherwise every thread takes a part of each.
  const int threads = thread_parts(N);
  const bool halves = din != nullptr && threads % 2 == 0 && (threads == 2 || O / (threads / 2) >= kMinPartRows);
  const bool each = !halves && threads > 1 && O / threads >= kMinPartRows;
  if (halves || each) {
#pragma omp parallel num_threads(threads)
    {
      const int t = omp_get_thread_num();
      if (halves) {
        const int half = threads / 2;
        if (t < half) {
          const Part p = part_of(N, t, half);
          start_rows(din, nullptr, nullptr, p.begin, p.end, I);
          input_gradient_rows(din, dout, w, p.begin, p.end, I, O, alpha);
        } else {
          const Part p = part_of(O, t - half, half);
          weight_gradient_rows(dw, dout, in, p.begin, p.end, N, I, O, alpha);
        }
      } else {
        if (din != nullptr) {
          const Part p = part_of(N, t, threads);
          start_rows(din, nullptr, nullptr, p.begin, p.end, I);
          input_gradient_rows(din, dout, w, p.begin, p.end, I, O, alpha);
        }
        const Part q = part_of(O, t, threads);
        weight_gradient_rows(dw, dout, in, q.begin, q.end, N, I, O, alpha);
      }
      // The bias sums, handed out block by block: the thread whose product
      // finished first starts on them while the other is still multiplying
      // (on the EPYC VM the two parts' times differ by 0.2-0.6 ms a call, on
      // average, at the benchmark's shapes).
      if (db != nullptr)
        share_column_blocks(O, [&](std::int64_t o0, std::int64_t o1) {
          bias_gradient_columns(db, dout, N, O, o0, o1, alpha);
        });
    }
    return;
  }
  if (din != nullptr) {
    start_rows_parallel(din, nullptr, nullptr, N, I);
    input_gradient_rows(din, dout, w, 0, N, I, O, alpha);
  }
  weight_gradient_rows(dw, dout, in, 0, O, N, I, O, alpha);
  if (db != nullptr)
    for_column_blocks(O, [&](std::int64_t o0, std::int64_t o1) { bias_gradient_columns(db, dout, N, O, o0, o1, alpha); });
}

}  // namespace borealis::model
