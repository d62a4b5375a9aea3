#pragma once
// Text generation with a KV cache: each layer keeps the keys and values of
// every position seen so far, so a new token costs one row through the
// network instead of the whole prefix again.
//
//   Generator g(model);
//   auto logits = g.feed(prompt_ids);        // logits of the last prompt token
//   int next = sample_token(logits, vocab, options, rng);
//   logits = g.feed({&next, 1});
//
// The math is the training forward's (the same layer functions), so a
// forward over a whole sequence and a token-by-token feed give the same
// logits up to float summation order (tested).

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "borealis/model/transformer.h"

namespace borealis::model {

class Generator {
 public:
  explicit Generator(const Transformer& model);

  // Runs `tokens` at the next positions; returns the last one's logits
  // ([padded_vocab], valid until the next call). borealis::Error when the
  // context would exceed max_seq_len.
  std::span<const float> feed(std::span<const std::int32_t> tokens);
  void reset() { position_ = 0; }
  int position() const { return position_; }
  int capacity() const { return model_.config().max_seq_len; }

 private:
  const Transformer& model_;
  int position_ = 0;
  std::vector<float> k_cache_, v_cache_;  // [layers, max_seq_len, kv_heads · head_dim]
  std::vector<float> x_, h_, qkv_, att_, fc_, act_, mean_, rstd_, logits_, scores_;
};

struct SamplingOptions {
  double temperature = 1.0;  // 0 = greedy (argmax)
  int top_k = 0;             // 0 = all tokens
  double top_p = 1.0;        // nucleus: the smallest set of tokens whose probability reaches top_p
};

// Picks the next token from logits[0, vocab) (padding ignored).
int sample_token(std::span<const float> logits, int vocab, const SamplingOptions& options,
                 std::mt19937_64& rng);

}  // namespace borealis::model
