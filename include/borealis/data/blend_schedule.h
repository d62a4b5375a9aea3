#pragma once
// Megatron's blending schedule (helpers.cpp build_blending_indices): sample k
// of a blend goes to the dataset furthest behind its share,
//   argmax_i  w_i * max(k, 1) - count_i   (ties: the lowest i),
// evaluated in double exactly as the C++ helper does (each product and
// difference rounded on its own; the library is built with
// -ffp-contract=off, so no fused multiply-add changes a bit).
// dataset_index[k] is that i, dataset_sample_index[k] its count before k.
//
// Like Megatron's loop, a blend of up to 383 datasets looks at every dataset
// for every sample: at 14 datasets the loop-carried chain through the counts,
// not the arithmetic, sets the pace (about 20 ns per sample). An AVX2
// branch-free scan was no faster; a speculative one (the top two of the next
// sample computed before this one's winner is known) was 20% faster in
// isolation and is not used: with a core of its own the schedule of a 2T
// build ends well before the rest of the build (20 s of 33 s).
//
// From 384 lines on, the cost per sample is kept to O(log lines), amortized,
// by two exact methods, each used where it pays:
//
// The level filter looks at few lines. A line whose error is below a level
// L cannot win while another's is at or above it, and its error
// w_i * k - count_i rises steadily, so it sleeps in a heap until the first
// sample at which it could reach L (its wake step, computed with a margin
// for rounding). Each sample scans only the awake lines; if their best is at
// or above L it is the winner Megatron's loop picks (everything asleep is
// below it, so ties are among the awake), otherwise that sample is decided
// by the full scan and the level is lowered. L sits just under where recent
// winners have been. Lognormal weights, 2,419 datasets: 71 awake, 330 ns per
// sample (the scan: 1,858); the awake set grows about as n^0.4.
//
// Where the top is crowded (weights nearly equal but distinct, say) most
// lines stay awake, and the kinetic tournament (kinetic_tournament.h) runs
// instead: O(log n) re-decisions per sample, 250-800 ns at 2,419 lines
// whatever the weights. The filter is kept for a 4,096-sample window only
// while it scanned at most 20 log2(lines) lines per sample (full scans
// included): about where the two cost the same. After a window that did
// not pay, the tournament runs for 16 windows, then 32, ... up to 1,024
// (the trial window is the cost of looking again). The first window runs
// the tournament, to see where winners are.
//
// Lines are datasets, or groups of equal weight (see weights_ below).
//
// The schedule is sequential but needs only one count per dataset, so
// BlendScheduler hands it out in chunks: a blend of billions of samples is
// written to disk without ever being held in memory.

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "borealis/data/kinetic_tournament.h"

namespace borealis::data {

class BlendScheduler {
 public:
  // `weights` as Megatron passes them (already normalised by the caller's rule).
  explicit BlendScheduler(std::span<const double> weights);

  // The next dataset_index.size() decisions (both spans the same size).
  template <typename Index, typename Count>
  void next(std::span<Index> dataset_index, std::span<Count> dataset_sample_index) {
    if (!grouped_ && !large_) {  // the common small blend, inline; counts kept in count_ alone
      for (std::size_t j = 0; j < dataset_index.size(); ++j) {
        const std::size_t best = pick();
        const double taken = count_[best];  // exact: below 2^53
        count_[best] = taken + 1.0;
        ++k_;
        dataset_index[j] = static_cast<Index>(best);
        dataset_sample_index[j] = static_cast<Count>(taken);
      }
      return;
    }
    for (std::size_t j = 0; j < dataset_index.size(); ++j) {
      const std::size_t best = step();
      dataset_index[j] = static_cast<Index>(best);
      dataset_sample_index[j] = static_cast<Count>(counts_[best]++);
    }
  }
  // Samples taken from each dataset so far.
  const std::vector<std::uint64_t>& counts() const {
    if (!grouped_ && !large_)
      for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] = static_cast<std::uint64_t>(count_[i]);
    return counts_;
  }
  // How the samples of a large blend (384 lines or more) were decided.
  struct Stats {
    std::uint64_t filtered = 0;    // by the level filter
    std::uint64_t scanned = 0;     // by a full scan, the level being too high
    std::uint64_t tournament = 0;  // by the kinetic tournament
  };
  const Stats& stats() const { return stats_; }
  // Datasets, or groups of equal weight, that the scheduler compares.
  std::size_t line_count() const { return weights_.size(); }

 private:
  static constexpr std::size_t kLargeFrom = 384;  // lines; below, the scan is faster than both (measured)
  static double kk_of(std::uint64_t k) { return k > 1 ? static_cast<double>(k) : 1.0; }
  // Megatron's scan over the lines (datasets, when no two weights are equal).
  std::size_t pick() const {
    const double kk = kk_of(k_);
    std::size_t best = 0;
    double best_error = weights_[0] * kk - count_[0];
    for (std::size_t i = 1; i < weights_.size(); ++i) {
      const double error = weights_[i] * kk - count_[i];
      if (error > best_error) {
        best = i;
        best_error = error;
      }
    }
    return best;
  }
  // The general step (blend_schedule.cpp): picks a line, takes its
  // candidate dataset, advances the line's state; returns the dataset.
  std::size_t step();
  std::size_t scan() const;  // the full scan, by candidate dataset on ties
  std::size_t candidate(std::size_t line) const { return grouped_ ? candidate_[line] : line; }
  KineticTournament::Lines lines() const {
    return {weights_, count_, grouped_ ? std::span<const std::uint32_t>(candidate_) : std::span<const std::uint32_t>()};
  }
  // The level filter and the switch to and from the tournament (blend_schedule.cpp).
  std::size_t pick_filtered();
  void counted_large(std::size_t winner, double won_at);
  std::uint64_t wake_step(std::size_t i) const;
  void set_level(double level);

  // Lines are the datasets, or, when some weights are equal, the groups of
  // datasets of one weight. Equal weights give equal errors to equal counts,
  // so a group's next winner is always its member that is furthest behind,
  // lowest index first: the group takes its members in turn (round robin),
  // and only one line per group needs looking at. A blend of 2,419 equal
  // files is then one line, not 2,419.
  std::vector<double> weights_;  // per line
  std::vector<double> count_;    // per line: (double)current_samples of its candidate, as in the helper
  mutable std::vector<std::uint64_t> counts_;  // per dataset (for a small ungrouped blend: filled from count_ when asked)
  std::uint64_t k_ = 0;
  bool grouped_ = false;
  std::vector<std::vector<std::uint32_t>> members_;  // per line: its datasets, ascending (grouped)
  std::vector<std::uint32_t> turn_;                  // per line: whose turn it is (grouped)
  std::vector<std::uint32_t> candidate_;             // per line: that member's dataset (grouped)

  struct Filter {
    bool on = false;         // the filter picks (else the tournament)
    double level = 0;        // L
    double largest = 0;      // weight
    double tolerance = 0;    // bound on an error's rounding, for samples below `horizon`
    std::uint64_t horizon = 0;
    std::vector<std::uint32_t> awake;
    std::vector<std::pair<std::uint64_t, std::uint32_t>> asleep;  // min-heap on wake step
    std::size_t winner_slot = 0;  // the winner's place in `awake`, when it came from there
    bool filtered = false;        // the last winner came from the awake set
    double lowest = 0, highest = 0;  // winners' errors in this window
    std::uint64_t window_end = 0;
    std::uint64_t scanned = 0;       // lines looked at in this window
    std::uint64_t budget = 0;        // lines per sample the filter may look at
    std::uint64_t back_off = 0;      // windows of tournament after the next one that does not pay
  };
  bool large_ = false;  // 384 lines or more: the filter and the tournament
  Stats stats_;
  Filter f_;
  KineticTournament tournament_;
};

struct BlendSchedule {
  std::vector<std::uint32_t> dataset_index;
  std::vector<std::int64_t> dataset_sample_index;
  std::vector<std::uint64_t> counts;  // samples taken from each dataset
};

// The whole schedule in memory (tests, small blends).
BlendSchedule build_blend_schedule(std::span<const double> weights, std::uint64_t size);

}  // namespace borealis::data
