#pragma once
// A kinetic tournament over lines e_i(k) = w_i * max(k, 1) - count_i, the
// errors of Megatron's blending schedule (blend_schedule.h), for blends of
// many datasets where the level filter does not pay.
//
// A complete binary tree over the lines keeps at each node the winner of its
// two children: the larger error, evaluated in double exactly as Megatron's
// loop does, ties to the lower tie key (Megatron's lowest dataset). With it
// the node keeps a certificate: the first sample at which the loser could
// catch up. Between wins a line's error rises by w_i per sample, so with a
// margin m and a slope gap g = w_loser - w_winner the winner is safe for
// (m - 3 tol) / g samples, where tol (four times a bound on one computed
// error's rounding, sized per pair from its weights and counts) keeps the
// computed comparison the same as the exact one. The root is the sample's
// winner. Each sample re-decides the nodes whose certificates ran out (found
// in a ring of buckets by sample, farther ones in a heap) and the path above
// the line that won (its count changed).
//
// Events: each node's winner over time follows the upper envelope of the
// pieces of line its subtree held, so a win costs O(log n) re-decisions
// amortized; measured 8-33 per sample from 256 to 100,000 lines (1-2
// log2 n), 250-800 ns per sample at 2,419 lines.
//
// Certificates are sized for samples below a horizon (4 max(k, 4096)); at
// half of it the tree is rebuilt with a wider one, so the margins stay as tight
// as the rounding at the current sample allows.

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace borealis::data {

class KineticTournament {
 public:
  // The lines, as the scheduler keeps them (passed on each call, so the
  // scheduler stays movable). `tie_keys` empty: ties go to the lower line.
  struct Lines {
    std::span<const double> weights, counts;
    std::span<const std::uint32_t> tie_keys;
  };
  // Starts (or restarts) at sample k.
  void start(const Lines& lines, std::uint64_t k);
  // The winning line at sample k (k never decreases between calls).
  std::size_t winner(const Lines& lines, std::uint64_t k);
  // `line`'s count (and tie key) changed; re-decides its path for sample k.
  void changed(const Lines& lines, std::size_t line, std::uint64_t k);
  std::uint64_t decisions() const { return decisions_; }

 private:
  using Due = std::pair<std::uint64_t, std::uint32_t>;  // (sample, node)
  static constexpr std::uint64_t kRing = 4096;          // buckets of near certificates
  bool decide(const Lines& lines, std::uint32_t node, std::uint64_t k);  // true if its winner changed
  void expire_at(std::uint32_t node, std::uint64_t at, std::uint64_t k);
  void rebuild(const Lines& lines, std::uint64_t k);

  std::size_t leaves_ = 0;                 // a power of two >= lines
  std::vector<std::int32_t> win_;          // per node (root 1, leaves from leaves_); -1: none
  std::vector<std::uint64_t> expiry_;      // per node: the sample its certificate runs out
  std::vector<std::vector<std::uint32_t>> ring_;  // nodes due within kRing samples, by sample
  std::vector<Due> far_;                   // min-heap: nodes due later (stale entries skipped)
  std::uint64_t horizon_ = 0;
  double horizon_d_ = 0;
  std::uint64_t decisions_ = 0;
};

}  // namespace borealis::data
