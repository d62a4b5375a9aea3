#pragma once
// A Borealis model in the Hugging Face Transformers layout, so the rest of
// the ecosystem (transformers, vLLM, lm-eval-harness) loads it:
//
//   llama  LlamaForCausalLM: model.embed_tokens, model.layers.N.{input_layernorm,
//          self_attn.{q,k,v,o}_proj, post_attention_layernorm,
//          mlp.{gate,up,down}_proj}, model.norm, lm_head (untied only).
//          Our fused qkv and gate_up rows are split; RoPE is the same
//          rotate-half form, so no permutation is needed.
//   gpt2   GPT2LMHeadModel: transformer.{wte, wpe, h.N.{ln_1, attn.c_attn,
//          attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj}, ln_f}, lm_head (untied
//          only). GPT-2's Conv1D stores weights [in, out]: ours are
//          transposed.
//
// Files: model.safetensors (F32, metadata format "pt", the vocabulary
// padding cut off) and config.json.

#include <string>

#include <nlohmann/json.hpp>

#include "borealis/model/transformer.h"

namespace borealis::model {

// config.json's contents for the model.
nlohmann::json hugging_face_config(const ModelConfig& config);
// Writes out_dir/model.safetensors and out_dir/config.json (out_dir exists).
void write_hugging_face(const Transformer& model, const std::string& out_dir);

}  // namespace borealis::model
