#pragma once
// One exception type for every user-facing failure. The message is a single
// line that names the file (when there is one) and what is wrong with it; the
// CLI prints it as-is and exits non-zero.

#include <stdexcept>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace borealis {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// "PATH: message" -- the shape every file error takes.
[[noreturn]] void throw_file_error(std::string_view path, std::string_view message);

template <typename... Args>
[[noreturn]] void throw_file_error(std::string_view path, fmt::format_string<Args...> format,
                                   Args&&... args) {
  throw_file_error(path, std::string_view(fmt::format(format, std::forward<Args>(args)...)));
}

// "PATH: what: strerror(errno)" for failed system calls.
[[noreturn]] void throw_system_error(std::string_view path, std::string_view what, int err);

}  // namespace borealis
