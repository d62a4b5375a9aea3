#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "borealis/model/model_config.h"
#include "borealis/model/parameter_layout.h"
#include "test_util.h"

namespace borealis::model {
namespace {

ModelConfig bench_gpt2() {  // the training issue's benchmark model
  ModelConfig c;
  c.family = Family::gpt2;
  c.n_layers = 6;
  c.d_model = 256;
  c.n_heads = 8;
  c.n_kv_heads = 8;
  c.max_seq_len = 256;
  c.vocab_size = 8192;
  return c;
}

TEST(ModelConfig, Gpt2BenchmarkModelHasTheIssuesParameterCount) {
  const auto c = bench_gpt2();
  EXPECT_EQ(c.parameter_count(), 6901760u);  // the count llm.c and PyTorch report for this shape
  // 6N + 6·L·T·C, llm.c's formula
  EXPECT_DOUBLE_EQ(c.training_flops_per_token(256), 6.0 * 6901760 + 6.0 * 6 * 256 * 256);
}

TEST(ModelConfig, ParameterCountIsTheLayoutsRealElements) {
  for (auto family : {Family::gpt2, Family::llama})
    for (bool tied : {true, false}) {
      ModelConfig c;
      c.family = family;
      c.n_layers = 3;
      c.d_model = 96;
      c.n_heads = 6;
      c.n_kv_heads = family == Family::llama ? 2 : 6;
      c.vocab_size = 1000;  // padded to 1024
      c.max_seq_len = 64;
      c.tied_embeddings = tied;
      const ParameterLayout layout(c);
      std::uint64_t elements = 0;
      for (const auto& t : layout.tensors()) elements += t.size;
      const std::uint64_t padding = 24ull * 96 * (tied ? 1 : 2);
      EXPECT_EQ(c.parameter_count(), elements - padding) << family_name(family) << " tied=" << tied;
      EXPECT_EQ(layout.lm_head == layout.tok_embeddings, tied);
    }
}

TEST(ModelConfig, LlamaDefaultsFollowLlamasRules) {
  ModelConfig c;
  c.d_model = 256;
  EXPECT_EQ(c.ffn_dim(), 704);  // 8/3 · 256 = 682.7, up to a multiple of 64
  c.vocab_size = 8193;
  EXPECT_EQ(c.padded_vocab(), 8256);
}

TEST(ModelConfig, InconsistentConfigsAreOneLineErrors) {
  auto error_for = [](auto change) {
    ModelConfig c;
    change(c);
    return test::error_of([&] { c.validate("run.toml"); });
  };
  EXPECT_EQ(error_for([](ModelConfig& c) { c.n_heads = 7; }),
            "run.toml: d_model 256 is not divisible by n_heads 7");
  EXPECT_EQ(error_for([](ModelConfig& c) { c.n_kv_heads = 3; }),
            "run.toml: n_kv_heads 3 does not divide n_heads 8");
  EXPECT_EQ(error_for([](ModelConfig& c) {
              c.family = Family::gpt2;
              c.n_kv_heads = 2;
            }),
            "run.toml: gpt2 has no grouped-query attention: n_kv_heads 2 must equal n_heads 8");
  EXPECT_EQ(error_for([](ModelConfig& c) { c.n_layers = 0; }),
            "run.toml: n_layers must be at least 1 (got 0)");
  EXPECT_EQ(error_for([](ModelConfig& c) { c.norm_eps = -1; }),
            "run.toml: norm_eps must be positive (got -1)");
  EXPECT_EQ(error_for([](ModelConfig& c) { c.vocab_size = 0; }),
            "run.toml: vocab_size must be at least 1 (got 0)");
  EXPECT_EQ(error_for([](ModelConfig&) {}), "");
}

TEST(ModelConfig, JsonRoundTripAndBadKeys) {
  ModelConfig c;
  c.family = Family::llama;
  c.n_kv_heads = 2;
  c.rope_theta = 500000;
  c.tied_embeddings = false;
  const auto back = model_config_from_json(to_json(c), "x");
  EXPECT_EQ(to_json(back), to_json(c));
  EXPECT_EQ(test::error_of([] {
              model_config_from_json({{"d_modle", 3}}, "cfg.json");
            }),
            "cfg.json: unknown model key 'd_modle'");
  EXPECT_EQ(test::error_of([] {
              model_config_from_json({{"d_model", "big"}}, "cfg.json");
            }),
            "cfg.json: model key 'd_model' must be an integer");
  EXPECT_EQ(test::error_of([] {
              model_config_from_json({{"family", "gpt5"}}, "cfg.json");
            }),
            "cfg.json: unknown model family 'gpt5' (expected gpt2 or llama)");
}

}  // namespace
}  // namespace borealis::model
