#pragma once
// Where each named weight lives in the model's one flat float array (llm.c's
// "one allocation per kind of state": parameters, gradients, AdamW's m and v
// all share this layout, so the optimizer and collectives see one vector).
//
// Names (L = layer index; `.bias` tensors exist for gpt2 only):
//   tok_embeddings.weight      [padded_vocab, d_model]
//   pos_embeddings.weight      [max_seq_len, d_model]          gpt2
//   layers.L.norm1.weight/.bias [d_model]
//   layers.L.attn.qkv.weight   [(n_heads + 2 n_kv_heads) head_dim, d_model]
//                               rows: all q heads, then k heads, then v heads
//   layers.L.attn.out.weight   [d_model, d_model]
//   layers.L.norm2.weight/.bias [d_model]
//   layers.L.mlp.fc.weight     [d_ff, d_model]                  gpt2
//   layers.L.mlp.proj.weight   [d_model, d_ff]                  gpt2
//   layers.L.mlp.gate_up.weight [2 d_ff, d_model]  rows: gate, then up  (llama)
//   layers.L.mlp.down.weight   [d_model, d_ff]                  llama
//   norm_f.weight/.bias        [d_model]
//   lm_head.weight             [padded_vocab, d_model]          untied only
// Linear weights are [out, in], as torch.nn.Linear stores them.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "borealis/model/model_config.h"

namespace borealis::model {

struct ParameterTensor {
  std::string name;
  std::vector<std::int64_t> shape;
  std::size_t offset = 0;  // in floats, from the start of the flat array
  std::size_t size = 0;    // elements
  bool decay = false;      // AdamW weight decay: matrices and embeddings, not norms or biases
};

// Offsets of one layer's tensors (in floats); a tensor a family lacks is kNone.
struct LayerOffsets {
  static constexpr std::size_t kNone = ~std::size_t{0};
  std::size_t norm1_w = kNone, norm1_b = kNone, qkv_w = kNone, qkv_b = kNone, out_w = kNone,
              out_b = kNone;
  std::size_t norm2_w = kNone, norm2_b = kNone;
  std::size_t fc_w = kNone, fc_b = kNone, proj_w = kNone, proj_b = kNone;  // gpt2
  std::size_t gate_up_w = kNone, down_w = kNone;                           // llama
};

class ParameterLayout {
 public:
  explicit ParameterLayout(const ModelConfig& config);

  const std::vector<ParameterTensor>& tensors() const { return tensors_; }
  std::size_t total() const { return total_; }  // floats, padding between tensors included
  const ParameterTensor& find(const std::string& name) const;  // throws borealis::Error when absent

  std::size_t tok_embeddings = 0;
  std::size_t pos_embeddings = LayerOffsets::kNone;
  std::vector<LayerOffsets> layers;
  std::size_t norm_f_w = 0, norm_f_b = LayerOffsets::kNone;
  std::size_t lm_head = 0;  // == tok_embeddings when tied

 private:
  std::size_t add(std::string name, std::vector<std::int64_t> shape, bool decay);
  std::vector<ParameterTensor> tensors_;
  std::size_t total_ = 0;
};

}  // namespace borealis::model
