#include "borealis/model/model_config.h"

#include <cmath>
#include <set>

#include <nlohmann/json.hpp>

#include "borealis/util/error.h"

namespace borealis::model {

int ModelConfig::ffn_dim() const {
  if (d_ff > 0) return d_ff;
  if (family == Family::gpt2) return 4 * d_model;
  // Llama's rule: 2/3 of 4·d, rounded up to a multiple (64 here, 256 in Meta's code).
  const int hidden = (2 * 4 * d_model) / 3;
  return (hidden + 63) / 64 * 64;
}

int ModelConfig::padded_vocab() const {
  const int m = vocab_multiple > 0 ? vocab_multiple : 1;
  return (vocab_size + m - 1) / m * m;
}

void ModelConfig::validate(const std::string& where) const {
  auto fail = [&](const std::string& what) { throw Error(fmt::format("{}: {}", where, what)); };
  if (n_layers < 1) fail(fmt::format("n_layers must be at least 1 (got {})", n_layers));
  if (d_model < 1) fail(fmt::format("d_model must be at least 1 (got {})", d_model));
  if (n_heads < 1) fail(fmt::format("n_heads must be at least 1 (got {})", n_heads));
  if (d_model % n_heads != 0)
    fail(fmt::format("d_model {} is not divisible by n_heads {}", d_model, n_heads));
  if (family == Family::gpt2 && n_kv_heads != n_heads)
    fail(fmt::format("gpt2 has no grouped-query attention: n_kv_heads {} must equal n_heads {}",
                     n_kv_heads, n_heads));
  if (family == Family::llama) {
    if (n_kv_heads < 1) fail(fmt::format("n_kv_heads must be at least 1 (got {})", n_kv_heads));
    if (n_heads % n_kv_heads != 0)
      fail(fmt::format("n_kv_heads {} does not divide n_heads {}", n_kv_heads, n_heads));
    if (head_dim() % 2 != 0)
      fail(fmt::format("RoPE needs an even head dimension (d_model / n_heads = {})", head_dim()));
    if (!(rope_theta > 0) || !std::isfinite(rope_theta))
      fail(fmt::format("rope_theta must be positive (got {})", rope_theta));
  }
  if (d_ff < 0)
    fail(fmt::format("d_ff must be positive, or 0 for the family default (got {})", d_ff));
  if (vocab_size < 1) fail(fmt::format("vocab_size must be at least 1 (got {})", vocab_size));
  if (vocab_multiple < 1)
    fail(fmt::format("vocab_multiple must be at least 1 (got {})", vocab_multiple));
  if (max_seq_len < 1) fail(fmt::format("max_seq_len must be at least 1 (got {})", max_seq_len));
  if (!(norm_eps > 0) || !std::isfinite(norm_eps))
    fail(fmt::format("norm_eps must be positive (got {})", norm_eps));
  // Everything is indexed with 64-bit offsets, but one tensor of more than
  // 2^31 floats would not fit a BLAS int dimension product we pass through.
  const double biggest = static_cast<double>(padded_vocab()) * d_model;
  if (biggest > 2147483647.0) fail("the embedding has more than 2^31 elements");
}

std::uint64_t ModelConfig::parameter_count() const {
  const std::uint64_t c = d_model, f = ffn_dim(), v = vocab_size, hd = head_dim();
  const std::uint64_t qkv = (static_cast<std::uint64_t>(n_heads) + 2ull * kv_heads()) * hd;
  std::uint64_t per_layer = 0;
  if (family == Family::gpt2) {
    per_layer = 2 * c + (qkv * c + qkv) + (c * c + c) + 2 * c + (f * c + f) + (c * f + c);
  } else {
    per_layer = c + qkv * c + c * c + c + 2 * f * c + c * f;
  }
  std::uint64_t total = v * c + static_cast<std::uint64_t>(n_layers) * per_layer;
  if (family == Family::gpt2)
    total += static_cast<std::uint64_t>(max_seq_len) * c + 2 * c;
  else
    total += c;
  if (!tied_embeddings) total += v * c;
  return total;
}

double ModelConfig::training_flops_per_token(int seq_len) const {
  return 6.0 * static_cast<double>(parameter_count()) +
         6.0 * n_layers * static_cast<double>(seq_len) * d_model;
}

const char* family_name(Family f) { return f == Family::gpt2 ? "gpt2" : "llama"; }

Family parse_family(const std::string& name, const std::string& where) {
  if (name == "gpt2") return Family::gpt2;
  if (name == "llama") return Family::llama;
  throw Error(fmt::format("{}: unknown model family '{}' (expected gpt2 or llama)", where, name));
}

nlohmann::json to_json(const ModelConfig& c) {
  return {{"family", family_name(c.family)},
          {"n_layers", c.n_layers},
          {"d_model", c.d_model},
          {"n_heads", c.n_heads},
          {"n_kv_heads", c.kv_heads()},
          {"d_ff", c.ffn_dim()},
          {"vocab_size", c.vocab_size},
          {"vocab_multiple", c.vocab_multiple},
          {"max_seq_len", c.max_seq_len},
          {"rope_theta", c.rope_theta},
          {"norm_eps", c.norm_eps},
          {"tied_embeddings", c.tied_embeddings}};
}

ModelConfig model_config_from_json(const nlohmann::json& j, const std::string& where, bool check) {
  if (!j.is_object()) throw Error(fmt::format("{}: the model config is not an object", where));
  static const std::set<std::string> known = {
      "family",     "n_layers",       "d_model",     "n_heads",    "n_kv_heads", "d_ff",
      "vocab_size", "vocab_multiple", "max_seq_len", "rope_theta", "norm_eps",   "tied_embeddings"};
  for (const auto& [key, value] : j.items())
    if (!known.contains(key)) throw Error(fmt::format("{}: unknown model key '{}'", where, key));
  ModelConfig c;
  auto get_int = [&](const char* key, int& out) {
    if (!j.contains(key)) return;
    const auto& v = j.at(key);
    if (!v.is_number_integer())
      throw Error(fmt::format("{}: model key '{}' must be an integer", where, key));
    out = v.get<int>();
  };
  auto get_double = [&](const char* key, double& out) {
    if (!j.contains(key)) return;
    const auto& v = j.at(key);
    if (!v.is_number()) throw Error(fmt::format("{}: model key '{}' must be a number", where, key));
    out = v.get<double>();
  };
  if (j.contains("family")) {
    if (!j.at("family").is_string())
      throw Error(fmt::format("{}: model key 'family' must be a string", where));
    c.family = parse_family(j.at("family").get<std::string>(), where);
  }
  get_int("n_layers", c.n_layers);
  get_int("d_model", c.d_model);
  get_int("n_heads", c.n_heads);
  c.n_kv_heads = c.n_heads;
  get_int("n_kv_heads", c.n_kv_heads);
  get_int("d_ff", c.d_ff);
  get_int("vocab_size", c.vocab_size);
  get_int("vocab_multiple", c.vocab_multiple);
  get_int("max_seq_len", c.max_seq_len);
  get_double("rope_theta", c.rope_theta);
  get_double("norm_eps", c.norm_eps);
  if (j.contains("tied_embeddings")) {
    if (!j.at("tied_embeddings").is_boolean())
      throw Error(fmt::format("{}: model key 'tied_embeddings' must be true or false", where));
    c.tied_embeddings = j.at("tied_embeddings").get<bool>();
  }
  if (check) c.validate(where);
  return c;
}

}  // namespace borealis::model
