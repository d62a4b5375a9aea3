// Rotary position embedding in the rotate-half layout.

#include <cmath>

#include "borealis/model/layers.h"

namespace borealis::model {

RopeTable::RopeTable(int max_seq_len, int head_dim, double theta) : half_(head_dim / 2) {
  const std::size_t n = static_cast<std::size_t>(max_seq_len) * static_cast<std::size_t>(half_);
  cos_.resize(n);
  sin_.resize(n);
  for (int pos = 0; pos < max_seq_len; ++pos)
    for (int i = 0; i < half_; ++i) {
      const double freq = std::pow(theta, -2.0 * i / head_dim);
      const double angle = pos * freq;
      cos_[static_cast<std::size_t>(pos) * half_ + i] = static_cast<float>(std::cos(angle));
      sin_[static_cast<std::size_t>(pos) * half_ + i] = static_cast<float>(std::sin(angle));
    }
}

namespace {
// Row n is at position first + n % T. sign = +1 rotates by +angle (forward),
// -1 by -angle (the transpose, backward).
void rotate(float* qkv, const RopeTable& table, std::int64_t B, std::int64_t T, int NH, int NKV,
            int D, float sign, int first = 0) {
  const std::int64_t row = static_cast<std::int64_t>(NH + 2 * NKV) * D;
  const int heads = NH + NKV;  // q heads then k heads are contiguous at the row's start
  const int half = D / 2;
#pragma omp parallel for schedule(static)
  for (std::int64_t n = 0; n < B * T; ++n) {
    const int pos = first + static_cast<int>(n % T);
    const float* c = table.cos(pos);
    const float* s = table.sin(pos);
    float* r = qkv + n * row;
    for (int h = 0; h < heads; ++h) {
      float* x = r + static_cast<std::int64_t>(h) * D;
      for (int i = 0; i < half; ++i) {
        const float a = x[i], b = x[i + half], si = sign * s[i];
        x[i] = a * c[i] - b * si;
        x[i + half] = b * c[i] + a * si;
      }
    }
  }
}
}  // namespace

void rope_forward(float* qkv, const RopeTable& table, std::int64_t B, std::int64_t T, int NH,
                  int NKV, int D) {
  rotate(qkv, table, B, T, NH, NKV, D, 1.0f);
}

void rope_forward_at(float* qkv, const RopeTable& table, std::int64_t rows, int first_position, int NH, int NKV,
                     int D) {
  rotate(qkv, table, 1, rows, NH, NKV, D, 1.0f, first_position);
}

void rope_backward(float* dqkv, const RopeTable& table, std::int64_t B, std::int64_t T, int NH,
                   int NKV, int D) {
  rotate(dqkv, table, B, T, NH, NKV, D, -1.0f);
}

}  // namespace borealis::model
