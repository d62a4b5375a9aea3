#include <gtest/gtest.h>

#include <random>

#include "borealis/model/generator.h"
#include "borealis/model/transformer.h"
#include "test_util.h"

namespace borealis::model {
namespace {

ModelConfig tiny(Family family) {
  ModelConfig c;
  c.family = family;
  c.n_layers = 2;
  c.d_model = 32;
  c.n_heads = 4;
  c.n_kv_heads = family == Family::llama ? 2 : 4;
  c.vocab_size = 50;
  c.max_seq_len = 24;
  return c;
}

// The KV-cache path and the training forward compute the same logits.
TEST(Generator, CachedFeedMatchesTheFullForward) {
  for (auto family : {Family::gpt2, Family::llama}) {
    Transformer model(tiny(family));
    model.init_weights(5);
    std::vector<std::int32_t> tokens(20);
    std::mt19937 rng(1);
    for (auto& t : tokens) t = static_cast<std::int32_t>(rng() % 50);
    model.forward(tokens, {}, 1, 20);
    const auto full = model.logits();
    const int Vp = model.config().padded_vocab();
    Generator g(model);
    // a prompt of 7 in one feed, then one token at a time
    auto check = [&](std::span<const float> got, int position) {
      double worst = 0;
      for (int v = 0; v < Vp; ++v)
        worst = std::max(worst, std::fabs(static_cast<double>(got[v]) -
                                          full[static_cast<std::size_t>(position * Vp + v)]));
      EXPECT_LT(worst, 1e-5) << family_name(family) << " position " << position;
    };
    check(g.feed(std::span(tokens).first(7)), 6);
    for (int i = 7; i < 20; ++i) check(g.feed(std::span(tokens).subspan(i, 1)), i);
    EXPECT_EQ(g.position(), 20);
    const std::vector<std::int32_t> more(5, 1);
    EXPECT_EQ(test::error_of([&] { g.feed(more); }),
              "generate: 25 tokens of context exceed the model's max_seq_len 24");
  }
}

TEST(Generator, SamplingRules) {
  std::vector<float> logits = {0.1f, 3.0f, 2.9f, -1.0f, 9.0f /* padding, ignored */};
  std::mt19937_64 rng(1);
  SamplingOptions greedy;
  greedy.temperature = 0;
  EXPECT_EQ(sample_token(logits, 4, greedy, rng), 1);
  SamplingOptions top1;
  top1.top_k = 1;
  EXPECT_EQ(sample_token(logits, 4, top1, rng), 1);
  SamplingOptions top2;
  top2.top_k = 2;
  std::map<int, int> seen;
  for (int i = 0; i < 2000; ++i) ++seen[sample_token(logits, 4, top2, rng)];
  EXPECT_EQ(seen.size(), 2u);
  EXPECT_NEAR(seen[1] / 2000.0, 1 / (1 + std::exp(-0.1)), 0.04);  // softmax of 3.0 vs 2.9
  SamplingOptions nucleus;
  nucleus.top_p = 0.3;  // the top token alone has p ~ 0.51
  for (int i = 0; i < 50; ++i) EXPECT_EQ(sample_token(logits, 4, nucleus, rng), 1);
  SamplingOptions all;
  std::mt19937_64 a(42), b(42);
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(sample_token(logits, 4, all, a), sample_token(logits, 4, all, b));
}

}  // namespace
}  // namespace borealis::model
