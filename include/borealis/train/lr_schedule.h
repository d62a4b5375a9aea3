#pragma once
// Learning rate per optimizer step (0-based): linear warmup from lr/warmup
// to lr over `warmup` steps, then decay to min_lr at the last step:
//   cosine:   min + (lr - min) · (1 + cos(π p)) / 2
//   linear:   lr - (lr - min) · p
//   constant: lr
// with p = (step - warmup) / (steps - warmup), clamped to [0, 1].

#include <cstdint>
#include <string>

namespace borealis::train {

struct LearningRateSchedule {
  double lr = 3e-4, min_lr = 3e-5;
  std::int64_t warmup = 0, steps = 1;
  std::string decay = "cosine";

  double at(std::int64_t step) const;
};

}  // namespace borealis::train
