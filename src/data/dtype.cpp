#include "borealis/data/dtype.h"

#include <array>

namespace borealis::data {

namespace {
struct DTypeInfo {
  DType dtype;
  std::size_t size;
  std::string_view name;
};
constexpr std::array<DTypeInfo, 8> kInfo{{
    {DType::kUInt8, 1, "uint8"},
    {DType::kInt8, 1, "int8"},
    {DType::kInt16, 2, "int16"},
    {DType::kInt32, 4, "int32"},
    {DType::kInt64, 8, "int64"},
    {DType::kFloat64, 8, "float64"},
    {DType::kFloat32, 4, "float32"},
    {DType::kUInt16, 2, "uint16"},
}};
const DTypeInfo& info(DType dtype) { return kInfo[static_cast<std::size_t>(dtype) - 1]; }
}  // namespace

std::optional<DType> dtype_from_code(std::uint8_t code) {
  if (code < 1 || code > 8) return std::nullopt;
  return static_cast<DType>(code);
}

std::optional<DType> dtype_from_name(std::string_view name) {
  for (const auto& i : kInfo)
    if (i.name == name) return i.dtype;
  return std::nullopt;
}

std::size_t dtype_size(DType dtype) { return info(dtype).size; }
std::string_view dtype_name(DType dtype) { return info(dtype).name; }

DType optimal_token_dtype(std::uint64_t vocab_size) {
  return vocab_size < 65500 ? DType::kUInt16 : DType::kInt32;
}

}  // namespace borealis::data
