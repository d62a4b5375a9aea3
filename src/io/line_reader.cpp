#include "borealis/io/line_reader.h"

#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstdio>
#include <vector>

#include "borealis/util/error.h"

namespace borealis::io {

namespace {
constexpr std::size_t kChunk = 1 << 20;
}

// One decompressing byte source per format.
struct LineReader::Source {
  virtual ~Source() = default;
  // Appends up to kChunk bytes; returns false at a clean end of stream.
  virtual bool read(std::string& out) = 0;
  std::uint64_t consumed = 0;
};

namespace {

struct PlainSource : LineReader::Source {
  std::FILE* f;
  std::string path;
  explicit PlainSource(const std::string& p) : f(std::fopen(p.c_str(), "rb")), path(p) {
    if (f == nullptr) throw_system_error(p, "cannot open", errno);
  }
  ~PlainSource() override { std::fclose(f); }
  bool read(std::string& out) override {
    char buf[kChunk / 4];
    const std::size_t n = std::fread(buf, 1, sizeof buf, f);
    if (n == 0 && std::ferror(f)) throw_system_error(path, "read failed", errno);
    out.append(buf, n);
    consumed += n;
    return n > 0;
  }
};

struct GzipSource : LineReader::Source {
  gzFile f;
  std::string path;
  explicit GzipSource(const std::string& p) : f(gzopen(p.c_str(), "rb")), path(p) {
    if (f == nullptr) throw_system_error(p, "cannot open", errno);
    gzbuffer(f, 1 << 18);
  }
  ~GzipSource() override { gzclose(f); }
  bool read(std::string& out) override {
    std::vector<char> buf(kChunk / 4);
    const int n = gzread(f, buf.data(), static_cast<unsigned>(buf.size()));
    int err = Z_OK;
    const char* msg = gzerror(f, &err);
    // zlib reports a stream cut short as Z_BUF_ERROR ("unexpected end of file").
    if (n < 0 || (err != Z_OK && err != Z_STREAM_END))
      throw_file_error(path, "corrupt or truncated gzip data: {}", msg);
    out.append(buf.data(), static_cast<std::size_t>(n));
    consumed = static_cast<std::uint64_t>(gzoffset(f));
    return n > 0;
  }
};

struct ZstdSource : LineReader::Source {
  std::FILE* f;
  std::string path;
  ZSTD_DStream* stream = ZSTD_createDStream();
  std::vector<char> in_buf = std::vector<char>(ZSTD_DStreamInSize());
  ZSTD_inBuffer in{in_buf.data(), 0, 0};
  std::vector<char> out_buf = std::vector<char>(ZSTD_DStreamOutSize());
  std::size_t last_ret = 0;  // 0 when the last frame ended exactly
  explicit ZstdSource(const std::string& p) : f(std::fopen(p.c_str(), "rb")), path(p) {
    if (f == nullptr) throw_system_error(p, "cannot open", errno);
    ZSTD_initDStream(stream);
  }
  ~ZstdSource() override {
    ZSTD_freeDStream(stream);
    std::fclose(f);
  }
  bool read(std::string& out) override {
    while (true) {
      if (in.pos == in.size) {
        in.size = std::fread(in_buf.data(), 1, in_buf.size(), f);
        in.pos = 0;
        consumed += in.size;
        if (in.size == 0) {
          if (std::ferror(f)) throw_system_error(path, "read failed", errno);
          if (last_ret != 0) throw_file_error(path, "truncated zstd data (the last frame is incomplete)");
          return false;
        }
      }
      ZSTD_outBuffer o{out_buf.data(), out_buf.size(), 0};
      last_ret = ZSTD_decompressStream(stream, &o, &in);
      if (ZSTD_isError(last_ret))
        throw_file_error(path, "corrupt zstd data: {}", ZSTD_getErrorName(last_ret));
      if (o.pos > 0) {
        out.append(out_buf.data(), o.pos);
        return true;
      }
    }
  }
};

}  // namespace

LineReader::LineReader(std::string path) : path_(std::move(path)) {
  if (path_.ends_with(".gz")) {
    source_ = std::make_unique<GzipSource>(path_);
  } else if (path_.ends_with(".zst")) {
    source_ = std::make_unique<ZstdSource>(path_);
  } else {
    source_ = std::make_unique<PlainSource>(path_);
  }
}

LineReader::~LineReader() = default;

std::uint64_t LineReader::bytes_read() const { return source_->consumed; }

bool LineReader::fill() {
  if (eof_) return false;
  if (pos_ > 0) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  if (!source_->read(buffer_)) eof_ = true;
  return !eof_;
}

bool LineReader::next(std::string& line) {
  std::size_t searched = pos_;
  while (true) {
    const std::size_t nl = buffer_.find('\n', searched);
    if (nl != std::string::npos) {
      line.assign(buffer_, pos_, nl - pos_);
      pos_ = nl + 1;
      break;
    }
    const std::size_t had = buffer_.size() - pos_;
    if (!fill()) {
      if (pos_ >= buffer_.size()) return false;
      line.assign(buffer_, pos_, std::string::npos);  // last line without '\n'
      pos_ = buffer_.size();
      break;
    }
    searched = had;  // after fill() the unread part starts at 0
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  ++line_number_;
  return true;
}

}  // namespace borealis::io
