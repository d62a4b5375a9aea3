#pragma once
// Data-parallel training's collectives over MPI_COMM_WORLD: every rank runs
// the same model on its own share of each global batch, and this class makes
// the ranks' gradients (and, with ZeRO-1, their parameters) agree.
//
// Plain data parallel: each rank keeps the whole AdamW state; gradients are
// averaged with MPI_Iallreduce in buckets started as backward finishes them
// (layer by layer, last layer first), progressed between layers and
// completed in finish().
//
// ZeRO-1 (shard = true): rank r owns one contiguous range of the flat
// parameter array (shard_begin..shard_end, in 16,384-float chunks) and
// keeps AdamW's m and v for it only, so optimizer memory falls as 1/ranks.
// finish() reduce-scatters the gradients (the averaged range lands in the
// rank's own range of `grads`), the optimizer updates the range, and
// gather_parameters() all-gathers every rank's range.
//
// Sums of gradients over ranks are in MPI's order; the gradient norm is
// built from per-chunk partial sums (norm_chunk floats each) gathered and
// added in chunk order, so it is the same number however many ranks or
// shards there are. Without MPI (one plain process) everything is the
// identity.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "borealis/dist/mpi_world.h"

namespace borealis::dist {

class GradientExchange {
 public:
  static constexpr std::size_t kNormChunk = 16384;  // floats; also the shard alignment

  GradientExchange(MpiWorld& world, std::size_t total, bool shard);
  ~GradientExchange();
  GradientExchange(const GradientExchange&) = delete;
  GradientExchange& operator=(const GradientExchange&) = delete;

  int rank() const { return rank_; }
  int ranks() const { return ranks_; }
  bool sharded() const { return shard_; }
  // The range of the flat array this rank updates: all of it without ZeRO-1.
  std::size_t shard_begin() const { return begin_; }
  std::size_t shard_end() const { return end_; }
  std::size_t range_begin(int rank) const;
  std::size_t range_end(int rank) const;

  // Plain data parallel: grads[offset, offset + count) is final on this rank;
  // starts averaging it (ignored with ZeRO-1, which reduces once in finish).
  void start(std::span<float> grads, std::size_t offset, std::size_t count);
  void progress();  // lets MPI move started buckets along
  // Completes the exchange: afterwards grads[shard_begin, shard_end) holds the
  // mean over ranks (plain data parallel: all of grads, every range not
  // started yet is averaged here).
  void finish(std::span<float> grads);

  // sqrt(Σ g²) over grads[shard_begin, shard_end) of every rank, from
  // per-chunk sums in chunk order (see above).
  double gradient_norm(std::span<const float> grads) const;

  // ZeRO-1, after the update: every rank receives every range of params.
  void gather_parameters(std::span<float> params) const;
  // ZeRO-1: a rank-local range (m or v) gathered into the whole array on
  // rank 0 (empty on the others); without sharding, a copy.
  std::vector<float> gather_to_root(std::span<const float> local) const;

  double sum(double value) const;     // over ranks

 private:
  // Every rank's range as MPI's counts and displacements (floats).
  std::pair<std::vector<int>, std::vector<int>> rank_ranges() const;

  MpiWorld& world_;
  std::size_t total_;
  bool shard_;
  int rank_ = 0, ranks_ = 1;
  std::size_t begin_ = 0, end_ = 0;
  struct Pending;  // MPI requests of started buckets (mpi.h stays out of this header)
  std::unique_ptr<Pending> pending_;
  std::vector<char> started_;  // per norm chunk: its bucket was started
  std::vector<float> shard_buffer_;
};

}  // namespace borealis::dist
