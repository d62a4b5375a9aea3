#include "borealis/tokenize/jsonl_text.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "borealis/util/utf8.h"

namespace borealis::tokenize {

JsonlTextExtractor::Result JsonlTextExtractor::extract(std::string_view line) {
  Result r;
  r.replaced = util::sanitize_utf8(line, clean_);
  auto j = nlohmann::json::parse(clean_, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    r.error = "not a JSON object";
    return r;
  }
  auto it = j.find(key_);
  if (it == j.end() || !it->is_string()) {
    r.error = fmt::format("no string key \"{}\"", key_);
    return r;
  }
  text_ = std::move(it->get_ref<std::string&>());
  r.text = text_;
  return r;
}

}  // namespace borealis::tokenize
