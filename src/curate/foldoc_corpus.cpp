// dict-foldoc -> one document per Free On-line Dictionary of Computing entry.
//
// Entries look like
//   lazy evaluation          <- title, then aliases, up to the first blank line
//   laziness
//
//      <reduction> An {evaluation strategy} combining {normal order
//      evaluation} with updating. ...
//
//      (1996-12-21)          <- last edit date
// Category tags <...> open a paragraph (or a numbered sense); {links} may
// carry a URL, "{IDEF Home (http://...)}". Paragraphs indented deeper than the
// body are code or diagrams and keep their lines. The date goes to a "date"
// field, not the text. Entries that only point elsewhere ("{Host Host Copy}",
// "See {X}.") are skipped: they would teach nothing but a title.

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "borealis/curate/default_corpus.h"
#include "corpus_text.h"

namespace borealis::curate {
namespace {

using text::is_space;
using text::trim;

constexpr std::size_t npos = std::string_view::npos;

std::size_t indent_of(std::string_view line) {
  std::size_t n = 0;
  while (n < line.size() && (line[n] == ' ' || line[n] == '\t')) ++n;
  return n;
}

bool looks_like_url(std::string_view s) {
  return s.find(':') != npos || s.find('/') != npos || s.ends_with(".html") || s.ends_with(".htm");
}

// {text (url)} -> text, {(url)} -> url, {text} -> text; __emphasis__ -> emphasis.
std::string clean_links(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '{') {
      const std::size_t close = s.find('}', i + 1);
      const std::size_t reopen = s.find('{', i + 1);
      if (close != npos && (reopen == npos || reopen > close)) {
        std::string_view inner = trim(s.substr(i + 1, close - i - 1));
        if (inner.ends_with(")")) {
          const std::size_t open = inner.rfind('(');
          if (open != npos) {
            const std::string_view target = inner.substr(open + 1, inner.size() - open - 2);
            const std::string_view label = trim(inner.substr(0, open));
            if (looks_like_url(target)) inner = label.empty() ? target : label;
          }
        }
        out += inner;
        i = close + 1;
        continue;
      }
    }
    if (s.substr(i, 2) == "__") {
      i += 2;
      continue;
    }
    out += s[i++];
  }
  return out;
}

// A few links are wrapped across a blank line, "{Specification\n\n(https://...)}";
// rejoin them so the paragraph split does not cut them in two.
std::string join_split_links(std::string t) {
  for (std::size_t open = t.find('{'); open != npos; open = t.find('{', open + 1)) {
    const std::size_t close = t.find_first_of("{}", open + 1);
    if (close == npos || t[close] != '}' || close - open > 400) continue;
    // Only the "{label <blank line> (url)}" shape: code blocks keep their braces and lines.
    const std::string_view inner = std::string_view(t).substr(open + 1, close - open - 1);
    const std::size_t paren = inner.rfind('(');
    if (paren == npos || inner.back() != ')' || trim(inner.substr(0, paren)).empty()) continue;
    if (inner.substr(0, paren).find('\n') == npos) continue;
    for (std::size_t k = open; k < close; ++k)
      if (t[k] == '\n') t[k] = ' ';
  }
  return t;
}

bool is_date(std::string_view s) {
  // "(2014-10-25)"
  if (s.size() != 12 || s.front() != '(' || s.back() != ')') return false;
  for (std::size_t i = 1; i <= 10; ++i) {
    const bool dash = i == 5 || i == 8;
    if (dash ? s[i] != '-' : !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// Removes a leading "<cat, cat>" (after an optional "2. ") and records its
// categories. E-mail addresses <a@b> are not categories.
std::string take_categories(std::string_view para, std::vector<std::string>& categories) {
  std::size_t i = 0;
  while (i < para.size() && std::isdigit(static_cast<unsigned char>(para[i]))) ++i;
  if (i > 0) {
    if (i >= para.size() || para[i] != '.') return std::string(para);
    ++i;
    while (i < para.size() && is_space(para[i])) ++i;
  }
  if (i >= para.size() || para[i] != '<') return std::string(para);
  const std::size_t close = para.find('>', i);
  if (close == npos) return std::string(para);
  const std::string_view inside = para.substr(i + 1, close - i - 1);
  if (inside.empty() || inside.size() > 80 || inside.find_first_of("@:<") != npos)
    return std::string(para);
  std::size_t start = 0;
  while (start <= inside.size()) {
    std::size_t comma = inside.find(',', start);
    if (comma == npos) comma = inside.size();
    const std::string category(trim(inside.substr(start, comma - start)));
    if (!category.empty() &&
        std::find(categories.begin(), categories.end(), category) == categories.end())
      categories.push_back(category);
    start = comma + 1;
  }
  std::string rest(para.substr(0, i));
  rest += trim(para.substr(close + 1));
  return rest;
}

}  // namespace

std::uint64_t convert_foldoc(const DictdFile& db, const CorpusDocumentSink& sink) {
  std::uint64_t documents = 0;
  for (const DictdEntry& entry : db.entries()) {
    if (std::any_of(entry.headwords.begin(), entry.headwords.end(),
                    [](const std::string& h) { return is_dictd_meta_headword(h); }))
      continue;
    const std::string t = join_split_links(to_utf8(entry.text));
    std::vector<std::string_view> lines;
    for (std::size_t pos = 0; pos <= t.size();) {
      std::size_t eol = t.find('\n', pos);
      if (eol == npos) eol = t.size();
      lines.push_back(std::string_view(t).substr(pos, eol - pos));
      pos = eol + 1;
    }

    std::size_t i = 0;
    while (i < lines.size() && trim(lines[i]).empty()) ++i;
    std::vector<std::string> names;
    for (; i < lines.size() && !trim(lines[i]).empty(); ++i) names.emplace_back(trim(lines[i]));
    if (names.empty()) continue;

    // The body indent is that of the first body line (3 spaces); paragraphs
    // indented deeper throughout are code or diagrams.
    std::size_t base = 0;
    for (std::size_t k = i; k < lines.size(); ++k) {
      if (!trim(lines[k]).empty()) {
        base = indent_of(lines[k]);
        break;
      }
    }

    std::vector<std::string> categories;
    std::string date;
    std::vector<std::string> paragraphs;
    bool substantive = false;
    while (i < lines.size()) {
      while (i < lines.size() && trim(lines[i]).empty()) ++i;
      std::vector<std::string_view> para;
      for (; i < lines.size() && !trim(lines[i]).empty(); ++i) para.push_back(lines[i]);
      if (para.empty()) break;

      const bool preformatted = std::all_of(
          para.begin(), para.end(), [&](std::string_view l) { return indent_of(l) > base; });
      if (preformatted) {
        // Code and ASCII diagrams: keep the lines, only drop the body indent.
        std::string block;
        for (std::string_view l : para) {
          if (!block.empty()) block += '\n';
          std::string_view kept = l.substr(std::min(base, l.size()));
          while (!kept.empty() && is_space(kept.back())) kept.remove_suffix(1);
          block += kept;
        }
        paragraphs.push_back(std::move(block));
        substantive = true;
        continue;
      }
      std::string joined;
      for (std::string_view l : para) {
        joined += trim(l);
        joined += ' ';
      }
      const std::string flat = text::collapse_whitespace(joined);
      if (is_date(flat)) {
        date = flat.substr(1, 10);
        continue;
      }
      const std::string raw = take_categories(flat, categories);
      const std::string clean = text::collapse_whitespace(clean_links(raw));
      if (clean.empty()) continue;
      if (!text::is_redirect(raw)) substantive = true;
      paragraphs.push_back(clean);
    }
    if (!substantive) continue;

    std::string body;
    for (const std::string& p : paragraphs) {
      if (!body.empty()) body += "\n\n";
      body += p;
    }
    nlohmann::ordered_json aliases = nlohmann::ordered_json::array();
    for (std::size_t k = 1; k < names.size(); ++k)
      if (names[k] != names[0]) aliases.push_back(names[k]);

    nlohmann::ordered_json doc;
    doc["id"] = "foldoc:" + std::to_string(++documents);
    doc["source"] = "foldoc";
    doc["title"] = names[0];
    doc["aliases"] = std::move(aliases);
    doc["categories"] = categories;
    doc["date"] = date.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(date);
    doc["text"] = names[0] + ": " + body;
    sink(std::move(doc));
  }
  return documents;
}

}  // namespace borealis::curate
