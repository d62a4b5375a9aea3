#include "borealis/train/step_watchdog.h"

namespace borealis::train {

StepWatchdog::StepWatchdog(double limit_s, Expired on_expired, double poll_s)
    : limit_s_(limit_s), poll_s_(poll_s), on_expired_(std::move(on_expired)) {
  if (limit_s_ > 0) thread_ = std::thread([this] { watch(); });
}

StepWatchdog::~StepWatchdog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void StepWatchdog::begin_step(std::int64_t step) {
  std::lock_guard<std::mutex> lock(mu_);
  step_ = step;
  in_step_ = true;
  started_ = std::chrono::steady_clock::now();
}

void StepWatchdog::end_step() {
  std::lock_guard<std::mutex> lock(mu_);
  in_step_ = false;
}

void StepWatchdog::watch() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::duration<double>(poll_s_));
    if (stop_ || !in_step_ || fired_) continue;
    const double age =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    if (age > limit_s_) {
      fired_ = true;
      const std::int64_t step = step_;
      lock.unlock();
      on_expired_(step, age);
      lock.lock();
    }
  }
}

}  // namespace borealis::train
