#include "borealis/train/spike_detector.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace borealis::train {

namespace {
constexpr std::size_t kMinHistory = 10;

// (x - mean) / std over the values; 0 when they do not vary.
double zscore_of(double x, const std::deque<double>& values) {
  double mean = 0;
  for (double v : values) mean += v;
  mean /= static_cast<double>(values.size());
  double var = 0;
  for (double v : values) var += (v - mean) * (v - mean);
  const double sd = std::sqrt(var / static_cast<double>(values.size()));
  return sd > 0 ? (x - mean) / sd : 0.0;
}
}  // namespace

SpikeDetector::SpikeDetector(double zscore, std::int64_t window)
    : zscore_(zscore), window_(static_cast<std::size_t>(std::max<std::int64_t>(2, window))) {}

std::optional<std::string> SpikeDetector::check(double loss, double grad_norm) {
  if (!enabled()) return std::nullopt;
  if (loss_.size() >= std::min(window_, kMinHistory)) {
    for (auto [name, x, hist] : {std::tuple{"loss", loss, &loss_},
                                 std::tuple{"gradient norm", grad_norm, &norm_}}) {
      const double z = zscore_of(x, *hist);
      if (z > zscore_)
        return fmt::format("{} {:.4g} is {:.1f} standard deviations above the last {} steps' mean",
                           name, x, z, hist->size());
    }
  }
  loss_.push_back(loss);
  norm_.push_back(grad_norm);
  if (loss_.size() > window_) {
    loss_.pop_front();
    norm_.pop_front();
  }
  return std::nullopt;
}

nlohmann::json SpikeDetector::to_json() const {
  return {{"loss", std::vector<double>(loss_.begin(), loss_.end())},
          {"grad_norm", std::vector<double>(norm_.begin(), norm_.end())}};
}

void SpikeDetector::from_json(const nlohmann::json& j) {
  loss_.clear();
  norm_.clear();
  if (!j.is_object()) return;
  for (double v : j.value("loss", std::vector<double>{})) loss_.push_back(v);
  for (double v : j.value("grad_norm", std::vector<double>{})) norm_.push_back(v);
  while (norm_.size() < loss_.size()) norm_.push_back(0);
  while (loss_.size() > window_) {
    loss_.pop_front();
    norm_.pop_front();
  }
}

}  // namespace borealis::train
