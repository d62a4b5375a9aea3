// GNU units definitions.units -> one document per physical-constant definition.
//
// The "Physical constants" part runs from "# Physical constants" to the
// "# CGS system based on centimeter, gram and second" header. Inside it:
//   # Basic constants                       <- a column-0 comment: a heading
//   G  6.67430e-11 N m^2 / kg^2 # Newtonian gravitational constant
//   u  atomicmassunit   #   1|12 of the mass of carbon 12.
//                       #   The relationship N_A u = 1 g/mol ...
// A comment line of its own ("      #   ...") continues the comment above it.
// units also lines long notes up beside the aliases that follow a constant,
// so a side comment continues the one on the line above when it is indented
// past its "#" and starts in lower case, or when the one above stopped
// mid-sentence; otherwise it is the definition's own comment.

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "borealis/curate/default_corpus.h"
#include "borealis/io/read_file.h"
#include "borealis/util/error.h"
#include "corpus_text.h"

namespace borealis::curate {
namespace {

using text::is_space;
using text::trim;

constexpr std::string_view kStart = "# Physical constants";
constexpr std::string_view kEnd = "# CGS system based on centimeter, gram and second";

struct Record {
  std::string name;
  std::string definition;
  std::string comment;
  std::string section;
};

void append_comment(std::string& comment, std::string_view more) {
  const std::string words = text::collapse_whitespace(more);
  if (words.empty()) return;
  if (!comment.empty()) comment += ' ';
  comment += words;
}

// "... is specified in" / "... when used to form," : a comment that stops
// mid-sentence, so the next line's side comment carries on with it.
bool ends_mid_sentence(std::string_view comment) {
  static constexpr std::string_view kFunctionWords[] = {
      "a",    "an",    "the",  "of",   "to",    "in",    "on",   "at",  "by",
      "for",  "from",  "with", "and",  "or",    "as",    "is",   "are", "be",
      "that", "which", "when", "than", "where", "whose", "into", "per"};
  comment = trim(comment);
  if (comment.empty()) return false;
  if (comment.back() == ',') return true;
  const std::size_t space = comment.find_last_of(' ');
  const std::string_view last =
      space == std::string_view::npos ? comment : comment.substr(space + 1);
  return std::find(std::begin(kFunctionWords), std::end(kFunctionWords), last) !=
         std::end(kFunctionWords);
}


// A block of column-0 comment lines names a new section when it is a single
// short line ("# Atomic constants"), a line followed by an empty "#" line
// ("# Magnetic moments (...)\n#\n# The magnetic ..."), or opens with a
// "topic: explanation" sentence ("# particle wavelengths: the compton ...").
// Longer prose blocks leave the section as it is.
std::string section_heading(const std::vector<std::string>& block) {
  std::vector<std::string> lines;
  std::size_t first = 0;
  while (first < block.size() && trim(block[first]).empty()) ++first;
  if (first == block.size()) return {};
  const std::string head(trim(block[first]));
  std::size_t nonempty = 0;
  for (const auto& l : block) nonempty += !trim(l).empty();
  const bool followed_by_blank = first + 1 < block.size() && trim(block[first + 1]).empty();
  if ((nonempty == 1 || followed_by_blank) && head.size() <= 60) return head;
  const std::size_t colon = head.find(':');
  if (colon != std::string::npos && colon <= 40)
    return text::capitalize_first(head.substr(0, colon));
  return {};
}

}  // namespace

std::uint64_t convert_codata(const std::string& units_file, const CorpusDocumentSink& sink) {
  std::string data = io::read_file(units_file);
  if (data.starts_with("\xEF\xBB\xBF")) data.erase(0, 3);  // the Debian file has a BOM
  data = to_utf8(data);

  std::vector<std::string_view> lines;
  for (std::size_t pos = 0; pos < data.size();) {
    std::size_t eol = data.find('\n', pos);
    if (eol == std::string::npos) eol = data.size();
    std::string_view line = std::string_view(data).substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    pos = eol + 1;
  }
  std::size_t begin = 0;
  while (begin < lines.size() && trim(lines[begin]) != kStart) ++begin;
  if (begin == lines.size())
    throw_file_error(units_file, "no '{}' section: not a GNU units definitions file", kStart);

  std::vector<Record> records;
  std::string section = "Physical constants";
  long open_comment = -1;  // record whose comment the next comment line may continue
  bool adjacent = false;   // the previous line belonged to that comment
  std::string previous_side_comment;
  std::vector<std::string> block;
  auto close_block = [&] {
    if (block.empty()) return;
    if (std::string heading = section_heading(block); !heading.empty()) section = heading;
    block.clear();
  };

  for (std::size_t n = begin + 1; n < lines.size(); ++n) {
    std::string_view line = lines[n];
    if (line.starts_with(kEnd)) break;
    // Definitions may continue onto the next line with a trailing backslash.
    std::string joined;
    while (!line.empty() && line.back() == '\\' && n + 1 < lines.size()) {
      joined += line.substr(0, line.size() - 1);
      line = lines[++n];
    }
    if (!joined.empty()) {
      joined += line;
      line = joined;
    }

    if (trim(line).empty()) {
      close_block();
      open_comment = -1;
      continue;
    }
    if (line.front() == '#') {  // column 0: headings and prose about what follows
      block.emplace_back(line.substr(1));
      open_comment = -1;
      continue;
    }
    close_block();
    if (line.front() == '!') continue;  // !var / !endvar / !set directives
    const std::string_view stripped = trim(line);
    if (stripped.front() == '#') {  // "      #   comment" continues the one above
      if (open_comment >= 0) append_comment(records[open_comment].comment, stripped.substr(1));
      adjacent = open_comment >= 0;
      continue;
    }
    if (is_space(line.front())) continue;  // indented non-comment: not a definition

    std::size_t name_end = 0;
    while (name_end < line.size() && !is_space(line[name_end])) ++name_end;
    Record record;
    record.name = std::string(line.substr(0, name_end));
    std::string_view rest = line.substr(name_end);
    std::string_view comment;
    if (const std::size_t hash = rest.find('#'); hash != std::string_view::npos) {
      comment = rest.substr(hash + 1);
      rest = rest.substr(0, hash);
    }
    record.definition = text::collapse_whitespace(rest);
    record.section = section;
    // A side comment continues the one on the line above when it is indented
    // past its "#" and does not start a new sentence, or when the one above
    // stopped mid-sentence ("... is specified in" / "NIST publication 811").
    const bool indented = comment.size() >= 2 && comment[0] == ' ' && comment[1] == ' ';
    const std::string_view words = trim(comment);
    // (A note repeated for a twin definition, "atomicmassunit_SI" then
    // "atomicmassunit", is that definition's own comment.)
    bool continues = false;
    if (open_comment >= 0 && adjacent && !words.empty() && words != previous_side_comment) {
      const std::string& above = records[open_comment].comment;
      continues = (indented && !std::isupper(static_cast<unsigned char>(words.front()))) ||
                  ends_mid_sentence(above);
    }
    previous_side_comment = std::string(words);
    if (continues) {
      append_comment(records[open_comment].comment, words);
    } else {
      append_comment(record.comment, words);
    }
    records.push_back(std::move(record));
    if (!continues && !words.empty()) open_comment = static_cast<long>(records.size()) - 1;
    adjacent = !words.empty();
  }

  std::map<std::string, int> seen;
  std::uint64_t documents = 0;
  for (Record& r : records) {
    if (r.definition.empty()) continue;
    std::string id = "codata:" + r.name;
    if (const int count = ++seen[r.name]; count > 1) {
      id += '#';
      id += std::to_string(count);
    }
    std::string text = r.name + ": ";
    text += r.comment.empty() ? std::string("defined") : text::end_sentence(r.comment) + " Defined";
    text += " in GNU units as " + text::end_sentence(r.definition);

    nlohmann::ordered_json doc;
    doc["id"] = std::move(id);
    doc["source"] = "codata";
    doc["name"] = r.name;
    doc["definition"] = r.definition;
    doc["comment"] = r.comment;
    doc["section"] = r.section;
    doc["text"] = std::move(text);
    sink(std::move(doc));
    ++documents;
  }
  return documents;
}

}  // namespace borealis::curate
