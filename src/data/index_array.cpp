#include "borealis/data/index_array.h"

#include <array>
#include <bit>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "borealis/util/error.h"

namespace borealis::data {

namespace {

constexpr unsigned kMaxPackedBits = 57;  // a value is read with one unaligned 8-byte load

std::uint64_t packed_word_count(std::uint64_t count, unsigned bits) { return (count * bits + 63) / 64 + 1; }

// Element i of a packed payload: bits [i*bits, (i+1)*bits) of a little-endian bit stream.
std::uint64_t packed_value(const std::byte* data, unsigned bits, std::uint64_t i) {
  const std::uint64_t bit = i * bits;
  std::uint64_t word;
  std::memcpy(&word, data + bit / 8, sizeof word);
  return (word >> (bit % 8)) & ((std::uint64_t{1} << bits) - 1);
}

}  // namespace

void throw_unknown_index_dtype(const std::string& descr) {
  throw Error(fmt::format("index array of unexpected dtype {}", descr));
}

std::size_t index_item_size(const std::string& descr) {
  return visit_index_type(descr, []<typename T>() { return sizeof(T); });
}

unsigned packed_bits(const std::string& descr) {
  if (!descr.starts_with("bits")) return 0;
  const unsigned bits = static_cast<unsigned>(std::atoi(descr.c_str() + 4));
  if (bits == 0 || bits > kMaxPackedBits) throw_unknown_index_dtype(descr);
  return bits;
}

std::string packed_descr_for(std::uint64_t bound) {
  const unsigned bits = std::max(1u, static_cast<unsigned>(std::bit_width(bound > 0 ? bound - 1 : 0)));
  return bits <= kMaxPackedBits ? fmt::format("bits{}", bits) : "<i8";
}

std::uint64_t index_array_bytes(const std::string& descr, std::uint64_t count) {
  if (const unsigned bits = packed_bits(descr)) return packed_word_count(count, bits) * 8;
  return count * index_item_size(descr);
}

namespace {

// 64 values of `bits` bits (each already < 2^bits) into exactly `bits`
// words: value i at bit i * bits of the little-endian stream. With the
// width a compile-time constant, every shift is a constant and the loop
// unrolls to straight-line code: about 1 ns per value against 3.5 for a
// loop that tests for a full word after each value.
template <unsigned bits>
void pack_block(const std::uint64_t* v, std::uint64_t* out) {
  for (unsigned w = 0; w < bits; ++w) out[w] = 0;
#pragma GCC unroll 64
  for (unsigned i = 0; i < 64; ++i) {
    const unsigned at = i * bits, word = at / 64, shift = at % 64;
    out[word] |= v[i] << shift;
    if (shift + bits > 64) out[word + 1] |= v[i] >> (64 - shift);
  }
}

using PackBlock = void (*)(const std::uint64_t*, std::uint64_t*);

template <unsigned... B>
constexpr std::array<PackBlock, sizeof...(B)> pack_blocks(std::integer_sequence<unsigned, B...>) {
  return {&pack_block<B + 1>...};
}
constexpr auto kPackBlocks = pack_blocks(std::make_integer_sequence<unsigned, 64>{});

}  // namespace

void pack_index_values(std::span<const std::byte> typed, const std::string& typed_descr, unsigned bits,
                       std::span<std::byte> out) {
  if (bits == 0 || bits > 64) throw Error(fmt::format("pack_index_values: {} bits (internal error)", bits));
  visit_index_type(typed_descr, [&]<typename T>() {
    const std::size_t n = typed.size() / sizeof(T);
    if (out.size() < (n * bits + 63) / 64 * 8) throw Error("pack_index_values: output too small (internal error)");
    const T* values = reinterpret_cast<const T*>(typed.data());  // index arrays are aligned for their type
    const PackBlock block = kPackBlocks[bits - 1];
    std::uint64_t wide = 0, v[64], packed[64];
    std::size_t i = 0;
    for (; i + 64 <= n; i += 64) {  // 64 values make `bits` whole words
      for (unsigned k = 0; k < 64; ++k) wide |= v[k] = static_cast<std::uint64_t>(values[i + k]);
      if (bits < 64 && wide >> bits != 0) break;  // reported below
      block(v, packed);
      std::memcpy(out.data() + i / 64 * bits * 8, packed, bits * 8);
    }
    // The rest (under 64 values), one at a time.
    std::uint64_t acc = 0, w = i / 64 * bits;
    unsigned filled = 0;
    for (; i < n; ++i) {
      const auto value = static_cast<std::uint64_t>(values[i]);
      wide |= value;
      acc |= value << filled;
      filled += bits;
      if (filled >= 64) {
        std::memcpy(out.data() + 8 * w++, &acc, 8);
        filled -= 64;
        acc = filled != 0 ? value >> (bits - filled) : 0;
      }
    }
    if (filled != 0) std::memcpy(out.data() + 8 * w, &acc, 8);
    if (bits < 64 && wide >> bits != 0) throw Error(fmt::format("an index value does not fit {} bits (internal error)", bits));
  });
}

io::NpyArray pack_index_array(const io::NpyArray& a, std::uint64_t bound) {
  const std::string descr = packed_descr_for(bound);
  if (!descr.starts_with("bits")) return convert_index_array(a, descr);
  io::NpyArray out;
  out.descr = descr;
  out.shape = a.shape;
  out.data.assign(static_cast<std::size_t>(index_array_bytes(descr, a.element_count())), std::byte{0});
  pack_index_values(a.bytes(), a.descr, packed_bits(descr), out.data);
  return out;
}

std::int64_t index_value(const io::NpyArray& a, std::uint64_t i) {
  if (const unsigned bits = packed_bits(a.descr))
    return static_cast<std::int64_t>(packed_value(a.bytes().data(), bits, i));
  return visit_index_type(a.descr, [&]<typename T>() { return static_cast<std::int64_t>(elements<T>(a)[i]); });
}

io::NpyArray convert_index_array(const io::NpyArray& a, const std::string& descr) {
  if (a.descr == descr) {
    io::NpyArray copy;
    copy.descr = a.descr;
    copy.shape = a.shape;
    const auto bytes = a.bytes();
    copy.data.assign(bytes.begin(), bytes.end());
    return copy;
  }
  return visit_index_type(descr, [&]<typename To>() {
    io::NpyArray out = make_index_array<To>(a.shape);
    auto to = elements<To>(out);
    if (const unsigned bits = packed_bits(a.descr)) {
      const std::byte* data = a.bytes().data();
      for (std::size_t i = 0; i < to.size(); ++i) to[i] = static_cast<To>(packed_value(data, bits, i));
      return out;
    }
    visit_index_type(a.descr, [&]<typename From>() {
      const auto from = elements<From>(a);
      for (std::size_t i = 0; i < from.size(); ++i) to[i] = static_cast<To>(from[i]);
    });
    return out;
  });
}

const char* narrowest_index_dtype(std::uint64_t bound) {
  if (bound <= 0x100) return "|u1";
  if (bound <= 0x10000) return "<u2";
  if (bound <= 0x100000000ull) return "<u4";
  return "<i8";
}

}  // namespace borealis::data
