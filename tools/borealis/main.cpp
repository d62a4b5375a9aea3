// borealis: one binary, one subcommand per job. See `borealis --help`.

#include <cstdio>
#include <exception>

#include <fmt/format.h>

#include "borealis/dist/mpi_world.h"
#include "borealis/util/error.h"
#include "borealis/version.h"
#include "commands.h"

namespace {
constexpr int kExitBadInput = 1;   // borealis::Error: bad file, bad value
constexpr int kExitUsage = 2;      // unknown command or option, missing argument
constexpr int kExitInternal = 70;  // a bug (EX_SOFTWARE)
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Borealis: build science foundation models, from raw documents to a served model.\n"
      "Reads and writes Megatron .bin/.idx token datasets.",
      "borealis"};
  app.require_subcommand(1);
  app.set_version_flag("--version",
                       fmt::format("borealis {} (commit {}, {} build)", borealis::kVersion,
                                   borealis::kGitCommit, borealis::kBuildType),
                       "Print version, git commit and build type, then exit");
  app.footer("Run `borealis <command> --help` for the options of a command.");
  borealis::cli::add_quickstart_command(app);
  borealis::cli::add_corpus_command(app);
  borealis::cli::add_data_command(app);
  borealis::cli::add_tokenizer_command(app);
  borealis::cli::add_tokenize_command(app);
  borealis::cli::add_index_command(app);
  borealis::cli::add_train_command(app);
  borealis::cli::add_generate_command(app);
  borealis::cli::add_plot_command(app);
  borealis::cli::add_export_command(app);
  borealis::cli::add_launch_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // Usage errors: one line, exit 2 (the shell convention for bad usage).
    fmt::print(stderr, "borealis: error: {} (see --help)\n", e.what());
    return kExitUsage;
  } catch (const borealis::Error& e) {
    std::fflush(stdout);
    fmt::print(stderr, "borealis: error{}: {}\n", borealis::dist::MpiWorld::rank_label(), e.what());
    // One of several MPI ranks: end the whole job, or the others wait forever.
    borealis::dist::MpiWorld::abort_if_parallel(kExitBadInput);
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    fmt::print(stderr, "borealis: internal error{} (please report): {}\n",
               borealis::dist::MpiWorld::rank_label(), e.what());
    borealis::dist::MpiWorld::abort_if_parallel(kExitInternal);
    return kExitInternal;
  }
  return borealis::cli::exit_code();
}
