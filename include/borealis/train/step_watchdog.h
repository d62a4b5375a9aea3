#pragma once
// Ends a run whose step takes far too long: a rank stuck in a collective
// (another rank wedged, not dead -- a dead rank is mpirun's to notice), in
// I/O on a hung file system, or in a bug. A thread checks the running step's
// age once a second; past the limit it calls on_expired once, which in a
// run prints the rank and step and exits the process, so the launcher ends
// the job instead of it sitting on its allocation.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace borealis::train {

class StepWatchdog {
 public:
  using Expired = std::function<void(std::int64_t step, double seconds)>;
  // limit_s 0: no thread, never fires. poll_s: how often the age is checked.
  StepWatchdog(double limit_s, Expired on_expired, double poll_s = 1.0);
  ~StepWatchdog();
  StepWatchdog(const StepWatchdog&) = delete;
  StepWatchdog& operator=(const StepWatchdog&) = delete;

  void begin_step(std::int64_t step);
  void end_step();

 private:
  void watch();

  double limit_s_, poll_s_;
  Expired on_expired_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false, in_step_ = false, fired_ = false;
  std::int64_t step_ = 0;
  std::chrono::steady_clock::time_point started_;
  std::thread thread_;
};

}  // namespace borealis::train
