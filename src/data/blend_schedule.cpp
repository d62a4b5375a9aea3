#include "borealis/data/blend_schedule.h"

#include "borealis/util/error.h"

namespace borealis::data {

BlendScheduler::BlendScheduler(std::span<const double> weights)
    : weights_(weights.begin(), weights.end()), count_(weights.size(), 0.0), counts_(weights.size(), 0) {
  if (weights_.empty()) throw Error("a blend needs at least one dataset");
}

BlendSchedule build_blend_schedule(std::span<const double> weights, std::uint64_t size) {
  BlendScheduler scheduler(weights);
  BlendSchedule s;
  s.dataset_index.resize(size);
  s.dataset_sample_index.resize(size);
  scheduler.next(std::span<std::uint32_t>(s.dataset_index), std::span<std::int64_t>(s.dataset_sample_index));
  s.counts = scheduler.counts();
  return s;
}

}  // namespace borealis::data
