#include "borealis/train/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace borealis::train {

double LearningRateSchedule::at(std::int64_t step) const {
  if (step < warmup) return lr * static_cast<double>(step + 1) / static_cast<double>(warmup);
  if (decay == "constant" || steps <= warmup) return lr;
  const double p = std::clamp(
      static_cast<double>(step - warmup) / static_cast<double>(steps - warmup), 0.0, 1.0);
  if (decay == "linear") return lr - (lr - min_lr) * p;
  return min_lr + (lr - min_lr) * 0.5 * (1.0 + std::cos(std::numbers::pi * p));
}

}  // namespace borealis::train
