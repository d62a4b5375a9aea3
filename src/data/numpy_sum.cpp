#include "borealis/data/numpy_sum.h"

#include <algorithm>

namespace borealis::data {

namespace {

double pairwise_sum(const double* a, std::size_t n) {
  if (n < 8) {
    double r = -0.0;
    for (std::size_t i = 0; i < n; ++i) r += a[i];
    return r;
  }
  if (n <= 128) {
    double r[8];
    for (std::size_t j = 0; j < 8; ++j) r[j] = a[j];
    std::size_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (std::size_t j = 0; j < 8; ++j) r[j] += a[i + j];
    double result = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) result += a[i];
    return result;
  }
  std::size_t half = n / 2;
  half -= half % 8;
  return pairwise_sum(a, half) + pairwise_sum(a + half, n - half);
}

}  // namespace

double numpy_sum(std::span<const double> values) {
  constexpr std::size_t kBuffer = 8192;  // NPY_BUFSIZE
  double total = 0.0;
  for (std::size_t i = 0; i < values.size(); i += kBuffer)
    total += pairwise_sum(values.data() + i, std::min(kBuffer, values.size() - i));
  return total;
}

std::vector<double> numpy_normalize(std::span<const double> weights) {
  const double sum = numpy_sum(weights);
  std::vector<double> out(weights.begin(), weights.end());
  for (double& w : out) w /= sum;
  return out;
}

}  // namespace borealis::data
