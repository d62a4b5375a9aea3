#include "borealis/dist/mpi_world.h"

#include <atomic>
#include <cstdlib>

// Only the C API is used; OpenMPI's and MPICH's mpi.h would otherwise pull in
// the deprecated C++ bindings (and a link dependency on libmpi_cxx).
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

namespace borealis::dist {

namespace {

// Set once the world exists, so abort_if_parallel never creates it (and so
// never initialises MPI) from an error path.
std::atomic<MpiWorld*> g_world{nullptr};

}  // namespace

bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE",  // OpenMPI mpirun/mpiexec
                           "PMIX_RANK",             // PMIx: OpenMPI >= 4, srun --mpi=pmix
                           "PMI_RANK", "PMI_SIZE",  // PMI-1/2: MPICH hydra, srun --mpi=pmi2
                           "MPI_LOCALRANKID"}) {    // Intel MPI / MPICH hydra
    if (std::getenv(name) != nullptr) return true;
  }
  return false;
}

MpiWorld& MpiWorld::get() {
  // A function-local static: created on first use, destroyed (MPI_Finalize)
  // at normal exit after main returns.
  static MpiWorld world;
  return world;
}

MpiWorld::MpiWorld() {
  if (launched_by_mpi()) {
    // MPI_Init_thread without argc/argv (allowed since MPI-2): the CLI owns
    // the command line. FUNNELED: worker threads encode text but only the
    // main thread calls MPI. MPI's default error handler (errors are fatal
    // to the whole job) is what we want: no rank is left waiting.
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    initialized_ = true;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local);
    MPI_Comm_size(local, &local_size_);
    MPI_Comm_rank(local, &local_rank_);
    node_ranks_.assign(static_cast<std::size_t>(local_size_), 0);
    MPI_Allgather(&rank_, 1, MPI_INT, node_ranks_.data(), 1, MPI_INT, local);
    MPI_Comm_free(&local);
  }
  g_world.store(this);
}

MpiWorld::~MpiWorld() {
  g_world.store(nullptr);
  if (initialized_) {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
  }
}

void MpiWorld::barrier() {
  if (initialized_) MPI_Barrier(MPI_COMM_WORLD);
}

void MpiWorld::sum(std::span<std::uint64_t> values) {
  if (!initialized_ || values.empty()) return;
  MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_UINT64_T,
                MPI_SUM, MPI_COMM_WORLD);
}

std::uint64_t MpiWorld::sum(std::uint64_t value) {
  sum(std::span<std::uint64_t>(&value, 1));
  return value;
}

void MpiWorld::broadcast(std::span<std::uint64_t> values, int root) {
  if (!initialized_ || values.empty()) return;
  MPI_Bcast(values.data(), static_cast<int>(values.size()), MPI_UINT64_T, root, MPI_COMM_WORLD);
}

void MpiWorld::abort(int code) {
  if (initialized_) MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);  // no MPI (or MPI_Abort returned, which it should not)
}

std::string MpiWorld::rank_label() {
  MpiWorld* world = g_world.load();
  if (world == nullptr || world->size() <= 1) return "";
  return " (rank " + std::to_string(world->rank()) + " of " + std::to_string(world->size()) + ")";
}

void MpiWorld::abort_if_parallel(int code) {
  MpiWorld* world = g_world.load();
  if (world != nullptr && world->size() > 1) world->abort(code);
}

}  // namespace borealis::dist
