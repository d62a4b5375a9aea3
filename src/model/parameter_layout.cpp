#include "borealis/model/parameter_layout.h"

#include <fmt/format.h>

#include "borealis/util/error.h"

namespace borealis::model {

namespace {
constexpr std::size_t kAlign = 16;  // floats: each tensor starts on a 64-byte line
}

std::size_t ParameterLayout::add(std::string name, std::vector<std::int64_t> shape, bool decay) {
  std::size_t size = 1;
  for (auto d : shape) size *= static_cast<std::size_t>(d);
  ParameterTensor t{std::move(name), std::move(shape), total_, size, decay};
  total_ += (size + kAlign - 1) / kAlign * kAlign;
  tensors_.push_back(std::move(t));
  return tensors_.back().offset;
}

ParameterLayout::ParameterLayout(const ModelConfig& c) {
  const std::int64_t C = c.d_model, V = c.padded_vocab(), F = c.ffn_dim();
  const std::int64_t QKV = static_cast<std::int64_t>(c.n_heads + 2 * c.kv_heads()) * c.head_dim();
  const bool bias = c.has_bias();
  tok_embeddings = add("tok_embeddings.weight", {V, C}, true);
  if (c.family == Family::gpt2)
    pos_embeddings = add("pos_embeddings.weight", {c.max_seq_len, C}, true);
  layers.resize(static_cast<std::size_t>(c.n_layers));
  for (int l = 0; l < c.n_layers; ++l) {
    const std::string p = fmt::format("layers.{}.", l);
    auto& o = layers[static_cast<std::size_t>(l)];
    o.norm1_w = add(p + "norm1.weight", {C}, false);
    if (bias) o.norm1_b = add(p + "norm1.bias", {C}, false);
    o.qkv_w = add(p + "attn.qkv.weight", {QKV, C}, true);
    if (bias) o.qkv_b = add(p + "attn.qkv.bias", {QKV}, false);
    o.out_w = add(p + "attn.out.weight", {C, C}, true);
    if (bias) o.out_b = add(p + "attn.out.bias", {C}, false);
    o.norm2_w = add(p + "norm2.weight", {C}, false);
    if (bias) o.norm2_b = add(p + "norm2.bias", {C}, false);
    if (c.family == Family::gpt2) {
      o.fc_w = add(p + "mlp.fc.weight", {F, C}, true);
      o.fc_b = add(p + "mlp.fc.bias", {F}, false);
      o.proj_w = add(p + "mlp.proj.weight", {C, F}, true);
      o.proj_b = add(p + "mlp.proj.bias", {C}, false);
    } else {
      o.gate_up_w = add(p + "mlp.gate_up.weight", {2 * F, C}, true);
      o.down_w = add(p + "mlp.down.weight", {C, F}, true);
    }
  }
  norm_f_w = add("norm_f.weight", {C}, false);
  if (bias) norm_f_b = add("norm_f.bias", {C}, false);
  lm_head = c.tied_embeddings ? tok_embeddings : add("lm_head.weight", {V, C}, true);
}

const ParameterTensor& ParameterLayout::find(const std::string& name) const {
  for (const auto& t : tensors_)
    if (t.name == name) return t;
  throw Error(fmt::format("no parameter named '{}'", name));
}

}  // namespace borealis::model
