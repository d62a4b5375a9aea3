#include "borealis/data/blend_schedule.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "borealis/util/error.h"

namespace borealis::data {

namespace {

constexpr std::uint64_t kWindow = 4096;       // samples between re-aims of the level
constexpr std::uint64_t kBackOff = 16;        // windows of tournament after the filter did not pay,
constexpr std::uint64_t kMaxBackOff = 1024;   // doubling while it keeps not paying

bool later(const std::pair<std::uint64_t, std::uint32_t>& a, const std::pair<std::uint64_t, std::uint32_t>& b) {
  return a.first > b.first;
}

}  // namespace

BlendScheduler::BlendScheduler(std::span<const double> weights) : counts_(weights.size(), 0) {
  if (weights.empty()) throw Error("a blend needs at least one dataset");
  // Lines: one per distinct weight (bit for bit), in order of first appearance.
  std::unordered_map<std::uint64_t, std::uint32_t> line_of;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const auto [it, fresh] = line_of.try_emplace(std::bit_cast<std::uint64_t>(weights[i]), static_cast<std::uint32_t>(weights_.size()));
    if (fresh) {
      weights_.push_back(weights[i]);
      members_.emplace_back();
    }
    members_[it->second].push_back(static_cast<std::uint32_t>(i));
  }
  grouped_ = weights_.size() < weights.size();
  if (grouped_) {
    turn_.assign(weights_.size(), 0);
    for (const auto& m : members_) candidate_.push_back(m.front());
  } else {
    members_.clear();
  }
  count_.assign(weights_.size(), 0.0);
  large_ = weights_.size() >= kLargeFrom;
  if (large_) {
    f_.budget = 20 * static_cast<std::uint64_t>(std::bit_width(weights_.size()));
    f_.back_off = kBackOff;
    f_.window_end = kWindow;  // the first window runs the tournament, to see where winners are
    f_.lowest = std::numeric_limits<double>::infinity();
    f_.highest = -std::numeric_limits<double>::infinity();
    for (double w : weights_) f_.largest = std::max(f_.largest, std::fabs(w));
    tournament_.start(lines(), 0);
  }
}

std::size_t BlendScheduler::scan() const {
  if (!grouped_) return pick();
  const double kk = kk_of(k_);
  std::size_t best = 0;
  double best_error = weights_[0] * kk - count_[0];
  for (std::size_t i = 1; i < weights_.size(); ++i) {
    const double error = weights_[i] * kk - count_[i];
    if (error > best_error || (error == best_error && candidate_[i] < candidate_[best])) {
      best = i;
      best_error = error;
    }
  }
  return best;
}

std::size_t BlendScheduler::step() {
  std::size_t line;
  if (!large_) {
    line = scan();
  } else if (f_.on) {
    line = pick_filtered();
    ++(f_.filtered ? stats_.filtered : stats_.scanned);
  } else {
    line = tournament_.winner(lines(), k_);
    ++stats_.tournament;
  }
  const double won_at = weights_[line] * kk_of(k_) - count_[line];
  const std::size_t dataset = candidate(line);
  if (grouped_) {  // the next member's turn; its count is the line's now
    const auto& m = members_[line];
    turn_[line] = turn_[line] + 1 == m.size() ? 0 : turn_[line] + 1;
    candidate_[line] = m[turn_[line]];
    count_[line] = static_cast<double>(counts_[candidate_[line]] + (candidate_[line] == dataset ? 1 : 0));
  } else {
    count_[line] += 1.0;
  }
  ++k_;
  if (large_) counted_large(line, won_at);
  return dataset;
}

// The first sample k (as max(k, 1)) at which line i's computed error could
// reach the level: w_i k - count_i >= L - tolerance, rounded down and one
// less, so it is never later than the truth; at most the horizon (waking
// early only costs a look), which set_level() keeps beyond the next window.
std::uint64_t BlendScheduler::wake_step(std::size_t i) const {
  if (!(weights_[i] > 0)) return 0;  // never rising: always awake
  const double x = (f_.level - f_.tolerance + count_[i]) / weights_[i];
  const double t = std::floor(x - std::ldexp(std::fabs(x), -40) - 1);
  if (t <= 0) return 0;
  return t >= static_cast<double>(f_.horizon) ? f_.horizon : static_cast<std::uint64_t>(t);
}

void BlendScheduler::set_level(double level) {
  f_.on = true;
  f_.level = level;
  // |computed error - exact error| <= 2^-52 (w k + count) <= 2^-52 (w + 1) k
  // for samples k up to the horizon; four times that, so a wake step is
  // never late. Sized at each re-aim from the current sample, so the margin
  // stays as tight as the rounding there allows.
  f_.horizon = 4 * std::max(k_, kWindow);
  f_.tolerance = std::ldexp((f_.largest + 1) * static_cast<double>(f_.horizon), -50);
  f_.awake.clear();
  f_.asleep.clear();
  const double kk = kk_of(k_);
  for (std::size_t i = 0; i < weights_.size(); ++i) {
    const std::uint64_t t = wake_step(i);
    if (static_cast<double>(t) <= kk) f_.awake.push_back(static_cast<std::uint32_t>(i));
    else f_.asleep.push_back({t, static_cast<std::uint32_t>(i)});
  }
  std::make_heap(f_.asleep.begin(), f_.asleep.end(), later);
}

std::size_t BlendScheduler::pick_filtered() {
  f_.filtered = false;
  const double kk = kk_of(k_);
  while (!f_.asleep.empty() && static_cast<double>(f_.asleep.front().first) <= kk) {
    f_.awake.push_back(f_.asleep.front().second);
    std::pop_heap(f_.asleep.begin(), f_.asleep.end(), later);
    f_.asleep.pop_back();
  }
  f_.scanned += f_.awake.size();
  double best_error = -std::numeric_limits<double>::infinity();
  std::size_t best = 0, slot = 0;
  for (std::size_t s = 0; s < f_.awake.size(); ++s) {
    const std::size_t i = f_.awake[s];
    const double error = weights_[i] * kk - count_[i];
    if (error > best_error || (error == best_error && candidate(i) < candidate(best))) {  // Megatron's tie rule: lowest dataset
      best_error = error;
      best = i;
      slot = s;
    }
  }
  if (best_error >= f_.level) {  // everything asleep is below the level: this is the winner
    f_.filtered = true;
    f_.winner_slot = slot;
    return best;
  }
  f_.scanned += weights_.size();
  return scan();  // the level was too high for this sample: lowered in counted_large()
}

void BlendScheduler::counted_large(std::size_t winner, double won_at) {
  f_.lowest = std::min(f_.lowest, won_at);
  f_.highest = std::max(f_.highest, won_at);
  if (!f_.on) {
    tournament_.changed(lines(), winner, k_);
  } else if (f_.filtered) {  // the winner's error fell (by one, or for a group when all had a turn): maybe asleep again
    const std::uint64_t t = wake_step(winner);
    if (static_cast<double>(t) > kk_of(k_)) {
      f_.awake[f_.winner_slot] = f_.awake.back();
      f_.awake.pop_back();
      f_.asleep.push_back({t, static_cast<std::uint32_t>(winner)});
      std::push_heap(f_.asleep.begin(), f_.asleep.end(), later);
    }
  } else {
    set_level(std::min(f_.level, won_at) - (f_.highest - f_.lowest) - 1e-9);
  }
  if (k_ < f_.window_end) return;
  // Re-aim: the level half the winners' spread below the lowest winner of
  // this window. A filter window that looked at more than its budget of
  // lines per sample (weights that crowd the top) hands over to the
  // tournament for a while; the filter tries again after it.
  if (f_.on && f_.scanned > f_.budget * kWindow) {
    f_.on = false;
    tournament_.start(lines(), k_);
    f_.window_end = k_ + kWindow * f_.back_off;
    f_.back_off = std::min(2 * f_.back_off, kMaxBackOff);
  } else {
    if (f_.on) f_.back_off = kBackOff;  // it paid
    set_level(f_.lowest - 0.5 * (f_.highest - f_.lowest) - 1e-9);
    f_.window_end = k_ + kWindow;
  }
  f_.scanned = 0;
  f_.lowest = std::numeric_limits<double>::infinity();
  f_.highest = -std::numeric_limits<double>::infinity();
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
