#pragma once
// Reads text lines from .jsonl, .jsonl.gz or .jsonl.zst files (chosen by
// extension), decompressing as it streams. A truncated or corrupt compressed
// file is an error naming the file, never a silently short read.

#include <cstdint>
#include <memory>
#include <string>

namespace borealis::io {

class LineReader {
 public:
  explicit LineReader(std::string path);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Next line without its '\n' (and '\r'); false at the end of the file.
  bool next(std::string& line);
  std::uint64_t line_number() const { return line_number_; }
  // Compressed bytes consumed so far (for progress).
  std::uint64_t bytes_read() const;
  const std::string& path() const { return path_; }

  struct Source;  // one decompressing byte source per format (line_reader.cpp)

 private:
  bool fill();

  std::string path_;
  std::unique_ptr<Source> source_;
  std::string buffer_;
  std::size_t pos_ = 0;
  bool eof_ = false;
  std::uint64_t line_number_ = 0;
};

}  // namespace borealis::io
