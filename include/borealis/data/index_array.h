#pragma once
// The arrays of a dataset index, typed as numpy would type them: each keeps
// a numpy dtype string ("|u1", "<u2", "<i2", "<i4", "<u4", "<i8") and a
// shape, so an array can be written as a .npy file that compares byte for
// byte with Megatron's. Storage is io::NpyArray (descr, shape, bytes).
// Index folders keep some arrays narrower than Megatron does (a blend over
// 14 corpora needs one byte per sample, not eight); convert_index_array
// widens them to Megatron's dtype on export.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "borealis/io/npy.h"

namespace borealis::data {

template <typename T>
constexpr const char* npy_descr() {
  if constexpr (std::is_same_v<T, std::uint8_t>) return "|u1";
  else if constexpr (std::is_same_v<T, std::uint16_t>) return "<u2";
  else if constexpr (std::is_same_v<T, std::int16_t>) return "<i2";
  else if constexpr (std::is_same_v<T, std::int32_t>) return "<i4";
  else if constexpr (std::is_same_v<T, std::uint32_t>) return "<u4";
  else if constexpr (std::is_same_v<T, std::int64_t>) return "<i8";
  else static_assert(sizeof(T) == 0, "not an index element type");
}

template <typename T>
io::NpyArray make_index_array(std::vector<std::uint64_t> shape) {
  io::NpyArray a;
  a.descr = npy_descr<T>();
  a.shape = std::move(shape);
  a.data.resize(a.element_count() * sizeof(T));
  return a;
}

template <typename T>
std::span<T> elements(io::NpyArray& a) {
  return {reinterpret_cast<T*>(a.data.data()), a.data.size() / sizeof(T)};
}
template <typename T>
std::span<const T> elements(const io::NpyArray& a) {
  const auto bytes = a.bytes();
  return {reinterpret_cast<const T*>(bytes.data()), bytes.size() / sizeof(T)};
}

[[noreturn]] void throw_unknown_index_dtype(const std::string& descr);

// Calls f.template operator()<T>() with the element type of `descr` (one of
// the dtypes above); throws for any other.
template <typename F>
decltype(auto) visit_index_type(const std::string& descr, F&& f) {
  if (descr == "|u1") return f.template operator()<std::uint8_t>();
  if (descr == "<u2") return f.template operator()<std::uint16_t>();
  if (descr == "<i2") return f.template operator()<std::int16_t>();
  if (descr == "<i4") return f.template operator()<std::int32_t>();
  if (descr == "<u4") return f.template operator()<std::uint32_t>();
  if (descr == "<i8") return f.template operator()<std::int64_t>();
  throw_unknown_index_dtype(descr);
}

std::size_t index_item_size(const std::string& descr);

// Element i of an integer index array of any of the dtypes above, or packed.
std::int64_t index_value(const io::NpyArray& a, std::uint64_t i);

// `a` with its elements converted to `descr` (a copy; the same array if the
// dtype already matches).
io::NpyArray convert_index_array(const io::NpyArray& a, const std::string& descr);

// The narrowest unsigned dtype holding every value below `bound`.
const char* narrowest_index_dtype(std::uint64_t bound);

// Bit-packed arrays, the form index folders store: descr "bitsB", element i
// in bits [i*B, (i+1)*B) of a little-endian bit stream, then one zero word
// so any element is one unaligned 8-byte load. A file with 250,000
// documents needs 18 bits per document_index entry, not 32; at AuroraGPT's
// scale that roughly halves what the index folder writes (the disk, not
// the cores, set the pace on the machines measured). index_value and
// convert_index_array read them; only index folders write them.
unsigned packed_bits(const std::string& descr);              // B, or 0 for a plain dtype
std::string packed_descr_for(std::uint64_t bound);           // "bitsB" for values below bound ("<i8" past 57 bits)
std::uint64_t index_array_bytes(const std::string& descr, std::uint64_t count);  // payload size, plain or packed
// Packs typed little-endian values (of `typed_descr`) into `out`, which
// holds at least ceil(n * bits / 64) words; starts at bit 0 of out.
void pack_index_values(std::span<const std::byte> typed, const std::string& typed_descr, unsigned bits,
                       std::span<std::byte> out);
// `a` packed for values below `bound` (a copy).
io::NpyArray pack_index_array(const io::NpyArray& a, std::uint64_t bound);

}  // namespace borealis::data
