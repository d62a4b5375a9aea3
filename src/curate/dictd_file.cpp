#include "borealis/curate/dictd_file.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <unordered_map>
#include <utility>

#include "borealis/io/read_file.h"
#include "borealis/util/error.h"

namespace borealis::curate {
namespace {

int base64_digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}


// Inflates a whole gzip/dictzip file. dictzip is an ordinary gzip stream with a
// random-access table in the header's extra field, which zlib skips; we read
// everything because the corpora want every entry anyway.
std::string read_gzip_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_system_error(path, "cannot open", errno);
  gzFile gz = ::gzdopen(fd, "rb");
  if (gz == nullptr) {
    ::close(fd);
    throw_file_error(path, "cannot start gzip decoder");
  }
  ::gzbuffer(gz, 1 << 17);
  std::string data;
  std::vector<char> buffer(1 << 20);
  for (;;) {
    const int n = ::gzread(gz, buffer.data(), static_cast<unsigned>(buffer.size()));
    if (n > 0) {
      data.append(buffer.data(), static_cast<std::size_t>(n));
      continue;
    }
    int errnum = Z_OK;
    const char* message = ::gzerror(gz, &errnum);
    // gzread reports a stream cut short as a short read plus Z_BUF_ERROR, and
    // bad data as -1 plus Z_DATA_ERROR; both mean the file cannot be trusted.
    if (n < 0 || (errnum != Z_OK && errnum != Z_STREAM_END)) {
      std::string what = message != nullptr ? message : "unknown zlib error";
      // zlib prefixes its messages with the stream name, "<fd:3>: ".
      if (what.starts_with("<fd:")) {
        if (const std::size_t colon = what.find(": "); colon != std::string::npos)
          what.erase(0, colon + 2);
      }
      ::gzclose(gz);
      throw_file_error(path, "truncated or corrupt gzip data ({}) after {} bytes", what,
                       data.size());
    }
    break;
  }
  // zlib passes non-gzip input through unchanged; a .dz that is not gzip is an error.
  const bool direct = ::gzdirect(gz) != 0;
  ::gzclose(gz);
  if (direct) throw_file_error(path, "not a gzip/dictzip file");
  return data;
}

}  // namespace

std::optional<std::uint64_t> decode_dictd_number(std::string_view digits) {
  if (digits.empty()) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : digits) {
    const int d = base64_digit(c);
    if (d < 0) return std::nullopt;
    if (value > (std::numeric_limits<std::uint64_t>::max() >> 6)) return std::nullopt;
    value = (value << 6) | static_cast<std::uint64_t>(d);
  }
  return value;
}

bool is_dictd_meta_headword(std::string_view headword) {
  return headword.starts_with("00-database") || headword.starts_with("00database");
}

DictdFile DictdFile::open(const std::string& dir, const std::string& name) {
  const std::filesystem::path base = std::filesystem::path(dir) / name;
  std::string dict = base.string() + ".dict.dz";
  std::error_code ec;
  if (!std::filesystem::exists(dict, ec)) {
    std::string plain = base.string() + ".dict";
    // Only fall back when the plain file is really there, so the error for a
    // missing database names the .dict.dz the packages install.
    if (std::filesystem::exists(plain, ec)) dict = std::move(plain);
  }
  return DictdFile(base.string() + ".index", std::move(dict));
}

DictdFile::DictdFile(std::string index_path, std::string dict_path)
    : index_path_(std::move(index_path)), dict_path_(std::move(dict_path)) {
  const std::string index = io::read_file(index_path_);
  const std::string dict =
      dict_path_.ends_with(".dz") ? read_gzip_file(dict_path_) : io::read_file(dict_path_);
  dict_bytes_ = dict.size();

  std::unordered_map<std::uint64_t, std::size_t> by_offset;
  std::size_t pos = 0;
  std::uint64_t line_number = 0;
  while (pos < index.size()) {
    std::size_t end = index.find('\n', pos);
    if (end == std::string::npos) end = index.size();
    std::string_view line(index.data() + pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;

    std::string_view fields[4];
    std::size_t count = 0;
    std::size_t start = 0;
    while (count < 4) {
      const std::size_t tab = line.find('\t', start);
      fields[count++] = line.substr(start, tab == std::string_view::npos ? tab : tab - start);
      if (tab == std::string_view::npos) break;
      start = tab + 1;
    }
    if (count < 3) {
      throw_file_error(index_path_, "line {}: expected 'headword<TAB>offset<TAB>length'",
                       line_number);
    }
    const auto offset = decode_dictd_number(fields[1]);
    if (!offset) throw_file_error(index_path_, "line {}: bad offset '{}'", line_number, fields[1]);
    const auto length = decode_dictd_number(fields[2]);
    if (!length) throw_file_error(index_path_, "line {}: bad length '{}'", line_number, fields[2]);
    if (*offset > dict.size() || *length > dict.size() - *offset) {
      throw_file_error(index_path_,
                       "line {}: entry at offset {} length {} runs past the end of {} ({} bytes)",
                       line_number, *offset, *length, dict_path_, dict.size());
    }
    // dictfmt --index-keep-orig adds the headword as written in a 4th column.
    const std::string_view headword = count == 4 && !fields[3].empty() ? fields[3] : fields[0];

    auto [it, inserted] = by_offset.try_emplace(*offset, entries_.size());
    if (inserted) {
      DictdEntry entry;
      entry.offset = *offset;
      entry.length = *length;
      entries_.push_back(std::move(entry));
    }
    DictdEntry& entry = entries_[it->second];
    // Two lengths for one offset should not happen; keep the longer so no text is lost.
    entry.length = std::max(entry.length, *length);
    entry.headwords.emplace_back(headword);
  }
  index_lines_ = line_number;

  std::sort(entries_.begin(), entries_.end(),
            [](const DictdEntry& a, const DictdEntry& b) { return a.offset < b.offset; });
  for (DictdEntry& entry : entries_) entry.text = dict.substr(entry.offset, entry.length);
}

}  // namespace borealis::curate
