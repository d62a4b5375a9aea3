#pragma once
// The shape of a decoder-only transformer, for both families Borealis trains:
//
//   gpt2:  learned positions, LayerNorm (weight + bias), biases on every
//          linear layer, MLP  W2 · gelu_tanh(W1 x + b1) + b2.
//   llama: rotary positions (RoPE, the rotate-half layout Hugging Face uses),
//          RMSNorm (weight only), no biases, MLP  W_down (silu(W_gate x) * W_up x),
//          grouped-query attention (n_kv_heads divides n_heads).
//
// Both are pre-norm: x += attn(norm1(x)); x += mlp(norm2(x)); logits =
// lm_head(norm_f(x)). The vocabulary is padded to a multiple of
// `vocab_multiple` so the classifier GEMM has friendly sizes; padded rows are
// zero and padded logits never enter the loss.

#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace borealis::model {

enum class Family { gpt2, llama };

struct ModelConfig {
  Family family = Family::llama;
  int n_layers = 6;
  int d_model = 256;
  int n_heads = 8;
  int n_kv_heads = 8;  // llama only; gpt2 always has n_heads
  int d_ff = 0;  // MLP hidden width; 0 = family default (gpt2 4·d, llama 8/3·d rounded up to 64)
  int vocab_size = 8192;  // the tokenizer's
  int vocab_multiple = 64;
  int max_seq_len = 256;
  double rope_theta = 10000.0;
  double norm_eps = 1e-5;
  bool tied_embeddings = true;

  int head_dim() const { return d_model / n_heads; }
  int kv_heads() const { return family == Family::gpt2 ? n_heads : n_kv_heads; }
  int ffn_dim() const;
  int padded_vocab() const;
  bool has_bias() const { return family == Family::gpt2; }

  // Throws borealis::Error with one line saying what is inconsistent
  // (`where` names the config file or flag in that line).
  void validate(const std::string& where = "model config") const;

  // Trainable parameters, counting the real vocabulary (not the padding).
  std::uint64_t parameter_count() const;
  // Training FLOPs per token at context `seq_len` (forward + backward), as
  // PaLM and llm.c count them: 6 per parameter (2 forward, 4 backward) plus
  // 6 · layers · seq_len · d_model for attention's QK^T and PV (the full
  // square, though causal attention computes about half of it).
  double training_flops_per_token(int seq_len) const;
};

const char* family_name(Family f);
Family parse_family(const std::string& name, const std::string& where);

nlohmann::json to_json(const ModelConfig& c);
// Missing keys take their defaults; unknown keys and wrong types are errors.
// With `check`, the result is validated too.
ModelConfig model_config_from_json(const nlohmann::json& j, const std::string& where, bool check = true);

}  // namespace borealis::model
