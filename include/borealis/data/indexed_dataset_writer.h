#pragma once
// Streaming writer for Megatron MMIDIDX datasets. Tokens stream into
// PREFIX.bin (through a temporary name); lengths and document boundaries are
// kept in memory (12 bytes per sequence, as Megatron does) and written as
// PREFIX.idx by finish(). Until finish() returns, neither final name holds a
// new file: a crash leaves at most temporaries that no reader will open.

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "borealis/data/dtype.h"
#include "borealis/io/atomic_output_file.h"
#include "borealis/util/error.h"

namespace borealis::data {

class IndexedDatasetWriter {
 public:
  IndexedDatasetWriter(std::string prefix, DType dtype, bool with_sequence_modes = false);
  ~IndexedDatasetWriter();
  IndexedDatasetWriter(const IndexedDatasetWriter&) = delete;
  IndexedDatasetWriter& operator=(const IndexedDatasetWriter&) = delete;

  // Appends one sequence. Tokens of another integer type are converted, and a
  // token that does not fit the dataset's dtype is an error (never truncated).
  template <typename T>
  void add_sequence(std::span<const T> tokens, std::int8_t mode = 0);
  // Closes the current document: every sequence since the previous call.
  void end_document();
  // One sequence that is one document (the common case for GPT data).
  template <typename T>
  void add_document(std::span<const T> tokens) {
    add_sequence(tokens);
    end_document();
  }
  // Writes the .idx and moves both files into place. Sequences added after
  // the last end_document() form a final document.
  void finish();

  std::uint64_t sequence_count() const { return lengths_.size(); }
  std::uint64_t document_count() const { return documents_.size() - 1; }
  std::uint64_t token_count() const { return bin_.size() / item_size_; }
  DType dtype() const { return dtype_; }
  const std::string& prefix() const { return prefix_; }

 private:
  void check_length(std::uint64_t length) const;
  void push_length(std::uint64_t length, std::int8_t mode);
  template <typename Out, typename In>
  static bool fits(In value);
  [[noreturn]] void throw_out_of_range(long double token) const;

  std::string prefix_;
  DType dtype_;
  std::size_t item_size_;
  bool with_modes_;
  io::AtomicOutputFile bin_;
  std::vector<std::int32_t> lengths_;
  std::vector<std::int64_t> documents_{0};
  std::vector<std::int8_t> modes_;
  std::vector<std::byte> convert_buffer_;
  bool finished_ = false;
};

// Shared by the writer and merge: the 34-byte .idx header.
void write_index_header(io::AtomicOutputFile& idx, DType dtype, std::uint64_t sequences,
                        std::uint64_t document_indices);
// Moves a finished .bin/.idx pair into place. Any old .idx is removed first, so
// between the two renames there is a .bin without an .idx (visibly incomplete)
// rather than an old .idx beside a new .bin.
void commit_dataset_files(const std::string& prefix, io::AtomicOutputFile& bin,
                          io::AtomicOutputFile& idx);

template <typename T>
void IndexedDatasetWriter::add_sequence(std::span<const T> tokens, std::int8_t mode) {
  static_assert(std::is_arithmetic_v<T>);
  check_length(tokens.size());  // before any byte is written
  bool same_type = false;
  if constexpr (has_dtype_v<T>) same_type = dtype_of<T>() == dtype_;
  if (same_type) {
    bin_.write(tokens.data(), tokens.size_bytes());
  } else {
    convert_buffer_.resize(tokens.size() * item_size_);
    visit_dtype(dtype_, [&]<typename Out>() {
      Out* out = reinterpret_cast<Out*>(convert_buffer_.data());
      for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (!fits<Out>(tokens[i])) throw_out_of_range(static_cast<long double>(tokens[i]));
        out[i] = static_cast<Out>(tokens[i]);
      }
    });
    bin_.write(convert_buffer_.data(), convert_buffer_.size());
  }
  push_length(tokens.size(), mode);
}

// True when `value` converts to Out exactly (no wrap-around, no rounding of
// a fractional part, no overflow to infinity).
template <typename Out, typename In>
bool IndexedDatasetWriter::fits(In value) {
  if constexpr (std::is_integral_v<Out> && std::is_integral_v<In>) {
    return std::in_range<Out>(value);
  } else if constexpr (std::is_integral_v<Out>) {
    // Out's max is 2^digits - 1, which may round up in floating point, so
    // compare against the exact power of two with '<'.
    const long double v = value;
    return std::isfinite(v) && v == std::trunc(v) &&
           v >= static_cast<long double>(std::numeric_limits<Out>::min()) &&
           v < std::ldexp(1.0L, std::numeric_limits<Out>::digits);
  } else if constexpr (std::is_floating_point_v<In> && sizeof(Out) < sizeof(In)) {
    return !std::isfinite(value) ||
           std::fabs(value) <= static_cast<In>(std::numeric_limits<Out>::max());
  } else {
    return true;  // integers into floats, float into double
  }
}

}  // namespace borealis::data
