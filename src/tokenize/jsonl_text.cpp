#include "borealis/tokenize/jsonl_text.h"

#include <cstring>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <simdjson.h>

#include "borealis/util/utf8.h"

namespace borealis::tokenize {

// simdjson is the fast path: it validates the whole line (UTF-8 included)
// at GB/s with kernels picked at run time for the CPU. Its DOM API is used
// rather than On-Demand because On-Demand picks its kernel at compile time
// (the portable, slow one for a generic x86-64 build). Any line simdjson
// does not accept as one JSON object with a string at the key takes the
// careful path: replace invalid UTF-8, parse with nlohmann::json, and say
// what is wrong -- so odd lines cost time, never correctness.
struct JsonlTextExtractor::FastParser {
  simdjson::dom::parser parser;
  std::string padded;  // the line plus SIMDJSON_PADDING bytes
};

JsonlTextExtractor::JsonlTextExtractor(std::string key)
    : key_(std::move(key)), fast_(std::make_unique<FastParser>()) {}
JsonlTextExtractor::~JsonlTextExtractor() = default;
JsonlTextExtractor::JsonlTextExtractor(JsonlTextExtractor&&) noexcept = default;
JsonlTextExtractor& JsonlTextExtractor::operator=(JsonlTextExtractor&&) noexcept = default;

bool JsonlTextExtractor::extract_fast(std::string_view line, std::string_view& text) {
  auto& f = *fast_;
  if (f.padded.size() < line.size() + simdjson::SIMDJSON_PADDING)
    f.padded.resize(line.size() + simdjson::SIMDJSON_PADDING);
  std::memcpy(f.padded.data(), line.data(), line.size());
  simdjson::dom::element doc;
  if (f.parser.parse(f.padded.data(), line.size(), /*realloc_if_needed=*/false).get(doc)) return false;
  simdjson::dom::object object;
  if (doc.get(object)) return false;
  bool found = false;
  for (const auto field : object) {  // the last of duplicate keys wins, as in nlohmann::json
    if (field.key != key_) continue;
    found = !field.value.get(text);
  }
  return found;
}

JsonlTextExtractor::Result JsonlTextExtractor::extract(std::string_view line) {
  Result r;
  if (extract_fast(line, r.text)) return r;
  r.text = {};
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
