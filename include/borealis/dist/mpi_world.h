#pragma once
// The MPI job this process belongs to, if any. `borealis` runs on a laptop as
// one plain process and under `mpirun -np N` as N ranks; commands ask this
// class who they are and combine results with real MPI collectives.
//
// MPI is initialised only when a launcher started the process (see
// launched_by_mpi): a plain run must not pay for, or depend on, an MPI
// runtime that may not be configured (OpenMPI's singleton mode starts a
// helper daemon). Without a launcher the world is rank 0 of 1 and every
// collective is the identity.

#include <cstdint>
#include <string>
#include <span>
#include <vector>

namespace borealis::dist {

// True when an MPI launcher (OpenMPI's mpirun, MPICH/Intel MPI's hydra, srun
// with PMI or PMIx) started this process, judged by the variables they set:
// OMPI_COMM_WORLD_SIZE, PMIX_RANK, PMI_RANK/PMI_SIZE, MPI_LOCALRANKID.
bool launched_by_mpi();

class MpiWorld {
 public:
  // The process-wide world. The first call initialises MPI when launched by
  // a launcher; MPI_Finalize runs at normal exit. Only the calling (main)
  // thread may use it: MPI is initialised with MPI_THREAD_FUNNELED.
  static MpiWorld& get();

  MpiWorld(const MpiWorld&) = delete;
  MpiWorld& operator=(const MpiWorld&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // Ranks on this machine (MPI_COMM_TYPE_SHARED), to share its cores.
  int local_size() const { return local_size_; }
  int local_rank() const { return local_rank_; }
  // World ranks on this machine, ascending (just {0} without MPI).
  const std::vector<int>& node_ranks() const { return node_ranks_; }
  bool initialized_mpi() const { return initialized_; }

  void barrier();
  // Element-wise sum over all ranks, in place; every rank gets the result.
  void sum(std::span<std::uint64_t> values);
  std::uint64_t sum(std::uint64_t value);
  // Every rank receives `values` as held by rank `root`.
  void broadcast(std::span<std::uint64_t> values, int root = 0);

  // Ends every rank of the job with exit code `code` (MPI_Abort), so ranks
  // waiting in a collective for a failed one do not hang. Without MPI, exits.
  [[noreturn]] void abort(int code);

  // " (rank R of N)" when several ranks run, else "": for error messages.
  static std::string rank_label();

  // For main(): when this process is one of several ranks, abort the job with
  // `code`; otherwise (no world created, or a single rank) return and let the
  // caller exit normally. Does not initialise MPI.
  static void abort_if_parallel(int code);

 private:
  MpiWorld();
  ~MpiWorld();

  int rank_ = 0;
  int size_ = 1;
  int local_size_ = 1;
  int local_rank_ = 0;
  std::vector<int> node_ranks_{0};
  bool initialized_ = false;
};

}  // namespace borealis::dist
