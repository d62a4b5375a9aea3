#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "borealis/train/spike_detector.h"
#include "borealis/train/step_watchdog.h"

namespace borealis::train {
namespace {

TEST(SpikeDetector, SkipsOnlyFarAboveTheRecentSteps) {
  SpikeDetector d(4.0, 10);
  // Judges nothing before it has 10 steps of history, however odd.
  EXPECT_FALSE(d.check(100.0, 1.0));
  for (int i = 1; i < 20; ++i)  // the odd step then slides out of the window
    EXPECT_FALSE(d.check(5.0 + 0.01 * (i % 3), 1.0 + 0.01 * (i % 2))) << i;
  EXPECT_FALSE(d.check(5.03, 1.0)) << "within the noise";
  EXPECT_FALSE(d.check(1.0, 0.1)) << "a drop is never a spike";
  const auto loss_spike = d.check(15.0, 1.0);
  ASSERT_TRUE(loss_spike);
  EXPECT_NE(loss_spike->find("loss 15 is"), std::string::npos) << *loss_spike;
  const auto norm_spike = d.check(5.0, 50.0);
  ASSERT_TRUE(norm_spike);
  EXPECT_NE(norm_spike->find("gradient norm 50"), std::string::npos) << *norm_spike;
  EXPECT_FALSE(d.check(5.0, 1.0)) << "skipped steps did not enter the window";
}

TEST(SpikeDetector, OffAtZeroAndRestoredFromJson) {
  SpikeDetector off(0, 5);
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(off.check(i % 2 ? 1.0 : 1e9, 1.0));

  SpikeDetector a(3.0, 12), b(3.0, 12);
  for (int i = 0; i < 15; ++i) a.check(2.0 + 0.1 * (i % 4), 0.5 + 0.05 * (i % 3));
  b.from_json(a.to_json());
  for (double loss : {2.1, 2.9, 4.0, 2.2}) EXPECT_EQ(a.check(loss, 0.5), b.check(loss, 0.5));
}

TEST(StepWatchdog, FiresOnceForAStepPastItsLimit) {
  std::atomic<int> fired{0};
  std::atomic<std::int64_t> which{0};
  {
    StepWatchdog w(
        0.2,
        [&](std::int64_t step, double seconds) {
          which = step;
          EXPECT_GT(seconds, 0.2);
          ++fired;
        },
        0.02);
    w.begin_step(1);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    w.end_step();  // a quick step
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(fired, 0) << "nothing runs between steps";
    w.begin_step(2);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(which, 2);
  StepWatchdog off(0, [&](std::int64_t, double) { ++fired; });
  off.begin_step(3);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(fired, 1);
}

}  // namespace
}  // namespace borealis::train
