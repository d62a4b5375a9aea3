#pragma once
// Loss and gradient-norm spikes: a step whose loss or gradient norm lies more
// than `zscore` standard deviations above the mean of the last `window`
// accepted steps is skipped (no update) and logged. It judges only once it
// has min(window, 10) steps to compare with; skipped steps do not enter the
// window. The window is saved in checkpoints, so a resumed run judges as the
// uninterrupted one would.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace borealis::train {

class SpikeDetector {
 public:
  SpikeDetector(double zscore, std::int64_t window);

  bool enabled() const { return zscore_ > 0; }
  // Why the step should be skipped ("loss 9.1 is 7.3 standard deviations
  // above the last 50 steps' mean 4.2"), or nothing (then the step joins the window).
  std::optional<std::string> check(double loss, double grad_norm);

  nlohmann::json to_json() const;
  void from_json(const nlohmann::json& j);

 private:
  double zscore_;
  std::size_t window_;
  std::deque<double> loss_, norm_;
};

}  // namespace borealis::train
