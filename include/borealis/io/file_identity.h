#pragma once
// What a resume record stores about a file instead of hashing it: path, size
// and modification time (ns). Equal identities are taken to mean equal
// content -- the same bet make(1) and Megatron's index caches make.

#include <string>

#include <nlohmann/json.hpp>

namespace borealis::io {

// {"path", "size", "mtime_ns"}; throws borealis::Error naming the file if
// it cannot be stat'ed.
nlohmann::json file_identity(const std::string& path);

}  // namespace borealis::io
