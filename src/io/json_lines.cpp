#include "borealis/io/json_lines.h"

#include <fmt/format.h>

#include "borealis/io/line_reader.h"
#include "borealis/util/error.h"

namespace borealis::io {

void for_each_json_line(
    const std::string& path,
    const std::function<void(const nlohmann::json& value, std::uint64_t line)>& visit) {
  LineReader reader(path);
  std::string line;
  while (reader.next(line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json value;
    try {
      value = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      throw Error(fmt::format("{}:{}: not valid JSON", path, reader.line_number()));
    }
    visit(value, reader.line_number());
  }
}

}  // namespace borealis::io
