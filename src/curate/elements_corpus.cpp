// dict-elements -> one document per element, keeping the structured fields.
//
// Entries look like
//   hydrogen
//   Symbol: H
//   Atomic number: 1
//   Atomic weight: 1.0079
//   Colourless, odourless gaseous chemical element. ...
// Weights in parentheses, "(226)", are the mass number of the most stable
// isotope rather than a measured standard weight. A few late entries spell the
// key "Atmic weight", and a few (old names, the neutron) have no fields at all.

#include <cctype>
#include <charconv>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "borealis/curate/default_corpus.h"
#include "corpus_text.h"

namespace borealis::curate {
namespace {

using text::trim;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// {tungsten} -> tungsten (cross-references).
std::string drop_braces(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != '{' && c != '}') out += c;
  return out;
}

}  // namespace

std::uint64_t convert_elements(const DictdFile& db, const CorpusDocumentSink& sink) {
  std::uint64_t documents = 0;
  std::set<std::string> used_ids;
  for (const DictdEntry& entry : db.entries()) {
    if (!entry.headwords.empty() && is_dictd_meta_headword(entry.headwords.front())) continue;
    const std::string t = to_utf8(entry.text);

    std::vector<std::string_view> lines;
    for (std::size_t pos = 0; pos <= t.size();) {
      std::size_t eol = t.find('\n', pos);
      if (eol == std::string::npos) eol = t.size();
      lines.push_back(std::string_view(t).substr(pos, eol - pos));
      pos = eol + 1;
    }
    std::size_t i = 0;
    while (i < lines.size() && trim(lines[i]).empty()) ++i;
    if (i == lines.size()) continue;
    const std::string name(trim(lines[i++]));

    std::string symbol;
    std::optional<long long> atomic_number;
    std::string weight_text;
    std::string lead;
    for (; i < lines.size(); ++i) {
      const std::string_view line = trim(lines[i]);
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) break;
      const std::string key = lower(trim(line.substr(0, colon)));
      const std::string_view value = trim(line.substr(colon + 1));
      if (key == "symbol") {
        symbol = std::string(value);
      } else if (key == "atomic number") {
        long long n = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
        if (ec == std::errc() && end == value.data() + value.size()) atomic_number = n;
      } else if (key == "atomic weight" || key == "atmic weight") {
        weight_text = std::string(value);
      } else {
        // Prose that happens to contain a colon, or an unknown key such as the
        // neutron's "Weight: 1.6749286*10^-27kg", which then reads as a sentence.
        if (key.find(' ') == std::string::npos && !value.empty() &&
            value.find(' ') == std::string_view::npos) {
          lead = text::end_sentence(line);
          ++i;
        }
        break;
      }
    }
    std::string prose = lead + ' ';
    for (; i < lines.size(); ++i) {
      prose += lines[i];
      prose += ' ';
    }
    prose = text::collapse_whitespace(drop_braces(prose));

    // "1.0079" measured; "(226)" / "(272)?" mass number of the most stable
    // isotope; "???" unknown.
    std::string weight_digits;
    for (char c : weight_text)
      if (c != '(' && c != ')' && c != '?') weight_digits += c;
    std::optional<double> weight;
    {
      double v = 0;  // from_chars, unlike strtod, ignores the C locale's decimal point
      const char* last = weight_digits.data() + weight_digits.size();
      const auto [end, ec] = std::from_chars(weight_digits.data(), last, v);
      if (!weight_digits.empty() && ec == std::errc() && end == last) weight = v;
    }
    const bool estimated = weight && weight_text.find_first_of("()?") != std::string::npos;

    std::vector<std::string> facts;
    if (!symbol.empty()) facts.push_back("symbol " + symbol);
    if (atomic_number) facts.push_back("atomic number " + std::to_string(*atomic_number));
    if (weight)
      facts.push_back("atomic weight " + weight_digits +
                      (estimated ? " (most stable isotope)" : ""));
    std::string text = text::capitalize_first(name);
    if (!facts.empty()) {
      text += " (";
      for (std::size_t f = 0; f < facts.size(); ++f) text += (f ? ", " : "") + facts[f];
      text += ")";
    }
    text += prose.empty() ? std::string(".") : ": " + prose;

    // Symbols are the natural id, but some entries have none and a few names
    // share one (aluminium/aluminum): fall back to the name.
    std::string id = "elements:" + (symbol.empty() ? name : symbol);
    if (used_ids.count(id) != 0) id = "elements:" + name;
    for (int n = 2; used_ids.count(id) != 0; ++n) id = "elements:" + name + "-" + std::to_string(n);
    used_ids.insert(id);

    nlohmann::ordered_json doc;
    doc["id"] = id;
    doc["source"] = "elements";
    doc["name"] = name;
    doc["symbol"] = symbol.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(symbol);
    doc["atomic_number"] =
        atomic_number ? nlohmann::ordered_json(*atomic_number) : nlohmann::ordered_json();
    doc["atomic_weight"] = weight ? nlohmann::ordered_json(*weight) : nlohmann::ordered_json();
    doc["atomic_weight_estimated"] = estimated;
    doc["text"] = std::move(text);
    sink(std::move(doc));
    ++documents;
  }
  return documents;
}

}  // namespace borealis::curate
