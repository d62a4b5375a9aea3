#pragma once
// Token dtypes of Megatron's MMIDIDX format. The numeric codes are part of the
// on-disk format (byte 17 of every .idx) and must never change.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

namespace borealis::data {

enum class DType : std::uint8_t {
  kUInt8 = 1,
  kInt8 = 2,
  kInt16 = 3,
  kInt32 = 4,
  kInt64 = 5,
  kFloat64 = 6,
  kFloat32 = 7,
  kUInt16 = 8,
};

// nullopt for codes outside 1..8.
std::optional<DType> dtype_from_code(std::uint8_t code);
// Accepts numpy spellings: "uint16", "int32", "float32", ...
std::optional<DType> dtype_from_name(std::string_view name);

std::size_t dtype_size(DType dtype);
std::string_view dtype_name(DType dtype);
inline std::uint8_t dtype_code(DType dtype) { return static_cast<std::uint8_t>(dtype); }

// Megatron's rule (DType.optimal_dtype / __best_fitting_dtype): uint16 when the
// vocabulary has fewer than 65,500 entries, else int32.
DType optimal_token_dtype(std::uint64_t vocab_size);

template <typename T>
constexpr DType dtype_of();
template <> constexpr DType dtype_of<std::uint8_t>() { return DType::kUInt8; }
template <> constexpr DType dtype_of<std::int8_t>() { return DType::kInt8; }
template <> constexpr DType dtype_of<std::int16_t>() { return DType::kInt16; }
template <> constexpr DType dtype_of<std::int32_t>() { return DType::kInt32; }
template <> constexpr DType dtype_of<std::int64_t>() { return DType::kInt64; }
template <> constexpr DType dtype_of<double>() { return DType::kFloat64; }
template <> constexpr DType dtype_of<float>() { return DType::kFloat32; }
template <> constexpr DType dtype_of<std::uint16_t>() { return DType::kUInt16; }

// True for the C++ types that have a dtype code (uint32_t and uint64_t do not).
template <typename T>
inline constexpr bool has_dtype_v =
    std::is_same_v<T, std::uint8_t> || std::is_same_v<T, std::int8_t> ||
    std::is_same_v<T, std::int16_t> || std::is_same_v<T, std::int32_t> ||
    std::is_same_v<T, std::int64_t> || std::is_same_v<T, double> || std::is_same_v<T, float> ||
    std::is_same_v<T, std::uint16_t>;

// Calls fn.template operator()<T>() with the C++ type of `dtype`, so code that
// must handle every dtype is written once as a generic lambda:
//   visit_dtype(d, [&]<typename T>() { ... });
template <typename Fn>
decltype(auto) visit_dtype(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::kUInt8: return fn.template operator()<std::uint8_t>();
    case DType::kInt8: return fn.template operator()<std::int8_t>();
    case DType::kInt16: return fn.template operator()<std::int16_t>();
    case DType::kInt32: return fn.template operator()<std::int32_t>();
    case DType::kInt64: return fn.template operator()<std::int64_t>();
    case DType::kFloat64: return fn.template operator()<double>();
    case DType::kFloat32: return fn.template operator()<float>();
    case DType::kUInt16: return fn.template operator()<std::uint16_t>();
  }
  return fn.template operator()<std::uint8_t>();  // unreachable for valid enums
}

}  // namespace borealis::data
