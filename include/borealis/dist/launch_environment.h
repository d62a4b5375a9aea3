#pragma once
// Where this process runs and how its job was launched, read from the
// variables launchers and schedulers set (what ezpz does for AuroraGPT's
// users, without a rendezvous of its own: MPI is the engine).
//
//   launcher   variables read (rank, size, local rank, local size)
//   openmpi    OMPI_COMM_WORLD_RANK, _SIZE, _LOCAL_RANK, _LOCAL_SIZE
//   pals       PALS_RANKID, PMI_SIZE, PALS_LOCAL_RANKID, PALS_LOCAL_SIZE
//              (Cray PALS's mpiexec on Aurora and Polaris; PMI_RANK as a
//              fallback for the rank)
//   pmi        PMI_RANK, PMI_SIZE, PMI_LOCAL_RANK / MPI_LOCALRANKID,
//              PMI_LOCAL_SIZE / MPI_LOCALNRANKS (MPICH hydra, Intel MPI)
//   slurm      SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID,
//              SLURM_NTASKS_PER_NODE or SLURM_TASKS_PER_NODE (srun)
//   none       one plain process: rank 0 of 1
// The scheduler (for `borealis launch`): PBS when PBS_JOBID is set (nodes
// from PBS_NODEFILE), Slurm when SLURM_JOB_ID is (SLURM_JOB_NUM_NODES /
// SLURM_NNODES, SLURM_CPUS_ON_NODE), else this machine alone.

#include <functional>
#include <string>
#include <vector>

namespace borealis::dist {

enum class Launcher { none, openmpi, pals, pmi, slurm };
enum class Scheduler { none, pbs, slurm };
const char* launcher_name(Launcher l);
const char* scheduler_name(Scheduler s);

// A variable lookup: std::getenv in a real run, a map in tests.
using Environment = std::function<const char*(const char*)>;
Environment process_environment();

struct LaunchEnvironment {
  Launcher launcher = Launcher::none;
  int rank = 0, size = 1, local_rank = 0, local_size = 1;

  // The first launcher whose variables are present, in the order of the table above.
  static LaunchEnvironment detect(const Environment& env = process_environment());
};

// Cores this process may run on (its CPU affinity mask, else the machine's).
int available_cores();
// OpenMP threads for one of `local_ranks` ranks sharing `cores`: an even
// share, at least 1, so the ranks on a node do not oversubscribe it.
int threads_per_rank(int cores, int local_ranks);

struct SchedulerJob {
  Scheduler scheduler = Scheduler::none;
  int nodes = 1;
  int cores_per_node = 1;
  std::string hostfile;  // PBS_NODEFILE, when PBS
  bool as_root = false;  // OpenMPI's mpirun refuses root unless told (containers often are root)

  static SchedulerJob detect(const Environment& env = process_environment());
};

// The command `borealis launch` runs for `program_args` (the borealis
// binary and its arguments): mpiexec under PBS (PALS: --ppn, --depth,
// --cpu-bind depth), srun under Slurm, OpenMPI's mpirun on one machine.
// ranks_per_node 0 means 1; threads 0 means the node's cores / ranks_per_node.
std::vector<std::string> launch_command(const SchedulerJob& job, int ranks_per_node,
                                        int threads, const std::vector<std::string>& program_args);

// One line for the start of a job, printed by each node's first rank: host,
// the world ranks on it, threads per rank, the BLAS in use.
std::string node_summary(const std::string& host, const std::vector<int>& ranks, int world_size,
                         int threads, Launcher launcher);

}  // namespace borealis::dist
