#pragma once
// Jobs that write files, run by a few threads of their own behind the
// threads that compute what they write.
//
// An index build computes on every core and writes gigabytes, mostly as
// thousands of entry files of a few MB each. Written by the computing
// threads themselves, each create, write and rename blocks its thread (on
// this project's VMs about 2 ms of metadata calls per file plus the write
// itself), and for the last half of a 2T build the cores sat 30-40% idle
// waiting for the disk. Handed to WriteBehind, the writes queue up while the
// cores go on computing, and several writes are in flight at once.
//
// The queue holds at most `max_bytes` of the jobs' memory (each job says how
// much it holds); submit() waits while it is full, so a slow disk slows the
// computing instead of filling memory. A job bigger than the limit runs
// alone.

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace borealis::io {

class WriteBehind {
 public:
  WriteBehind(unsigned threads, std::uint64_t max_bytes);
  // Drops what has not started, waits for what has (call finish() to run
  // everything and see failures).
  ~WriteBehind();
  WriteBehind(const WriteBehind&) = delete;
  WriteBehind& operator=(const WriteBehind&) = delete;

  // Queues `job`, which holds `bytes` of memory until it has run. Throws
  // the first failure of an earlier job instead of queuing more.
  void submit(std::uint64_t bytes, std::function<void()> job);
  // Waits until every queued job has run; throws the first failure.
  void finish();

 private:
  struct Job {
    std::uint64_t bytes;
    std::function<void()> run;
  };
  void work();

  const std::uint64_t max_bytes_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Job> queue_;
  std::uint64_t held_ = 0;  // bytes of jobs queued or running
  std::size_t running_ = 0;
  bool closing_ = false;
  std::exception_ptr failure_;
  std::vector<std::thread> threads_;  // last: started after the members they use
};

}  // namespace borealis::io
