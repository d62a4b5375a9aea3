#pragma once
// Launching a real `mpirun` (OpenMPI from Debian, installed by scripts/setup)
// from a test. The flags are what it needs on a 2-core VM, in containers and
// in CI, which runs as root:
//   --oversubscribe                 more ranks than cores (or cores OpenMPI sees)
//   --allow-run-as-root             only when root: OpenMPI refuses root otherwise
//   --mca btl self,vader            shared memory only: one machine, no probing of
//                                   network interfaces a sandbox may lack
//   --mca btl_vader_single_copy_mechanism none
//                                   no cross-process reads (CMA): containers often
//                                   forbid ptrace, and messages over 4 KB would fail
// `timeout 60` turns a hang (a rank waiting forever) into exit code 124.
// In the ASan build, LSAN_OPTIONS adds the suppressions for OpenMPI's own
// leaks (tests/dist/openmpi.lsan.supp); without a sanitizer it is ignored.

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "test_util.h"

namespace borealis::test {

// LSAN_OPTIONS=... for the ASan build (OpenMPI's own leaks suppressed).
inline std::string lsan_environment() {
  std::string lsan = "suppressions=" BOREALIS_TEST_SOURCE "/dist/openmpi.lsan.supp:fast_unwind_on_malloc=0";
  if (const char* user = std::getenv("LSAN_OPTIONS"); user != nullptr && *user != '\0')
    lsan = std::string(user) + ":" + lsan;
  return "LSAN_OPTIONS='" + lsan + "'";
}

inline std::string mpirun_prefix(int ranks) {
  std::string command = lsan_environment() + " timeout 60 mpirun -np " + std::to_string(ranks) +
                        " --oversubscribe --mca btl self,vader"
                        " --mca btl_vader_single_copy_mechanism none";
  if (::geteuid() == 0) command += " --allow-run-as-root";
  return command;
}

// `mpirun -np RANKS borealis ARGS`.
inline CommandResult mpirun_borealis(int ranks, const std::string& args) {
  return run_command(mpirun_prefix(ranks) + " '" + binary() + "' " + args);
}

}  // namespace borealis::test
