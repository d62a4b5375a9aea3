#include "borealis/curate/default_corpus.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "borealis/io/atomic_output_file.h"
#include "borealis/util/error.h"
#include "borealis/util/utf8.h"
#include "corpus_text.h"

namespace borealis::curate {

namespace text {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string collapse_whitespace(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool pending_space = false;
  for (char c : s) {
    if (is_space(c)) {
      pending_space = !out.empty();
    } else {
      if (pending_space) out += ' ';
      pending_space = false;
      out += c;
    }
  }
  return out;
}


std::string capitalize_first(std::string_view s) {
  std::string out(s);
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

bool is_redirect(std::string_view raw) {
  bool link = false;
  std::string rest;
  int depth = 0;
  for (char c : raw) {
    if (c == '{') {
      ++depth;
      link = true;
    } else if (c == '}') {
      if (depth > 0) --depth;
    } else if (depth == 0) {
      rest += c;
    }
  }
  if (!link) return false;
  std::size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && !std::isalnum(static_cast<unsigned char>(rest[i]))) ++i;
    std::size_t j = i;
    while (j < rest.size() && std::isalnum(static_cast<unsigned char>(rest[j]))) ++j;
    if (j == i) break;
    const std::string_view word = std::string_view(rest).substr(i, j - i);
    const bool number = std::all_of(word.begin(), word.end(), [](char c) {
      return std::isdigit(static_cast<unsigned char>(c)) != 0;
    });
    if (!number && word != "See" && word != "see" && word != "also" && word != "Also" &&
        word != "under")
      return false;
    i = j;
  }
  return true;
}

std::string end_sentence(std::string_view s) {
  std::string out(trim(s));
  if (!out.empty() && out.back() != '.' && out.back() != '!' && out.back() != '?') out += '.';
  return out;
}

}  // namespace text

namespace {

// Windows-1252 for 0x80-0x9F; the rest of the upper half is Latin-1.
constexpr std::array<char32_t, 32> kCp1252High = {
    0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};

// Length of the valid UTF-8 sequence starting at s[i], or 0.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  std::size_t len;
  char32_t min;
  char32_t cp;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) {
    len = 2, min = 0x80, cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, min = 0x800, cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, min = 0x10000, cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const unsigned char d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (d & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

}  // namespace

std::string to_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  std::size_t i = 0;
  while (i < bytes.size()) {
    const std::size_t len = utf8_sequence_length(bytes, i);
    if (len > 0) {
      out.append(bytes.substr(i, len));
      i += len;
      continue;
    }
    // Mostly-ASCII sources (GCIDE) carry the odd Windows-1252 byte.
    const unsigned char c = static_cast<unsigned char>(bytes[i++]);
    util::append_utf8(out, c < 0xA0 ? kCp1252High[c - 0x80] : static_cast<char32_t>(c));
  }
  return out;
}

namespace {

constexpr int kManifestVersion = 1;  // bump when any converter's output changes

struct InputFile {
  std::string path;
  std::string package;  // the Debian package that installs it
};

std::vector<InputFile> input_files(const DefaultCorpusInputs& inputs) {
  const std::filesystem::path dir(inputs.dictd_dir);
  std::vector<InputFile> files;
  for (const auto& [name, package] :
       {std::pair{"gcide", "dict-gcide"}, std::pair{"elements", "dict-elements"},
        std::pair{"foldoc", "dict-foldoc"}}) {
    files.push_back({(dir / (std::string(name) + ".index")).string(), package});
    std::string dict = (dir / (std::string(name) + ".dict.dz")).string();
    const std::string plain = (dir / (std::string(name) + ".dict")).string();
    std::error_code ec;
    if (!std::filesystem::exists(dict, ec) && std::filesystem::exists(plain, ec)) dict = plain;
    files.push_back({dict, package});
  }
  files.push_back({inputs.units_file, "units"});
  return files;
}

// Fails early, before any output is touched, with the package to install.
void check_inputs(const std::vector<InputFile>& files) {
  for (const InputFile& file : files) {
    // A FIFO would block fopen forever; only regular files are inputs.
    std::error_code exists_ec;
    if (std::filesystem::exists(file.path, exists_ec) &&
        !std::filesystem::is_regular_file(file.path, exists_ec))
      throw Error(fmt::format("{}: not a regular file", file.path));
    std::FILE* f = std::fopen(file.path.c_str(), "rb");
    if (f == nullptr) {
      const int err = errno;
      throw Error(fmt::format("{}: cannot open: {} (install the Debian package {})", file.path,
                              std::strerror(err), file.package));
    }
    std::fclose(f);
  }
}

std::optional<std::uint64_t> file_size(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return std::nullopt;
  return size;
}

constexpr std::array<std::string_view, 4> kCorpora = {"gcide", "elements", "foldoc", "codata"};

// The previous run's summary if manifest.json describes exactly these inputs
// and every output still has its recorded size; otherwise nullopt (rebuild).
std::optional<DefaultCorpusSummary> reusable_summary(const std::filesystem::path& out,
                                                     const std::vector<InputFile>& inputs) {
  std::ifstream in(out / "manifest.json", std::ios::binary);
  if (!in) return std::nullopt;
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  const nlohmann::json manifest = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  try {
    if (!manifest.is_object() || manifest.value("version", 0) != kManifestVersion)
      return std::nullopt;
    const auto& recorded_inputs = manifest.at("inputs");
    if (!recorded_inputs.is_array() || recorded_inputs.size() != inputs.size()) return std::nullopt;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (recorded_inputs[i].at("path").get<std::string>() != inputs[i].path) return std::nullopt;
      // An upgraded package (different size) means different data: rebuild.
      // A missing input does not block reuse: the outputs are still what it made.
      const auto size = file_size(inputs[i].path);
      if (size && *size != recorded_inputs[i].at("bytes").get<std::uint64_t>()) return std::nullopt;
    }
    const auto& corpora = manifest.at("corpora");
    if (!corpora.is_array() || corpora.size() != kCorpora.size()) return std::nullopt;
    DefaultCorpusSummary summary;
    for (std::size_t i = 0; i < kCorpora.size(); ++i) {
      const auto& c = corpora[i];
      CorpusFileSummary s;
      s.name = c.at("name").get<std::string>();
      if (s.name != kCorpora[i]) return std::nullopt;
      s.path = (out / c.at("file").get<std::string>()).string();
      s.documents = c.at("documents").get<std::uint64_t>();
      s.bytes = c.at("bytes").get<std::uint64_t>();
      s.file_bytes = c.at("file_bytes").get<std::uint64_t>();
      s.reused = true;
      if (file_size(s.path) != s.file_bytes) return std::nullopt;
      summary.corpora.push_back(std::move(s));
    }
    return summary;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;  // a manifest we cannot read is as good as none
  }
}

// Streams one converter's documents into OUT/<name>.jsonl.
template <typename Convert>
CorpusFileSummary write_corpus(
    const std::filesystem::path& out, std::string_view name, Convert&& convert,
    const std::function<void(const std::string&, std::uint64_t)>& progress) {
  CorpusFileSummary summary;
  summary.name = std::string(name);
  summary.path = (out / (summary.name + ".jsonl")).string();
  io::AtomicOutputFile file(summary.path);
  std::string line;
  convert([&](nlohmann::ordered_json&& doc) {
    if (const auto it = doc.find("text"); it != doc.end() && it->is_string())
      summary.bytes += it->get_ref<const std::string&>().size();
    line = doc.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    line += '\n';
    file.write(line);
    ++summary.documents;
    if (progress && summary.documents % 1000 == 0) progress(summary.name, summary.documents);
  });
  file.commit();
  summary.file_bytes = file.size();
  if (progress) progress(summary.name, summary.documents);
  return summary;
}

}  // namespace

DefaultCorpusSummary build_default_corpus(
    const std::string& out_dir, const DefaultCorpusInputs& inputs, bool force,
    const std::function<void(const std::string&, std::uint64_t)>& progress) {
  const std::filesystem::path out(out_dir);
  const std::vector<InputFile> files = input_files(inputs);

  if (!force) {
    if (auto summary = reusable_summary(out, files)) {
      if (progress)
        for (const auto& c : summary->corpora) progress(c.name, c.documents);
      return *summary;
    }
  }
  check_inputs(files);

  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) throw_file_error(out_dir, "cannot create directory: {}", ec.message());
  // Drop the old manifest first: if this run dies half-way, the next one must
  // not trust a manifest that describes files we have started to replace.
  std::filesystem::remove(out / "manifest.json", ec);

  DefaultCorpusSummary summary;
  const std::string dictd_dir = inputs.dictd_dir;
  summary.corpora.push_back(write_corpus(
      out, "gcide",
      [&](const CorpusDocumentSink& sink) {
        convert_gcide(DictdFile::open(dictd_dir, "gcide"), sink);
      },
      progress));
  summary.corpora.push_back(write_corpus(
      out, "elements",
      [&](const CorpusDocumentSink& sink) {
        convert_elements(DictdFile::open(dictd_dir, "elements"), sink);
      },
      progress));
  summary.corpora.push_back(write_corpus(
      out, "foldoc",
      [&](const CorpusDocumentSink& sink) {
        convert_foldoc(DictdFile::open(dictd_dir, "foldoc"), sink);
      },
      progress));
  summary.corpora.push_back(write_corpus(
      out, "codata",
      [&](const CorpusDocumentSink& sink) { convert_codata(inputs.units_file, sink); }, progress));

  nlohmann::ordered_json manifest;
  manifest["format"] = "borealis-default-corpus";
  manifest["version"] = kManifestVersion;
  manifest["inputs"] = nlohmann::ordered_json::array();
  for (const InputFile& file : files) {
    manifest["inputs"].push_back({{"path", file.path},
                                  {"package", file.package},
                                  {"bytes", file_size(file.path).value_or(0)}});
  }
  manifest["corpora"] = nlohmann::ordered_json::array();
  for (const CorpusFileSummary& c : summary.corpora) {
    manifest["corpora"].push_back({{"name", c.name},
                                   {"file", c.name + ".jsonl"},
                                   {"documents", c.documents},
                                   {"bytes", c.bytes},
                                   {"file_bytes", c.file_bytes}});
  }
  io::write_file_atomically(
      (out / "manifest.json").string(),
      manifest.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n");
  return summary;
}

}  // namespace borealis::curate
