#include "borealis/dist/launch_environment.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "borealis/util/error.h"

extern "C" char* openblas_get_config();  // OpenBLAS: build options, core type, threading

namespace borealis::dist {

const char* launcher_name(Launcher l) {
  switch (l) {
    case Launcher::openmpi: return "OpenMPI";
    case Launcher::pals: return "PALS";
    case Launcher::pmi: return "PMI";
    case Launcher::slurm: return "Slurm";
    case Launcher::none: break;
  }
  return "none";
}

const char* scheduler_name(Scheduler s) {
  switch (s) {
    case Scheduler::pbs: return "PBS";
    case Scheduler::slurm: return "Slurm";
    case Scheduler::none: break;
  }
  return "none";
}

Environment process_environment() {
  return [](const char* name) -> const char* { return std::getenv(name); };
}

namespace {

// The first of `names` that is set, as a non-negative integer; -1 when none
// is set. A set but malformed value is an error naming the variable.
int first_int(const Environment& env, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    const char* v = env(name);
    if (v == nullptr || *v == '\0') continue;
    char* end = nullptr;
    const long n = std::strtol(v, &end, 10);
    // Slurm's SLURM_TASKS_PER_NODE reads "2(x3)": the leading count is what we need.
    if (end == v || n < 0 || n > (1 << 24))
      throw Error(fmt::format("environment variable {}='{}' is not a rank count", name, v));
    return static_cast<int>(n);
  }
  return -1;
}

bool has(const Environment& env, const char* name) {
  const char* v = env(name);
  return v != nullptr && *v != '\0';
}

}  // namespace

LaunchEnvironment LaunchEnvironment::detect(const Environment& env) {
  LaunchEnvironment e;
  if (has(env, "OMPI_COMM_WORLD_SIZE")) {
    e.launcher = Launcher::openmpi;
    e.rank = first_int(env, {"OMPI_COMM_WORLD_RANK"});
    e.size = first_int(env, {"OMPI_COMM_WORLD_SIZE"});
    e.local_rank = first_int(env, {"OMPI_COMM_WORLD_LOCAL_RANK"});
    e.local_size = first_int(env, {"OMPI_COMM_WORLD_LOCAL_SIZE"});
  } else if (has(env, "PALS_RANKID") || has(env, "PALS_LOCAL_RANKID")) {
    e.launcher = Launcher::pals;
    e.rank = first_int(env, {"PALS_RANKID", "PMI_RANK"});
    e.size = first_int(env, {"PMI_SIZE", "PALS_SIZE"});
    e.local_rank = first_int(env, {"PALS_LOCAL_RANKID", "PMI_LOCAL_RANK"});
    e.local_size = first_int(env, {"PALS_LOCAL_SIZE", "PMI_LOCAL_SIZE"});
  } else if (has(env, "PMI_RANK")) {
    e.launcher = Launcher::pmi;
    e.rank = first_int(env, {"PMI_RANK"});
    e.size = first_int(env, {"PMI_SIZE"});
    e.local_rank = first_int(env, {"PMI_LOCAL_RANK", "MPI_LOCALRANKID", "MPICH_LOCALRANKID"});
    e.local_size = first_int(env, {"PMI_LOCAL_SIZE", "MPI_LOCALNRANKS"});
  } else if (has(env, "SLURM_PROCID") && has(env, "SLURM_NTASKS")) {
    e.launcher = Launcher::slurm;
    e.rank = first_int(env, {"SLURM_PROCID"});
    e.size = first_int(env, {"SLURM_NTASKS"});
    e.local_rank = first_int(env, {"SLURM_LOCALID"});
    e.local_size = first_int(env, {"SLURM_NTASKS_PER_NODE", "SLURM_TASKS_PER_NODE"});
  } else {
    return e;
  }
  if (e.rank < 0 || e.size < 1)
    throw Error(fmt::format("{} launch: the rank or the number of ranks is missing",
                            launcher_name(e.launcher)));
  if (e.rank >= e.size)
    throw Error(fmt::format("{} launch: rank {} is not below the world size {}",
                            launcher_name(e.launcher), e.rank, e.size));
  if (e.local_size < 1) e.local_size = 1;  // not told: assume one rank per node
  if (e.local_rank < 0) e.local_rank = e.rank % e.local_size;
  return e;
}

int available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

int threads_per_rank(int cores, int local_ranks) {
  return std::max(1, cores / std::max(1, local_ranks));
}

SchedulerJob SchedulerJob::detect(const Environment& env) {
  SchedulerJob j;
  j.cores_per_node = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  j.as_root = ::geteuid() == 0;
  if (has(env, "PBS_JOBID")) {
    j.scheduler = Scheduler::pbs;
    if (const char* f = env("PBS_NODEFILE"); f != nullptr && *f != '\0') {
      j.hostfile = f;
      std::ifstream in(f);
      if (!in) throw_system_error(f, "cannot read the PBS node file", errno);
      std::set<std::string> hosts;  // PBS lists a host once per slot
      for (std::string line; std::getline(in, line);)
        if (!line.empty()) hosts.insert(line);
      j.nodes = std::max<int>(1, static_cast<int>(hosts.size()));
    }
    if (const int n = first_int(env, {"NCPUS", "PBS_NCPUS"}); n > 0) j.cores_per_node = n;
  } else if (has(env, "SLURM_JOB_ID")) {
    j.scheduler = Scheduler::slurm;
    if (const int n = first_int(env, {"SLURM_JOB_NUM_NODES", "SLURM_NNODES"}); n > 0) j.nodes = n;
    if (const int n = first_int(env, {"SLURM_CPUS_ON_NODE"}); n > 0) j.cores_per_node = n;
  }
  return j;
}

std::vector<std::string> launch_command(const SchedulerJob& job, int ranks_per_node, int threads,
                                        const std::vector<std::string>& program_args) {
  const int ppn = std::max(1, ranks_per_node);
  const int t = threads > 0 ? threads : threads_per_rank(job.cores_per_node, ppn);
  const std::string n = std::to_string(job.nodes * ppn), p = std::to_string(ppn),
                    ts = std::to_string(t), omp = "OMP_NUM_THREADS=" + ts;
  std::vector<std::string> cmd;
  switch (job.scheduler) {
    case Scheduler::pbs:  // PALS mpiexec (Aurora, Polaris)
      cmd = {"mpiexec", "--np", n, "--ppn", p, "--depth", ts, "--cpu-bind", "depth", "--env", omp};
      if (!job.hostfile.empty()) {
        cmd.push_back("--hostfile");
        cmd.push_back(job.hostfile);
      }
      break;
    case Scheduler::slurm:
      cmd = {"srun", "--nodes", std::to_string(job.nodes), "--ntasks-per-node", p,
             "--cpus-per-task", ts, "--cpu-bind", "cores", "--export", "ALL," + omp};
      break;
    case Scheduler::none:  // OpenMPI on this machine: each rank bound to its own cores
      cmd = {"mpirun", "-np", p, "--map-by", "slot:PE=" + ts, "--bind-to", "core", "-x", omp};
      if (job.as_root) cmd.push_back("--allow-run-as-root");
      break;
  }
  cmd.insert(cmd.end(), program_args.begin(), program_args.end());
  return cmd;
}

std::string node_summary(const std::string& host, const std::vector<int>& ranks, int world_size,
                         int threads, Launcher launcher) {
  std::string list;
  if (!ranks.empty()) {
    // Consecutive ranks as a range: "0-3", else a list.
    bool consecutive = true;
    for (std::size_t i = 1; i < ranks.size(); ++i) consecutive &= ranks[i] == ranks[i - 1] + 1;
    list = consecutive && ranks.size() > 1
               ? fmt::format("{}-{}", ranks.front(), ranks.back())
               : fmt::format("{}", fmt::join(ranks, ","));
  }
  const char* blas = openblas_get_config();
  return fmt::format("node {}: rank{} {} of {} ({} launch), {} thread{} per rank, BLAS {}", host,
                     ranks.size() == 1 ? "" : "s", list, world_size, launcher_name(launcher),
                     threads, threads == 1 ? "" : "s", blas != nullptr ? blas : "unknown");
}

}  // namespace borealis::dist
