#pragma once
// JSON Lines files (.jsonl, also .gz/.zst through LineReader): each
// non-blank line parsed and handed over with its line number; a line that is
// not JSON is an error "PATH:LINE: not valid JSON".

#include <cstdint>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

namespace borealis::io {

void for_each_json_line(
    const std::string& path,
    const std::function<void(const nlohmann::json& value, std::uint64_t line)>& visit);

}  // namespace borealis::io
