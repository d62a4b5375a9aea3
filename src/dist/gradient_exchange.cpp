#include "borealis/dist/gradient_exchange.h"

#include <algorithm>
#include <cmath>
#include <limits>

#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include "borealis/util/error.h"
#include "borealis/util/lane_sum.h"

namespace borealis::dist {

struct GradientExchange::Pending {
  std::vector<MPI_Request> requests;
};

namespace {
int as_int(std::size_t n) {
  if (n > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw Error("gradient exchange: a range of more than 2^31 floats (split the model's buckets)");
  return static_cast<int>(n);
}
}  // namespace

GradientExchange::GradientExchange(MpiWorld& world, std::size_t total, bool shard)
    : world_(world), total_(total), shard_(shard), pending_(std::make_unique<Pending>()) {
  rank_ = world.rank();
  ranks_ = world.size();
  begin_ = shard_ ? range_begin(rank_) : 0;
  end_ = shard_ ? range_end(rank_) : total_;
  started_.assign((total_ + kNormChunk - 1) / kNormChunk, 0);
}

GradientExchange::~GradientExchange() {
  if (!pending_->requests.empty())
    MPI_Waitall(static_cast<int>(pending_->requests.size()), pending_->requests.data(),
                MPI_STATUSES_IGNORE);
}

std::size_t GradientExchange::range_begin(int rank) const {
  // Whole chunks per rank, so a chunk's partial norm belongs to one rank.
  const std::size_t chunks = (total_ + kNormChunk - 1) / kNormChunk;
  return std::min(total_, chunks * static_cast<std::size_t>(rank) /
                              static_cast<std::size_t>(ranks_) * kNormChunk);
}

std::size_t GradientExchange::range_end(int rank) const {
  return rank + 1 == ranks_ ? total_ : range_begin(rank + 1);
}

std::pair<std::vector<int>, std::vector<int>> GradientExchange::rank_ranges() const {
  std::vector<int> counts(static_cast<std::size_t>(ranks_)), displs(counts.size());
  for (int r = 0; r < ranks_; ++r) {
    displs[static_cast<std::size_t>(r)] = as_int(range_begin(r));
    counts[static_cast<std::size_t>(r)] = as_int(range_end(r) - range_begin(r));
  }
  return {counts, displs};
}

void GradientExchange::start(std::span<float> grads, std::size_t offset, std::size_t count) {
  if (!world_.initialized_mpi() || ranks_ == 1 || shard_ || count == 0) return;
  // Buckets in whole chunks: a chunk that straddles the range waits for finish().
  const std::size_t first = (offset + kNormChunk - 1) / kNormChunk;
  const std::size_t last = std::min(started_.size(), (offset + count) / kNormChunk +
                                                        (offset + count == total_ ? 1 : 0));
  if (first >= last) return;
  const std::size_t b = first * kNormChunk, e = std::min(total_, last * kNormChunk);
  MPI_Request r;
  MPI_Iallreduce(MPI_IN_PLACE, grads.data() + b, as_int(e - b), MPI_FLOAT, MPI_SUM,
                 MPI_COMM_WORLD, &r);
  pending_->requests.push_back(r);
  std::fill(started_.begin() + static_cast<std::ptrdiff_t>(first),
            started_.begin() + static_cast<std::ptrdiff_t>(last), 1);
}

void GradientExchange::progress() {
  if (pending_->requests.empty()) return;
  int done = 0;
  MPI_Testall(static_cast<int>(pending_->requests.size()), pending_->requests.data(), &done,
              MPI_STATUSES_IGNORE);
}

void GradientExchange::finish(std::span<float> grads) {
  if (!world_.initialized_mpi() || ranks_ == 1) return;
  const float inv = 1.0f / static_cast<float>(ranks_);
  if (shard_) {
    const auto counts = rank_ranges().first;
    shard_buffer_.resize(end_ - begin_);
    MPI_Reduce_scatter(grads.data(), shard_buffer_.data(), counts.data(), MPI_FLOAT, MPI_SUM,
                       MPI_COMM_WORLD);
    float* g = grads.data() + begin_;
    const auto n = static_cast<std::int64_t>(shard_buffer_.size());
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) g[i] = shard_buffer_[static_cast<std::size_t>(i)] * inv;
    return;
  }
  // Ranges no bucket covered, one Iallreduce each, then wait for everything.
  for (std::size_t c = 0; c < started_.size();) {
    if (started_[c]) {
      ++c;
      continue;
    }
    std::size_t e = c;
    while (e < started_.size() && !started_[e]) ++e;
    const std::size_t b0 = c * kNormChunk, e0 = std::min(total_, e * kNormChunk);
    MPI_Request r;
    MPI_Iallreduce(MPI_IN_PLACE, grads.data() + b0, as_int(e0 - b0), MPI_FLOAT, MPI_SUM,
                   MPI_COMM_WORLD, &r);
    pending_->requests.push_back(r);
    c = e;
  }
  MPI_Waitall(static_cast<int>(pending_->requests.size()), pending_->requests.data(),
              MPI_STATUSES_IGNORE);
  pending_->requests.clear();
  std::fill(started_.begin(), started_.end(), 0);
  float* g = grads.data();
  const auto n = static_cast<std::int64_t>(total_);
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) g[i] *= inv;
}

double GradientExchange::gradient_norm(std::span<const float> grads) const {
  const std::size_t chunks = started_.size();
  std::vector<double> partial(chunks, 0.0);
  const std::size_t c0 = begin_ / kNormChunk, c1 = (end_ + kNormChunk - 1) / kNormChunk;
#pragma omp parallel for schedule(static)
  for (std::size_t c = c0; c < c1; ++c) {
    const auto n = static_cast<std::int64_t>(std::min(total_, (c + 1) * kNormChunk) - c * kNormChunk);
    partial[c] = util::sum_of_squares(grads.data() + c * kNormChunk, n);
  }
  if (shard_ && world_.initialized_mpi() && ranks_ > 1) {
    // Every rank's chunks to every rank (a few hundred doubles), then one sum in chunk order.
    std::vector<int> counts(static_cast<std::size_t>(ranks_)), displs(counts.size());
    for (int r = 0; r < ranks_; ++r) {
      displs[static_cast<std::size_t>(r)] = as_int(range_begin(r) / kNormChunk);
      counts[static_cast<std::size_t>(r)] =
          as_int((range_end(r) + kNormChunk - 1) / kNormChunk - range_begin(r) / kNormChunk);
    }
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, partial.data(), counts.data(),
                   displs.data(), MPI_DOUBLE, MPI_COMM_WORLD);
  }
  double total = 0;
  for (double p : partial) total += p;
  return std::sqrt(total);
}

void GradientExchange::gather_parameters(std::span<float> params) const {
  if (!shard_ || !world_.initialized_mpi() || ranks_ == 1) return;
  const auto [counts, displs] = rank_ranges();
  MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, params.data(), counts.data(), displs.data(),
                 MPI_FLOAT, MPI_COMM_WORLD);
}

std::vector<float> GradientExchange::gather_to_root(std::span<const float> local) const {
  if (!shard_ || !world_.initialized_mpi() || ranks_ == 1)
    return std::vector<float>(local.begin(), local.end());
  std::vector<float> all(rank_ == 0 ? total_ : 0);
  const auto [counts, displs] = rank_ranges();
  MPI_Gatherv(local.data(), as_int(local.size()), MPI_FLOAT, all.data(), counts.data(),
              displs.data(), MPI_FLOAT, 0, MPI_COMM_WORLD);
  return all;
}

double GradientExchange::sum(double value) const {
  if (!world_.initialized_mpi() || ranks_ == 1) return value;
  MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  return value;
}

}  // namespace borealis::dist
