#include "borealis/util/error.h"

#include <cstring>

namespace borealis {

void throw_file_error(std::string_view path, std::string_view message) {
  throw Error(fmt::format("{}: {}", path, message));
}

void throw_system_error(std::string_view path, std::string_view what, int err) {
  throw Error(fmt::format("{}: {}: {}", path, what, std::strerror(err)));
}

}  // namespace borealis
