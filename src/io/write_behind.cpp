#include "borealis/io/write_behind.h"

namespace borealis::io {

WriteBehind::WriteBehind(unsigned threads, std::uint64_t max_bytes) : max_bytes_(max_bytes) {
  for (unsigned i = 0; i < std::max(1u, threads); ++i) threads_.emplace_back([this] { work(); });
}

WriteBehind::~WriteBehind() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closing_ = true;
    queue_.clear();  // dropped unrun: their owners' destructors clean up
    changed_.notify_all();
  }
  for (auto& t : threads_) t.join();
}

void WriteBehind::submit(std::uint64_t bytes, std::function<void()> job) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return failure_ || held_ == 0 || held_ + bytes <= max_bytes_; });
  if (failure_) std::rethrow_exception(failure_);
  held_ += bytes;
  queue_.push_back({bytes, std::move(job)});
  changed_.notify_all();
}

void WriteBehind::finish() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return failure_ || (queue_.empty() && running_ == 0); });
  if (failure_) std::rethrow_exception(failure_);
}

void WriteBehind::work() {
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [&] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) return;  // closing
      job = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    std::exception_ptr failed;
    try {
      job.run();
    } catch (...) {
      failed = std::current_exception();
    }
    job.run = nullptr;  // frees what the job held before it counts as done
    std::lock_guard<std::mutex> lock(mutex_);
    --running_;
    held_ -= job.bytes;
    if (failed && !failure_) {
      failure_ = failed;
      queue_.clear();  // the build has failed: nothing more is written
    }
    changed_.notify_all();
  }
}

}  // namespace borealis::io
