#pragma once
// The arrays of a dataset index, typed as numpy would type them: each keeps
// the numpy dtype string ("<i4", "<u4", "<i8", "<i2") and shape Megatron
// gives it, so an array can be written as a .npy file that compares byte for
// byte with Megatron's. Storage is io::NpyArray (descr, shape, bytes).

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "borealis/io/npy.h"

namespace borealis::data {

template <typename T>
constexpr const char* npy_descr() {
  if constexpr (std::is_same_v<T, std::int16_t>) return "<i2";
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

// Element i of an integer index array of any of the dtypes above.
std::int64_t index_value(const io::NpyArray& a, std::uint64_t i);

}  // namespace borealis::data
