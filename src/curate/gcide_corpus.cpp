// GCIDE (Webster 1913 + WordNet 1.5) -> one document per science-tagged sense.
//
// The dictd text keeps GCIDE's typewriter markup: a header line
//   Absorption \Ab*sorp"tion\, n. [L. absorptio ...]
// followed by senses that start with a number, a lettered sub-sense, a
// {Phrase} or nothing, and a field label in parentheses right at the start:
//   2. (Chem. & Physics) An imbibing or reception by molecular ...
//   {Absolute zero} (Physics), the beginning, or zero point, ...
// A label counts only in those start positions (or right after the header),
// never in running text, where parentheses are ordinary prose.

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "borealis/curate/default_corpus.h"
#include "corpus_text.h"

namespace borealis::curate {
namespace {

using text::collapse_whitespace;
using text::is_space;
using text::trim;

constexpr std::size_t npos = std::string_view::npos;

bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool is_lower(char c) { return std::islower(static_cast<unsigned char>(c)) != 0; }

// GCIDE's ASCII spellings of non-ASCII characters. Codes that are not listed
// are left as they are: "[Obs.]" and friends are real bracketed text.
const std::unordered_map<std::string_view, std::string_view>& entity_table() {
  // clang-format off
  static const std::unordered_map<std::string_view, std::string_view> table = {
      // acute, grave, circumflex, diaeresis, tilde, cedilla
      {"'a", "á"}, {"'e", "é"}, {"'i", "í"}, {"'o", "ó"}, {"'u", "ú"}, {"'y", "ý"}, {"'A", "Á"},
      {"'E", "É"}, {"'I", "Í"}, {"'O", "Ó"}, {"'U", "Ú"}, {"`a", "à"}, {"`e", "è"}, {"`i", "ì"},
      {"`o", "ò"}, {"`u", "ù"}, {"`A", "À"}, {"`E", "È"}, {"^a", "â"}, {"^e", "ê"}, {"^i", "î"},
      {"^o", "ô"}, {"^u", "û"}, {"^A", "Â"}, {"^E", "Ê"}, {"\"a", "ä"}, {"\"e", "ë"}, {"\"i", "ï"},
      {"\"o", "ö"}, {"\"u", "ü"}, {"\"y", "ÿ"}, {"\"A", "Ä"}, {"\"E", "Ë"}, {"\"I", "Ï"},
      {"\"O", "Ö"}, {"\"U", "Ü"}, {"~a", "ã"}, {"~e", "ẽ"}, {"~n", "ñ"}, {"~o", "õ"}, {"~N", "Ñ"},
      {",c", "ç"}, {",C", "Ç"}, {"aum", "ä"},
      // ligatures and letters
      {"ae", "æ"}, {"AE", "Æ"}, {"oe", "œ"}, {"OE", "Œ"}, {"eth", "ð"}, {"thorn", "þ"},
      {"yogh", "ȝ"}, {"ng", "ŋ"}, {"schwa", "ə"}, {"ccaron", "č"}, {"cacute", "ć"}, {"filig", "fi"},
      {"fllig", "fl"}, {"fflig", "ff"}, {"ffllig", "ffl"}, {"ffilig", "ffi"},
      // macron and breve (pronunciation marks, also used in loanwords)
      {"=a", "ā"}, {"=e", "ē"}, {"=i", "ī"}, {"imac", "ī"}, {"=o", "ō"}, {"=u", "ū"}, {"=y", "ȳ"},
      {"=ae", "ǣ"}, {"=oo", "o͞o"}, {"=A", "Ā"}, {"=E", "Ē"}, {"=O", "Ō"}, {"a^", "ă"}, {"e^", "ĕ"},
      {"i^", "ĭ"}, {"o^", "ŏ"}, {"u^", "ŭ"}, {"y^", "y̆"}, {"oo^", "o͝o"}, {".a", "ȧ"},
      {"asl", "a"}, {"add", "a"}, {"udd", "u"}, {"-a", "a"}, {"-e", "e"}, {"-i", "i"}, {"-o", "o"},
      {"-u", "u"}, {"th", "th"},
      // Greek
      {"alpha", "α"}, {"beta", "β"}, {"gamma", "γ"}, {"delta", "δ"}, {"epsilon", "ε"},
      {"zeta", "ζ"}, {"eta", "η"}, {"theta", "θ"}, {"iota", "ι"}, {"kappa", "κ"}, {"lambda", "λ"},
      {"mu", "μ"}, {"nu", "ν"}, {"xi", "ξ"}, {"omicron", "ο"}, {"pi", "π"}, {"rho", "ρ"},
      {"sigma", "σ"}, {"sigmat", "ς"}, {"tau", "τ"}, {"upsilon", "υ"}, {"phi", "φ"}, {"chi", "χ"},
      {"psi", "ψ"}, {"omega", "ω"}, {"Gamma", "Γ"}, {"Delta", "Δ"}, {"Theta", "Θ"}, {"Lambda", "Λ"},
      {"Xi", "Ξ"}, {"Pi", "Π"}, {"Sigma", "Σ"}, {"Phi", "Φ"}, {"Psi", "Ψ"}, {"Omega", "Ω"},
      // symbols
      {"deg", "°"}, {"root", "√"}, {"sect", "§"}, {"para", "¶"}, {"dagger", "†"}, {"dag", "†"},
      {"pounds", "£"}, {"times", "×"}, {"divby", "÷"}, {"div", "÷"}, {"middot", "·"}, {"rarr", "→"},
      {"flat", "♭"}, {"sharp", "♯"}, {"nbsp", " "}, {"ldqo", "“"}, {"rdqo", "”"}, {"lsquo", "‘"},
      {"rsquo", "’"}, {"hand", "☞"}, {"prime", "′"}, {"bprime", "″"}, {"nabla", "∇"}, {"cent", "¢"},
      {"frac12", "½"}, {"frac14", "¼"}, {"frac34", "¾"}, {"frac13", "⅓"}, {"frac23", "⅔"},
      {"frac18", "⅛"},
  };
  // clang-format on
  return table;
}

std::string decode_entities(std::string_view s) {
  const auto& table = entity_table();
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '[') {
      const std::size_t close = s.find(']', i + 1);
      if (close != npos && close - i <= 9) {
        const std::string_view code = s.substr(i + 1, close - i - 1);
        if (code.find('[') == npos) {
          if (auto it = table.find(code); it != table.end()) {
            out += it->second;
            i = close + 1;
            continue;
          }
          // [fracNM] for fractions without a precomposed character.
          if (code.size() == 6 && code.starts_with("frac") && is_digit(code[4]) &&
              is_digit(code[5])) {
            out += code[4];
            out += '/';
            out += code[5];
            i = close + 1;
            continue;
          }
        }
      }
    }
    out += s[i++];
  }
  return out;
}

// "[1913 Webster]", "[WordNet 1.5 +PJC]", "[Webster 1913 Suppl.]": where a
// paragraph came from, not what it says.
bool is_source_marker(std::string_view content) {
  static constexpr std::array<std::string_view, 24> kTokens = {
      "1913", "Webster", "Suppl.", "Suppl",  "WordNet", "PJC",   "PJC.",    "AS",
      "RDH",  "RHUD",    "MW10",   "GG",     "RP",      "JC",    "Century", "Dict.",
      "1906", "wn1",     "MI11",   "W13(1)", "WE1",     "sense", "1.5",     "1.6"};
  bool named = false;
  std::size_t i = 0;
  while (i < content.size()) {
    while (i < content.size() && (is_space(content[i]) || content[i] == '+')) ++i;
    std::size_t j = i;
    while (j < content.size() && !is_space(content[j]) && content[j] != '+') ++j;
    if (j == i) break;
    const std::string_view token = content.substr(i, j - i);
    const bool digits = std::all_of(token.begin(), token.end(), [](char c) { return is_digit(c); });
    if (std::find(kTokens.begin(), kTokens.end(), token) != kTokens.end()) {
      named = named || !(token == "1913" || token == "1906" || token == "1.5" || token == "1.6");
    } else if (!digits) {
      return false;
    }
    i = j;
  }
  return named;
}

std::string remove_source_markers(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '[') {
      const std::size_t close = s.find(']', i + 1);
      if (close != npos && close - i < 64 && is_source_marker(s.substr(i + 1, close - i - 1))) {
        i = close + 1;
        continue;
      }
    }
    out += s[i++];
  }
  return out;
}

// {Ab"sorb*a*ble} -> Absorbable: braces mark cross-references and derived
// forms; inside them * " ` are syllable and stress marks, not text.
std::string strip_braces(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  int depth = 0;
  for (char c : s) {
    if (c == '{') {
      ++depth;
    } else if (c == '}') {
      if (depth > 0) --depth;
    } else if (depth > 0 && (c == '*' || c == '"' || c == '`')) {
      // stress mark
    } else {
      out += c;
    }
  }
  return out;
}

// Lower-case ASCII key for a field label: "Zo["o]l." / "Zoöl." -> "zool".
std::string fold_field(std::string_view label) {
  std::string decoded = decode_entities(label);
  std::string out;
  for (std::size_t i = 0; i < decoded.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(decoded[i]);
    if (c == 0xC3 && i + 1 < decoded.size()) {  // the Latin-1 letters GCIDE labels use
      const unsigned char d = static_cast<unsigned char>(decoded[i + 1]);
      ++i;
      if (d == 0xB6 || d == 0x96)
        out += 'o';  // ö Ö
      else if (d == 0xA6 || d == 0x86)
        out += "ae";  // æ Æ
      else if (d == 0xAB || d == 0x8B)
        out += 'e';  // ë Ë
      else
        out += '?';
      continue;
    }
    if (c == '.')
      out += ' ';
    else
      out += static_cast<char>(std::tolower(c));
  }
  return collapse_whitespace(out);
}

}  // namespace

bool is_science_field(std::string_view label) {
  // Natural sciences, mathematics, medicine and computing, in the spellings
  // (abbreviated or not) that GCIDE uses. Trades and engineering (Mach.,
  // Mining, Engin.), humanities and social studies are left out.
  // clang-format off
  static constexpr std::string_view kScience[] = {
      "zool", "zoology", "zoogeography", "bot", "botany", "biol", "biology", "cell biology",
      "molecular biology", "microbiology", "microbiol", "bacteriol", "bacteriology", "biochem",
      "biochemistry", "bioch", "genetics", "biogeography", "phytogeog", "phytogeography", "ecol",
      "ecology", "physiol", "physiology", "plant physiol", "old physiol", "anat", "anatomy",
      "human anat", "comparative anat", "paleon", "paleontology", "nat hist", "natural history",
      "immunology", "embryol", "embryology", "histology", "chem", "chemistry", "physiol chem",
      "physiological chem", "phisiol chem", "old chem", "med chem", "org chem", "organic chem",
      "organ chem", "inorganic chem", "chem physics", "chemical physics", "phys chem", "chem phys",
      "bot chem", "min chem", "agric chem", "com chem", "elec chem", "anc chem", "old med chem",
      "metal", "metallurgy", "iron metal", "crystallog", "crystal", "cryst", "crystalloq",
      "crystallography", "toxicology", "pharm", "pharmacy", "pharmacol", "pharmacology", "physics",
      "phys", "elec", "elect", "electricity", "magnetism", "thermodynamics", "thermotics",
      "kinematics", "dynamics", "mech", "mech physics", "mechanics", "opt", "optics", "acoustics",
      "photom", "astrophysics", "physical sciences", "science", "electronics", "astron",
      "astronomy", "ptolemaic astron", "anc astron", "geol", "geology", "min", "mineralogy",
      "meteor", "meteorol", "meteorology", "phys geog", "physical geog", "physical geography",
      "petrography", "geodesy", "math", "mathematics", "geom", "geometry", "alg", "algebra",
      "higher alg", "arith", "arithmetic", "trig", "spherical trig", "descriptive geom",
      "conic sections", "statistics", "theory of numbers", "mensuration", "spherics",
      "spherical projection", "geom of three dimensions", "anal", "calculus", "med", "medicine",
      "surg", "surgery", "pathol", "pathology", "obstetrics", "dentistry", "psychiatry", "veter",
      "vet", "old med", "computers", "computer programming", "computer science", "micros",
      "microscopy"};
  // clang-format on
  const std::string key = fold_field(label);
  return std::find(std::begin(kScience), std::end(kScience), key) != std::end(kScience);
}

namespace {

// "(ȧ*bā"sĭk)" after a derived form is a pronunciation: stress marks and no
// spaces except after ";" or "," between variants.
bool is_pronunciation(std::string_view content) {
  // A quoted word, ("soft"), is not a pronunciation; "k?-v?\"r?-ant" is.
  const bool stress =
      content.find_first_of("*`") != npos || (content.find('"') != npos && content.front() != '"');
  if (!stress) return false;
  for (std::size_t i = 0; i < content.size(); ++i) {
    if (content[i] == ' ' && (i == 0 || (content[i - 1] != ';' && content[i - 1] != ',')))
      return false;
  }
  return true;
}

std::string remove_pronunciations(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\') {  // a \Ab*sorp"tion\ pronunciation
      const std::size_t close = s.find('\\', i + 1);
      if (close != npos) i = close;
      while (!out.empty() && out.back() == ' ') out.pop_back();
      continue;
    }
    if (s[i] == '(') {
      const std::size_t close = s.find(')', i + 1);
      if (close != npos && is_pronunciation(s.substr(i + 1, close - i - 1))) {
        i = close;
        while (!out.empty() && out.back() == ' ') out.pop_back();
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

}  // namespace

std::string clean_gcide_text(std::string_view raw) {
  std::string s = remove_source_markers(raw);
  // Pronunciations carry no meaning for a text model.
  const std::string no_pron = remove_pronunciations(s);
  std::string out = collapse_whitespace(strip_braces(decode_entities(no_pron)));
  // Phrase senses read "{Absolute zero} (Physics), the beginning ...": the
  // separator after the label is not part of the definition.
  std::size_t start = 0;
  while (start < out.size() && (out[start] == ',' || out[start] == ';' || out[start] == ':' ||
                                out[start] == '.' || out[start] == ' '))
    ++start;
  return out.substr(start);
}

namespace {

struct Range {
  std::size_t begin = 0;
  std::size_t end = 0;
};

std::vector<Range> split_paragraphs(std::string_view t) {
  std::vector<Range> paragraphs;
  std::size_t pos = 0;
  bool open = false;
  Range current;
  while (pos < t.size()) {
    std::size_t eol = t.find('\n', pos);
    if (eol == npos) eol = t.size();
    const bool blank = trim(t.substr(pos, eol - pos)).empty();
    if (blank) {
      if (open) paragraphs.push_back(current);
      open = false;
    } else {
      if (!open) current.begin = pos;
      open = true;
      current.end = eol;
    }
    pos = eol + 1;
  }
  if (open) paragraphs.push_back(current);
  return paragraphs;
}

// "Chem. & Physics" -> {"Chem.", "Physics"}; "Metric System, Elec., Mech., etc."
// -> {"Metric System", "Elec.", "Mech."}.
std::vector<std::string_view> split_components(std::string_view content) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  auto push = [&](std::size_t end) {
    const std::string_view part = trim(content.substr(start, end - start));
    if (!part.empty() && part != "etc." && part != "etc") parts.push_back(part);
  };
  for (std::size_t i = 0; i < content.size(); ++i) {
    if (content[i] == '&' || content[i] == ',') {
      push(i);
      start = i + 1;
    } else if (content.substr(i, 5) == " and ") {
      push(i);
      start = i + 5;
      i += 4;
    }
  }
  push(content.size());
  return parts;
}

// A label looks like "Chem.", "Eccl. Hist.", "Zo["o]l.": letters, dots,
// spaces; capitalised unless it is a known science spelled in lower case
// ("(math.)"). This keeps pronunciations like "(lounj)" and asides like
// "(such as that of a bird)" from being read as fields.
bool is_label(std::string_view component) {
  const std::string decoded = decode_entities(component);
  if (decoded.size() < 2 || decoded.size() > 41) return false;
  for (char ch : decoded) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (!(std::isalpha(c) || c == '.' || c == ' ' || c == '\'' || c >= 0x80)) return false;
  }
  const unsigned char first = static_cast<unsigned char>(decoded[0]);
  if (!std::isalpha(first)) return false;
  return std::isupper(first) || is_science_field(component);
}

bool is_field_tag(std::string_view content) {
  const auto parts = split_components(content);
  return !parts.empty() &&
         std::all_of(parts.begin(), parts.end(), [](std::string_view p) { return is_label(p); });
}

// "3." / "(a)" / "3. (a)" before a label.
bool is_sense_number(std::string_view prefix) {
  std::string_view p = trim(prefix);
  if (p.empty()) return false;
  std::size_t i = 0;
  while (i < p.size() && is_digit(p[i])) ++i;
  if (i > 0) {
    if (i >= p.size() || p[i] != '.') return false;
    ++i;
    while (i < p.size() && is_space(p[i])) ++i;
  }
  if (i == p.size()) return true;
  return p.size() - i == 3 && p[i] == '(' && is_lower(p[i + 1]) && p[i + 2] == ')';
}

// "{Absolute zero}" / "{Absolute terms}." / "{A}, or {B}" before a label; sets
// `phrase` to the first braced phrase.
bool is_phrase_prefix(std::string_view prefix, std::string_view& phrase) {
  std::string_view p = trim(prefix);
  bool any = false;
  std::size_t i = 0;
  while (i < p.size()) {
    if (p[i] != '{') return false;
    const std::size_t close = p.find('}', i);
    if (close == npos) return false;
    if (!any) phrase = p.substr(i + 1, close - i - 1);
    any = true;
    i = close + 1;
    if (i < p.size() && (p[i] == '.' || p[i] == ',' || p[i] == ';' || p[i] == ':')) ++i;
    while (i < p.size() && is_space(p[i])) ++i;
    if (p.substr(i, 3) == "or ") i += 3;
    while (i < p.size() && is_space(p[i])) ++i;
  }
  return any;
}

// "n.", "v. t.", "adv." (one word at a time), or WordNet's bare "n"/"adj":
// the position after the word, or npos when `i` does not start one.
std::size_t part_of_speech_end(std::string_view t, std::size_t i, std::size_t n) {
  std::size_t j = i;
  while (j < n && is_lower(t[j])) ++j;
  if (j == i) return npos;
  const std::string_view word = t.substr(i, j - i);
  const bool dotted = j < n && t[j] == '.' && word.size() <= 8;
  const bool bare = word == "n" || word == "adj" || word == "adv" || word == "v";
  if (!dotted && !bare) return npos;
  const std::size_t end = dotted ? j + 1 : j;
  if (end < n && !is_space(t[end]) && t[end] != ',' && t[end] != ';') return npos;
  return end;
}

// Position just past the entry header (headwords, \pronunciations\, part of
// speech, [etymology], {plural forms}) in the first paragraph, or npos. A
// field label found exactly there applies to the entry's first sense.
std::size_t header_end(std::string_view t, Range para) {
  std::size_t i = t.find('\\', para.begin);
  if (i == npos || i >= para.end) return npos;
  const std::size_t n = para.end;
  while (i < n) {
    const char c = t[i];
    if (is_space(c) || c == ',' || c == ';' || c == ':' || c == '.' || c == '&') {
      ++i;
    } else if (c == '\\') {
      const std::size_t close = t.find('\\', i + 1);
      if (close == npos || close >= n) return i;
      i = close + 1;
    } else if (c == '[') {
      int depth = 0;
      std::size_t j = i;
      for (; j < n; ++j) {
        if (t[j] == '[') ++depth;
        if (t[j] == ']' && --depth == 0) break;
      }
      if (j >= n) return i;
      i = j + 1;
    } else if (c == '{') {
      const std::size_t close = t.find('}', i);
      if (close == npos || close >= n) return i;
      i = close + 1;
    } else if (c == '(') {
      const std::size_t close = t.find(')', i);
      if (close == npos || close >= n) return i;
      if (is_field_tag(t.substr(i + 1, close - i - 1))) return i;
      i = close + 1;  // a pronunciation like (lounj)
    } else if (const std::size_t pos_end = part_of_speech_end(t, i, n); pos_end != npos) {
      i = pos_end;
    } else {
      // Another headword before its own pronunciation: "..., Aaronical \Aa*ron"ic*al\".
      std::size_t j = i;
      int words = 0;
      while (words < 5) {
        while (j < n && !is_space(t[j]) && t[j] != '\\' && t[j] != ',' && t[j] != '[' &&
               t[j] != '(' && t[j] != '{')
          ++j;
        ++words;
        std::size_t k = j;
        while (k < n && is_space(t[k])) ++k;
        if (k < n && t[k] == '\\') {
          j = k;
          break;
        }
        if (k >= n || k == j || t[j] != ' ' || t.substr(j, k - j).find('\n') != npos) return i;
        j = k;
      }
      if (j >= n || t[j] != '\\') return i;
      i = j;
    }
  }
  return i;
}

enum class TagKind { kHeader, kLine, kNumber, kPhrase };

struct Tag {
  std::size_t paragraph = 0;
  std::size_t begin = 0;  // '('
  std::size_t end = 0;    // past ')'
  std::size_t line_start = 0;
  TagKind kind = TagKind::kLine;
  std::string_view content;
  std::string_view phrase;
};

// Lines that end the sense before them: a new numbered sense, Syn:/Note:/
// Usage: blocks, and source markers (which close every Webster paragraph).
bool is_boundary_line(std::string_view line) {
  const std::string_view l = trim(line);
  if (l.empty()) return false;
  std::size_t i = 0;
  while (i < l.size() && is_digit(l[i])) ++i;
  if (i > 0 && i + 1 < l.size() && l[i] == '.' && is_space(l[i + 1])) return true;
  if (l.starts_with("Syn:") || l.starts_with("Syn.") || l.starts_with("Note:") ||
      l.starts_with("Usage:"))
    return true;
  if (l[0] == '[') {
    const std::size_t close = l.find(']');
    if (close != npos && is_source_marker(l.substr(1, close - 1))) return true;
  }
  return false;
}

std::string entry_headword(std::string_view t, const DictdEntry& entry) {
  const std::size_t eol = std::min(t.find('\n'), t.size());
  const std::size_t slash = t.substr(0, eol).find('\\');
  std::string_view head = slash == npos ? std::string_view() : trim(t.substr(0, slash));
  if (!head.empty() && head.back() == ',') head = trim(head.substr(0, head.size() - 1));
  if (head.empty()) {
    if (entry.headwords.empty()) return {};
    return to_utf8(entry.headwords.front());
  }
  return collapse_whitespace(strip_braces(decode_entities(head)));
}

// The dictd conversion often left the next entry's headword at the end of an
// entry ("... Same as {Dextrose}. Diablerie"): drop it when it is there.
void strip_next_headword(std::string& t, std::string_view next_entry) {
  const std::size_t eol = std::min(next_entry.find('\n'), next_entry.size());
  const std::size_t slash = next_entry.substr(0, eol).find('\\');
  if (slash == npos) return;
  const std::string_view next = trim(next_entry.substr(0, slash));
  if (next.empty()) return;
  std::size_t end = t.size();
  while (end > 0 && is_space(t[end - 1])) --end;
  if (end > next.size() && std::string_view(t).substr(end - next.size(), next.size()) == next &&
      (t[end - next.size() - 1] == ' ' || t[end - next.size() - 1] == '\n'))
    t.erase(end - next.size());
}

// The dictd conversion sometimes lost the blank line between two entries,
// leaving "[1913 Webster] Amperemeter\nAmperemeter \Am`p[`e]re"me`ter\, ..."
// in one dictd entry: a headword line right after a source marker starts a
// new entry.
std::vector<std::string> split_glued_entries(const std::string& t) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  bool after_marker = false;
  for (std::size_t line = 0; line < t.size();) {
    std::size_t eol = t.find('\n', line);
    if (eol == npos) eol = t.size();
    const std::string_view text = std::string_view(t).substr(line, eol - line);
    if (after_marker && line > start && !text.empty() && !is_space(text[0]) &&
        text.find('\\') != npos) {
      parts.push_back(t.substr(start, line - start));
      start = line;
    }
    const std::string_view trimmed = trim(text);
    after_marker = false;
    if (!trimmed.empty() && trimmed[0] == '[') {
      const std::size_t close = trimmed.find(']');
      after_marker = close != npos && is_source_marker(trimmed.substr(1, close - 1));
    }
    line = eol + 1;
  }
  parts.push_back(t.substr(start));
  return parts;
}

struct Sense {
  std::size_t position = 0;
  std::string headword;
  std::string_view fields;  // the label's text, e.g. "Chem. & Physics"
  std::string text;
};

// Field labels in sense-start positions, all fields (a non-science sense
// still ends the science sense before it), plus per paragraph the line starts
// that end a sense.
struct Layout {
  std::vector<Range> paragraphs;
  std::vector<Tag> tags;
  std::vector<std::vector<std::size_t>> boundaries;  // per paragraph, sorted
};

Layout find_layout(std::string_view t) {
  Layout layout;
  layout.paragraphs = split_paragraphs(t);
  if (layout.paragraphs.empty()) return layout;
  const std::size_t header = header_end(t, layout.paragraphs.front());
  layout.boundaries.resize(layout.paragraphs.size());
  for (std::size_t p = 0; p < layout.paragraphs.size(); ++p) {
    const Range para = layout.paragraphs[p];
    std::vector<std::size_t>& boundaries = layout.boundaries[p];
    for (std::size_t line = para.begin; line < para.end;) {
      const std::size_t eol = std::min(t.find('\n', line), para.end);
      if (line > para.begin && is_boundary_line(t.substr(line, eol - line)))
        boundaries.push_back(line);
      line = eol + 1;
    }
    for (std::size_t i = t.find('(', para.begin); i < para.end; i = t.find('(', i + 1)) {
      const std::size_t close = t.find_first_of("()\n", i + 1);
      if (close == npos || close >= para.end || t[close] != ')' || close - i > 81) continue;
      const std::string_view content = t.substr(i + 1, close - i - 1);
      if (!is_field_tag(content)) continue;
      Tag tag;
      tag.paragraph = p;
      tag.begin = i;
      tag.end = close + 1;
      const std::size_t nl = t.rfind('\n', i);
      tag.line_start = nl == npos || nl < para.begin ? para.begin : nl + 1;
      tag.content = content;
      const std::string_view prefix = t.substr(tag.line_start, i - tag.line_start);
      if (i == header) {
        tag.kind = TagKind::kHeader;
      } else if (trim(prefix).empty()) {
        tag.kind = TagKind::kLine;
      } else if (is_sense_number(prefix)) {
        tag.kind = TagKind::kNumber;
      } else if (is_phrase_prefix(prefix, tag.phrase)) {
        tag.kind = TagKind::kPhrase;
      } else {
        continue;  // a parenthesis in running text
      }
      // "{Right angle}.\n (a) ...\n (b) (Spherics) ...": a sub-sense of a
      // phrase paragraph defines the phrase, not the entry headword.
      if (p > 0 && tag.phrase.empty()) {
        const std::string_view whole = trim(t.substr(para.begin, para.end - para.begin));
        const std::size_t brace = whole.find('}');
        if (whole.starts_with('{') && brace != npos &&
            static_cast<std::size_t>(whole.data() - t.data()) + brace < tag.begin)
          tag.phrase = whole.substr(1, brace - 1);
      }
      if (tag.kind != TagKind::kHeader && tag.line_start > para.begin)
        boundaries.push_back(tag.line_start);
      layout.tags.push_back(tag);
    }
    std::sort(boundaries.begin(), boundaries.end());
  }
  return layout;
}

// The science senses of one GCIDE entry, in text order.
std::vector<Sense> extract_senses(std::string_view t, const std::string& headword) {
  const Layout layout = find_layout(t);
  std::vector<Sense> senses;
  if (layout.paragraphs.empty()) return senses;
  auto sense_end = [&](std::size_t p, std::size_t from) {
    for (std::size_t b : layout.boundaries[p])
      if (b > from) return b;
    return layout.paragraphs[p].end;
  };

  // One sense per science label, running to the next boundary.
  const Tag* entry_default = nullptr;  // "(Zool.)" after the header, senses numbered below
  for (const Tag& tag : layout.tags) {
    const auto parts = split_components(tag.content);
    if (std::none_of(parts.begin(), parts.end(),
                     [](std::string_view c) { return is_science_field(c); }))
      continue;
    const std::string_view raw = t.substr(tag.end, sense_end(tag.paragraph, tag.end) - tag.end);
    std::string clean = clean_gcide_text(raw);
    if (clean.empty()) {
      if (tag.kind == TagKind::kHeader) entry_default = &tag;
      continue;
    }
    if (text::is_redirect(raw)) continue;  // "See {Mole}."
    const std::string sense_headword =
        tag.phrase.empty() ? headword
                           : collapse_whitespace(strip_braces(decode_entities(tag.phrase)));
    senses.push_back({tag.begin, sense_headword, tag.content, std::move(clean)});
  }
  if (entry_default == nullptr) return senses;

  // A header label followed directly by numbered senses covers those of them
  // that carry no label of their own.
  for (std::size_t p = 0; p < layout.paragraphs.size(); ++p) {
    for (std::size_t line = layout.paragraphs[p].begin; line < layout.paragraphs[p].end;) {
      const std::size_t eol = std::min(t.find('\n', line), layout.paragraphs[p].end);
      std::size_t i = line;
      while (i < eol && is_space(t[i])) ++i;
      std::size_t j = i;
      while (j < eol && is_digit(t[j])) ++j;
      const bool numbered = j > i && j + 1 < eol && t[j] == '.' && is_space(t[j + 1]);
      const bool labelled = std::any_of(
          layout.tags.begin(), layout.tags.end(),
          [&](const Tag& tag) { return tag.kind == TagKind::kNumber && tag.line_start == line; });
      if (numbered && !labelled) {
        const std::size_t from = j + 1;
        const std::string_view raw = t.substr(from, sense_end(p, from) - from);
        std::string clean = clean_gcide_text(raw);
        if (!clean.empty() && !text::is_redirect(raw))
          senses.push_back({from, headword, entry_default->content, std::move(clean)});
      }
      line = eol + 1;
    }
  }
  std::sort(senses.begin(), senses.end(),
            [](const Sense& a, const Sense& b) { return a.position < b.position; });
  return senses;
}

}  // namespace

std::uint64_t convert_gcide(const DictdFile& db, const CorpusDocumentSink& sink) {
  std::uint64_t documents = 0;
  const std::vector<DictdEntry>& entries = db.entries();
  for (std::size_t e = 0; e < entries.size(); ++e) {
    const DictdEntry& entry = entries[e];
    if (!entry.headwords.empty() && is_dictd_meta_headword(entry.headwords.front())) continue;
    std::string whole = to_utf8(entry.text);
    if (e + 1 < entries.size()) strip_next_headword(whole, entries[e + 1].text);
    for (const std::string& t : split_glued_entries(whole)) {
      for (const Sense& sense : extract_senses(t, entry_headword(t, entry))) {
        nlohmann::ordered_json fields = nlohmann::ordered_json::array();
        std::string label;
        for (std::string_view part : split_components(sense.fields)) {
          std::string field = text::capitalize_first(decode_entities(part));
          if (!label.empty()) label += " & ";
          label += field;
          fields.push_back(std::move(field));
        }
        nlohmann::ordered_json doc;
        doc["id"] = "gcide:" + std::to_string(++documents);
        doc["source"] = "gcide";
        doc["headword"] = sense.headword;
        doc["fields"] = std::move(fields);
        doc["text"] = sense.headword + " (" + label + "): " + sense.text;
        sink(std::move(doc));
      }
    }
  }
  return documents;
}

}  // namespace borealis::curate
