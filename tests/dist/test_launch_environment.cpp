// Launch detection from the variables each launcher and scheduler sets, and
// the command `borealis launch` builds for each scheduler.

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "borealis/dist/launch_environment.h"
#include "test_util.h"

namespace borealis::dist {
namespace {

Environment env_of(const std::map<std::string, std::string>& vars) {
  return [vars](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

TEST(LaunchEnvironment, ReadsEachLauncher) {
  struct Case {
    std::map<std::string, std::string> vars;
    Launcher launcher;
    int rank, size, local_rank, local_size;
  };
  const std::vector<Case> cases = {
      {{}, Launcher::none, 0, 1, 0, 1},
      {{{"OMPI_COMM_WORLD_RANK", "5"},
        {"OMPI_COMM_WORLD_SIZE", "8"},
        {"OMPI_COMM_WORLD_LOCAL_RANK", "1"},
        {"OMPI_COMM_WORLD_LOCAL_SIZE", "4"}},
       Launcher::openmpi, 5, 8, 1, 4},
      // Aurora/Polaris: PALS's mpiexec sets PALS_* and PMI_*
      {{{"PALS_RANKID", "13"},
        {"PMI_RANK", "13"},
        {"PMI_SIZE", "24"},
        {"PALS_LOCAL_RANKID", "1"},
        {"PALS_LOCAL_SIZE", "12"},
        {"PALS_NODEID", "1"}},
       Launcher::pals, 13, 24, 1, 12},
      // MPICH hydra / Intel MPI
      {{{"PMI_RANK", "3"}, {"PMI_SIZE", "4"}, {"MPI_LOCALRANKID", "1"}, {"MPI_LOCALNRANKS", "2"}},
       Launcher::pmi, 3, 4, 1, 2},
      // srun: SLURM_TASKS_PER_NODE as Slurm writes it for 3 nodes of 2
      {{{"SLURM_PROCID", "4"},
        {"SLURM_NTASKS", "6"},
        {"SLURM_LOCALID", "0"},
        {"SLURM_TASKS_PER_NODE", "2(x3)"},
        {"SLURM_JOB_ID", "77"}},
       Launcher::slurm, 4, 6, 0, 2},
      // told no local rank: derived from the rank
      {{{"PMI_RANK", "5"}, {"PMI_SIZE", "8"}, {"PMI_LOCAL_SIZE", "4"}}, Launcher::pmi, 5, 8, 1, 4},
  };
  for (const auto& c : cases) {
    const auto e = LaunchEnvironment::detect(env_of(c.vars));
    EXPECT_EQ(e.launcher, c.launcher) << launcher_name(c.launcher);
    EXPECT_EQ(e.rank, c.rank) << launcher_name(c.launcher);
    EXPECT_EQ(e.size, c.size) << launcher_name(c.launcher);
    EXPECT_EQ(e.local_rank, c.local_rank) << launcher_name(c.launcher);
    EXPECT_EQ(e.local_size, c.local_size) << launcher_name(c.launcher);
  }
}

TEST(LaunchEnvironment, BadVariablesAreNamed) {
  EXPECT_EQ(test::error_of([] {
              LaunchEnvironment::detect(
                  env_of({{"OMPI_COMM_WORLD_RANK", "x"}, {"OMPI_COMM_WORLD_SIZE", "2"}}));
            }),
            "environment variable OMPI_COMM_WORLD_RANK='x' is not a rank count");
  EXPECT_NE(test::error_of([] {
              LaunchEnvironment::detect(env_of({{"PMI_RANK", "4"}, {"PMI_SIZE", "4"}}));
            }).find("rank 4 is not below the world size 4"),
            std::string::npos);
}

TEST(LaunchEnvironment, ThreadsShareTheNodesCores) {
  EXPECT_EQ(threads_per_rank(16, 4), 4);
  EXPECT_EQ(threads_per_rank(2, 2), 1);
  EXPECT_EQ(threads_per_rank(2, 4), 1) << "never 0";
  EXPECT_EQ(threads_per_rank(104, 1), 104);
  EXPECT_GE(available_cores(), 1);
}

TEST(LaunchEnvironment, BuildsEachSchedulersCommand) {
  test::TempDir dir;
  test::write_text(dir / "nodes", "x1000c0s0b0n0\nx1000c0s0b0n0\nx1000c0s1b0n0\n");
  const auto pbs = SchedulerJob::detect(
      env_of({{"PBS_JOBID", "123.aurora"}, {"PBS_NODEFILE", dir / "nodes"}, {"NCPUS", "208"}}));
  EXPECT_EQ(pbs.scheduler, Scheduler::pbs);
  EXPECT_EQ(pbs.nodes, 2) << "hosts counted once";
  EXPECT_EQ(launch_command(pbs, 4, 0, {"borealis", "train"}),
            (std::vector<std::string>{"mpiexec", "--np", "8", "--ppn", "4", "--depth", "52",
                                      "--cpu-bind", "depth", "--env", "OMP_NUM_THREADS=52",
                                      "--hostfile", dir / "nodes", "borealis", "train"}));

  const auto slurm = SchedulerJob::detect(
      env_of({{"SLURM_JOB_ID", "9"}, {"SLURM_JOB_NUM_NODES", "3"}, {"SLURM_CPUS_ON_NODE", "64"}}));
  EXPECT_EQ(slurm.scheduler, Scheduler::slurm);
  EXPECT_EQ(launch_command(slurm, 2, 0, {"borealis"}),
            (std::vector<std::string>{"srun", "--nodes", "3", "--ntasks-per-node", "2",
                                      "--cpus-per-task", "32", "--cpu-bind", "cores", "--export",
                                      "ALL,OMP_NUM_THREADS=32", "borealis"}));

  SchedulerJob local;
  local.cores_per_node = 2;
  EXPECT_EQ(launch_command(local, 2, 0, {"borealis"}),
            (std::vector<std::string>{"mpirun", "-np", "2", "--map-by", "slot:PE=1", "--bind-to",
                                      "core", "-x", "OMP_NUM_THREADS=1", "borealis"}));
  local.as_root = true;
  EXPECT_EQ(launch_command(local, 1, 2, {"borealis"}).at(9), "--allow-run-as-root");
  EXPECT_NE(test::error_of([] {
              SchedulerJob::detect(
                  env_of({{"PBS_JOBID", "1"}, {"PBS_NODEFILE", "/nonexistent/nodefile"}}));
            }).find("/nonexistent/nodefile"),
            std::string::npos);
}

TEST(LaunchEnvironment, DryRunPrintsTheSchedulersCommand) {
  test::TempDir dir;
  test::write_text(dir / "nodes", "n0\nn1\n");
  auto r = test::run_command("env -u SLURM_JOB_ID PBS_JOBID=1.polaris PBS_NODEFILE=" +
                             dir / "nodes" + " NCPUS=32 '" + test::binary() +
                             "' launch --dry-run --ranks-per-node 4 -- train --config 'my run.toml'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("# PBS job, 2 nodes x 32 cores"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("mpiexec --np 8 --ppn 4 --depth 8 --cpu-bind depth --env "
                          "OMP_NUM_THREADS=8 --hostfile " +
                          dir / "nodes"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("borealis train --config 'my run.toml'"), std::string::npos)
      << "quoted for the shell: " << r.output;

  r = test::run_command("env -u PBS_JOBID SLURM_JOB_ID=5 SLURM_NNODES=2 SLURM_CPUS_ON_NODE=8 '" +
                        test::binary() + "' launch --dry-run -- train");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("srun --nodes 2 --ntasks-per-node 1 --cpus-per-task 8"),
            std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace borealis::dist
