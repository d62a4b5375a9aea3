// MpiWorld: a plain process is rank 0 of 1 and never initialises MPI; under a
// real `mpirun -np 2` the ranks see each other through MPI collectives.

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "borealis/dist/mpi_world.h"
#include "dist/mpirun.h"

namespace borealis::dist {
namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Sets an environment variable for one scope, restoring what was there.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_.c_str(), old_->c_str(), 1);
    else
      ::unsetenv(name_.c_str());
  }

 private:
  std::string name_;
  std::optional<std::string> old_;
};

const char* const kLauncherVariables[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK",
                                          "PMI_SIZE", "MPI_LOCALRANKID"};

TEST(MpiWorld, LauncherVariablesAreRecognised) {
  std::vector<std::unique_ptr<ScopedEnv>> cleared;
  for (const char* name : kLauncherVariables) cleared.push_back(std::make_unique<ScopedEnv>(name, nullptr));
  EXPECT_FALSE(launched_by_mpi());
  for (const char* name : kLauncherVariables) {
    ScopedEnv set(name, "0");
    EXPECT_TRUE(launched_by_mpi()) << name;
  }
  EXPECT_FALSE(launched_by_mpi());
}

// Run alone, this is a plain process: rank 0 of 1 without MPI. The test
// MpiWorld.TwoRanksUnderMpirun runs it again as both ranks of `mpirun -np 2`.
TEST(MpiWorldAnySize, CollectivesAgreeOnEveryRank) {
  auto& world = MpiWorld::get();
  const auto n = static_cast<std::uint64_t>(world.size());
  EXPECT_EQ(world.initialized_mpi(), launched_by_mpi());
  if (!launched_by_mpi()) {
    EXPECT_EQ(n, 1u);
  }
  ASSERT_GE(world.rank(), 0);
  ASSERT_LT(world.rank(), world.size());
  EXPECT_GE(world.local_size(), 1);
  EXPECT_LE(world.local_size(), world.size());

  const auto r = static_cast<std::uint64_t>(world.rank());
  EXPECT_EQ(world.sum(r + 1), n * (n + 1) / 2);
  std::vector<std::uint64_t> v = {1, r, std::uint64_t{1} << 40};
  world.sum(v);
  EXPECT_EQ(v, (std::vector<std::uint64_t>{n, n * (n - 1) / 2, n << 40}));

  // Only the root's values survive a broadcast.
  std::vector<std::uint64_t> b = {r * 10 + 1, r * 10 + 2};
  world.broadcast(b, static_cast<int>(n - 1));
  EXPECT_EQ(b, (std::vector<std::uint64_t>{(n - 1) * 10 + 1, (n - 1) * 10 + 2}));
  world.barrier();
  std::printf("world rank %d of %d\n", world.rank(), world.size());
}

TEST(MpiWorld, TwoRanksUnderMpirun) {
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const auto r = test::run_command(test::mpirun_prefix(2) + " '" + self +
                                   "' --gtest_color=no --gtest_filter=MpiWorldAnySize.CollectivesAgreeOnEveryRank");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "world rank 0 of 2")) << r.output;
  EXPECT_TRUE(contains(r.output, "world rank 1 of 2")) << r.output;
  std::size_t passed = 0;
  for (std::size_t pos = 0; (pos = r.output.find("[  PASSED  ] 1 test", pos)) != std::string::npos; ++pos)
    ++passed;
  EXPECT_EQ(passed, 2u) << r.output;
}

}  // namespace
}  // namespace borealis::dist
