#include "borealis/util/progress.h"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

namespace borealis::util {

bool ProgressLine::stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

ProgressLine::ProgressLine(std::string label, std::uint64_t total, std::string unit)
    : label_(std::move(label)),
      total_(total),
      unit_(std::move(unit)),
      tty_(stderr_is_terminal()),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressLine::~ProgressLine() {
  if (!finished_ && tty_ && done_ > 0) std::fputs("\n", stderr);
}

void ProgressLine::update(std::uint64_t done, const std::string& detail) {
  done_ = done;
  if (!tty_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100) && done != total_) return;
  last_draw_ = now;
  draw(false, detail);
}

void ProgressLine::finish(const std::string& detail) {
  if (finished_) return;
  finished_ = true;
  draw(true, detail);
}

void ProgressLine::draw(bool final_line, const std::string& detail) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = seconds > 0 ? static_cast<double>(done_) / seconds : 0.0;
  std::string count = unit_ == "bytes" ? format_bytes(done_) : format_count(done_);
  if (total_ > 0 && !final_line) {
    count += fmt::format(" / {} ({:.0f}%)",
                         unit_ == "bytes" ? format_bytes(total_) : format_count(total_),
                         100.0 * static_cast<double>(done_) / static_cast<double>(total_));
  }
  std::string rate_text = unit_ == "bytes" ? format_bytes(static_cast<std::uint64_t>(rate)) + "/s"
                                           : fmt::format("{:.0f} {}/s", rate, unit_);
  std::string line = fmt::format("{}: {}{} in {:.1f}s, {}{}{}", label_, count,
                                 unit_ == "bytes" ? "" : " " + unit_, seconds, rate_text,
                                 detail.empty() ? "" : ", ", detail);
  if (tty_) {
    fmt::print(stderr, "\r\033[K{}{}", line, final_line ? "\n" : "");
  } else if (final_line) {
    fmt::print(stderr, "{}\n", line);
  }
  std::fflush(stderr);
}

std::string format_bytes(std::uint64_t bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB", "PB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1000.0 && u < 5) {
    v /= 1000.0;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, units[u]);
}

std::string format_count(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

}  // namespace borealis::util
