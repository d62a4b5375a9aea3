#include "borealis/model/hf_export.h"

#include <filesystem>

#include <fmt/format.h>

#include "borealis/io/atomic_output_file.h"
#include "borealis/io/safetensors.h"
#include "borealis/util/error.h"

namespace borealis::model {

namespace fs = std::filesystem;
using i64 = std::int64_t;

nlohmann::json hugging_face_config(const ModelConfig& c) {
  if (c.family == Family::llama)
    return {{"architectures", {"LlamaForCausalLM"}},
            {"model_type", "llama"},
            {"hidden_size", c.d_model},
            {"intermediate_size", c.ffn_dim()},
            {"num_hidden_layers", c.n_layers},
            {"num_attention_heads", c.n_heads},
            {"num_key_value_heads", c.kv_heads()},
            {"head_dim", c.head_dim()},
            {"max_position_embeddings", c.max_seq_len},
            {"rms_norm_eps", c.norm_eps},
            {"rope_theta", c.rope_theta},
            {"vocab_size", c.vocab_size},
            {"tie_word_embeddings", c.tied_embeddings},
            {"hidden_act", "silu"},
            {"attention_bias", false},
            {"mlp_bias", false},
            {"torch_dtype", "float32"}};
  return {{"architectures", {"GPT2LMHeadModel"}},
          {"model_type", "gpt2"},
          {"n_embd", c.d_model},
          {"n_inner", c.ffn_dim()},
          {"n_layer", c.n_layers},
          {"n_head", c.n_heads},
          {"n_positions", c.max_seq_len},
          {"n_ctx", c.max_seq_len},
          {"layer_norm_epsilon", c.norm_eps},
          {"vocab_size", c.vocab_size},
          {"tie_word_embeddings", c.tied_embeddings},
          {"activation_function", "gelu_new"},  // GELU's tanh form
          {"resid_pdrop", 0.0},
          {"embd_pdrop", 0.0},
          {"attn_pdrop", 0.0},
          {"scale_attn_weights", true},
          {"torch_dtype", "float32"}};
}

namespace {

// Tensors gathered for the writer, which references their bytes.
class TensorSet {
 public:
  // rows [r0, r1) of a row-major [*, cols] block at p
  void rows(std::string name, const float* p, i64 r0, i64 r1, i64 cols) {
    add(std::move(name), {r1 - r0, cols}, std::vector<float>(p + r0 * cols, p + r1 * cols));
  }
  // the same rows, transposed to [cols, r1 - r0] (GPT-2's Conv1D)
  void rows_transposed(std::string name, const float* p, i64 r0, i64 r1, i64 cols) {
    std::vector<float> t(static_cast<std::size_t>((r1 - r0) * cols));
    for (i64 r = r0; r < r1; ++r)
      for (i64 k = 0; k < cols; ++k) t[static_cast<std::size_t>(k * (r1 - r0) + (r - r0))] = p[r * cols + k];
    add(std::move(name), {cols, r1 - r0}, std::move(t));
  }
  void vector(std::string name, const float* p, i64 n) {
    add(std::move(name), {n}, std::vector<float>(p, p + n));
  }
  void write(const std::string& path) {
    io::SafetensorsWriter w;
    for (auto& [name, shape, values] : tensors_) w.add_f32(name, shape, values);
    w.set_metadata("format", "pt");
    w.write(path);
  }

 private:
  void add(std::string name, std::vector<i64> shape, std::vector<float> values) {
    tensors_.push_back({std::move(name), std::move(shape), std::move(values)});
  }
  struct Tensor {
    std::string name;
    std::vector<i64> shape;
    std::vector<float> values;
  };
  std::vector<Tensor> tensors_;
};

}  // namespace

void write_hugging_face(const Transformer& model, const std::string& out_dir) {
  const auto& c = model.config();
  const auto& L = model.layout();
  const float* p = model.parameters().data();
  const i64 C = c.d_model, V = c.vocab_size, F = c.ffn_dim(), D = c.head_dim();
  const i64 NH = c.n_heads, NKV = c.kv_heads();
  TensorSet t;
  if (c.family == Family::llama) {
    t.rows("model.embed_tokens.weight", p + L.tok_embeddings, 0, V, C);
    for (int l = 0; l < c.n_layers; ++l) {
      const auto& o = L.layers[static_cast<std::size_t>(l)];
      const std::string pre = fmt::format("model.layers.{}.", l);
      t.vector(pre + "input_layernorm.weight", p + o.norm1_w, C);
      t.rows(pre + "self_attn.q_proj.weight", p + o.qkv_w, 0, NH * D, C);
      t.rows(pre + "self_attn.k_proj.weight", p + o.qkv_w, NH * D, (NH + NKV) * D, C);
      t.rows(pre + "self_attn.v_proj.weight", p + o.qkv_w, (NH + NKV) * D, (NH + 2 * NKV) * D, C);
      t.rows(pre + "self_attn.o_proj.weight", p + o.out_w, 0, C, C);
      t.vector(pre + "post_attention_layernorm.weight", p + o.norm2_w, C);
      t.rows(pre + "mlp.gate_proj.weight", p + o.gate_up_w, 0, F, C);
      t.rows(pre + "mlp.up_proj.weight", p + o.gate_up_w, F, 2 * F, C);
      t.rows(pre + "mlp.down_proj.weight", p + o.down_w, 0, C, F);
    }
    t.vector("model.norm.weight", p + L.norm_f_w, C);
  } else {
    t.rows("transformer.wte.weight", p + L.tok_embeddings, 0, V, C);
    t.rows("transformer.wpe.weight", p + L.pos_embeddings, 0, c.max_seq_len, C);
    for (int l = 0; l < c.n_layers; ++l) {
      const auto& o = L.layers[static_cast<std::size_t>(l)];
      const std::string pre = fmt::format("transformer.h.{}.", l);
      t.vector(pre + "ln_1.weight", p + o.norm1_w, C);
      t.vector(pre + "ln_1.bias", p + o.norm1_b, C);
      t.rows_transposed(pre + "attn.c_attn.weight", p + o.qkv_w, 0, 3 * C, C);
      t.vector(pre + "attn.c_attn.bias", p + o.qkv_b, 3 * C);
      t.rows_transposed(pre + "attn.c_proj.weight", p + o.out_w, 0, C, C);
      t.vector(pre + "attn.c_proj.bias", p + o.out_b, C);
      t.vector(pre + "ln_2.weight", p + o.norm2_w, C);
      t.vector(pre + "ln_2.bias", p + o.norm2_b, C);
      t.rows_transposed(pre + "mlp.c_fc.weight", p + o.fc_w, 0, F, C);
      t.vector(pre + "mlp.c_fc.bias", p + o.fc_b, F);
      t.rows_transposed(pre + "mlp.c_proj.weight", p + o.proj_w, 0, C, F);
      t.vector(pre + "mlp.c_proj.bias", p + o.proj_b, C);
    }
    t.vector("transformer.ln_f.weight", p + L.norm_f_w, C);
    t.vector("transformer.ln_f.bias", p + L.norm_f_b, C);
  }
  if (!c.tied_embeddings) t.rows("lm_head.weight", p + L.lm_head, 0, V, C);
  t.write((fs::path(out_dir) / "model.safetensors").string());
  io::write_file_atomically((fs::path(out_dir) / "config.json").string(),
                            hugging_face_config(c).dump(2) + "\n");
}

}  // namespace borealis::model
