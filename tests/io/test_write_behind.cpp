// io::WriteBehind: every job runs, the memory it holds stays under the
// limit, failures reach the caller, and a dropped queue frees its jobs.

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "borealis/io/write_behind.h"

namespace borealis::io {
namespace {

TEST(WriteBehind, RunsEveryJobWithinTheMemoryLimit) {
  std::atomic<int> ran{0};
  std::atomic<std::uint64_t> held{0}, most{0};
  {
    WriteBehind writes(3, 100);
    for (int i = 0; i < 200; ++i) {
      const std::uint64_t bytes = 10 + static_cast<std::uint64_t>(i % 5) * 10;  // 10..50
      held += bytes;  // counted from submission, as the queue counts it
      std::uint64_t now = held.load();
      for (std::uint64_t seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
      }
      writes.submit(bytes, [&, bytes] {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        ++ran;
        held -= bytes;
      });
    }
    writes.finish();
    EXPECT_EQ(ran.load(), 200);
  }
  // A job is counted until it has run: at most 100 bytes were held, plus the
  // one being submitted while the count was read.
  EXPECT_LE(most.load(), 150u);
}

TEST(WriteBehind, AJobBiggerThanTheLimitRunsAlone) {
  WriteBehind writes(2, 10);
  std::atomic<int> ran{0};
  writes.submit(1000, [&] { ++ran; });
  writes.submit(1000, [&] { ++ran; });
  writes.finish();
  EXPECT_EQ(ran.load(), 2);
}

TEST(WriteBehind, TheFirstFailureReachesFinishAndLaterSubmits) {
  WriteBehind writes(1, 1 << 20);
  writes.submit(1, [] { throw std::runtime_error("disk full"); });
  try {
    writes.finish();
    ADD_FAILURE() << "finish() did not throw";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "disk full");
  }
  EXPECT_THROW(writes.submit(1, [] {}), std::runtime_error);
}

TEST(WriteBehind, DroppedJobsAreFreedUnrun) {
  auto token = std::make_shared<int>(0);
  std::atomic<bool> release{false};
  std::atomic<int> ran{0};
  {
    WriteBehind writes(1, 1 << 20);
    writes.submit(1, [&] {
      while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
    for (int i = 0; i < 5; ++i) writes.submit(1, [&ran, token] { ++ran; });
    EXPECT_EQ(token.use_count(), 6);
    release = true;  // the destructor drops whatever has not started
  }
  EXPECT_EQ(token.use_count(), 1);  // every queued copy destroyed
  EXPECT_LE(ran.load(), 5);
}

}  // namespace
}  // namespace borealis::io
