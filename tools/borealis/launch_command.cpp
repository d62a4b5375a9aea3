// `borealis launch`: runs a borealis command on every rank of the current
// job with the scheduler's own launcher (mpiexec under PBS, srun under
// Slurm, OpenMPI's mpirun on one machine), sized so the ranks of a node
// share its cores without oversubscribing them. --dry-run prints it instead.

#include <unistd.h>

#include <climits>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "borealis/dist/launch_environment.h"
#include "borealis/util/error.h"
#include "commands.h"

namespace borealis::cli {

namespace {
// A word as a POSIX shell reads it back: bare when safe, else single-quoted.
std::string shell_word(const std::string& w) {
  if (!w.empty() && w.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789_-+=/.,:@%") == std::string::npos)
    return w;
  std::string q = "'";
  for (char c : w) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string self_path() {
  std::error_code ec;
  const auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("borealis") : p.string();
}
}  // namespace

void add_launch_command(CLI::App& app) {
  struct Options {
    bool dry_run = false;
    int ranks_per_node = 1;
    int threads = 0;
    std::vector<std::string> args;
  };
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "launch",
      "Run a borealis command on all nodes of this job: mpiexec under PBS (Aurora, Polaris), srun "
      "under Slurm, mpirun on one machine. Example: borealis launch --ranks-per-node 2 -- train "
      "--config run.toml");
  cmd->add_flag("--dry-run", opt->dry_run, "Print the command instead of running it");
  cmd->add_option("--ranks-per-node", opt->ranks_per_node,
                  "Ranks on each node (each gets an equal share of the node's cores)")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--threads-per-rank", opt->threads,
                  "OpenMP threads per rank (default: the node's cores / ranks per node)")
      ->check(CLI::Range(0, 4096));
  cmd->add_option("args", opt->args, "The borealis command to run and its options, after --")
      ->required();
  cmd->callback([opt] {
    const auto job = dist::SchedulerJob::detect();
    std::vector<std::string> program{self_path()};
    program.insert(program.end(), opt->args.begin(), opt->args.end());
    const auto command = dist::launch_command(job, opt->ranks_per_node, opt->threads, program);
    std::string line;
    for (const auto& w : command) line += (line.empty() ? "" : " ") + shell_word(w);
    if (opt->dry_run) {
      fmt::print("# {} job, {} node{} x {} cores\n{}\n", dist::scheduler_name(job.scheduler),
                 job.nodes, job.nodes == 1 ? "" : "s", job.cores_per_node, line);
      return;
    }
    fmt::print(stderr, "borealis launch: {}\n", line);
    std::fflush(stderr);
    std::vector<char*> argv;
    for (const auto& w : command) argv.push_back(const_cast<char*>(w.c_str()));
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    throw_system_error(command[0], "cannot start the launcher (is it on PATH?)", errno);
  });
}

}  // namespace borealis::cli
