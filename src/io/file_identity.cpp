#include "borealis/io/file_identity.h"

#include <sys/stat.h>

#include <cerrno>

#include "borealis/util/error.h"

namespace borealis::io {

nlohmann::json file_identity(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw_system_error(path, "cannot open", errno);
  return {{"path", path},
          {"size", static_cast<std::uint64_t>(st.st_size)},
          {"mtime_ns", static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec}};
}

}  // namespace borealis::io
