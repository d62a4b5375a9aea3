#pragma once
// Progress for long work. On a terminal: one line redrawn in place (at most
// ~10 times a second). Otherwise (logs, CI, pipes): nothing until finish(),
// which prints one plain summary line. Both go to stderr so stdout stays
// clean for data and --json output.

#include <chrono>
#include <cstdint>
#include <string>

namespace borealis::util {

class ProgressLine {
 public:
  // `total` 0 means unknown; `unit` is what is counted ("docs", "bytes", ...).
  ProgressLine(std::string label, std::uint64_t total, std::string unit);
  ~ProgressLine();

  void update(std::uint64_t done, const std::string& detail = {});
  // Prints the final line: label, count, elapsed seconds, rate.
  void finish(const std::string& detail = {});

  static bool stderr_is_terminal();

 private:
  void draw(bool final_line, const std::string& detail);

  std::string label_;
  std::uint64_t total_;
  std::string unit_;
  std::uint64_t done_ = 0;
  bool tty_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// 1234567 -> "1.2 MB", 512 -> "512 B"
std::string format_bytes(std::uint64_t bytes);
// 1234567 -> "1,234,567"
std::string format_count(std::uint64_t n);

}  // namespace borealis::util
