// AdamW's folded clipping: step(..., grad_scale) must give the same bits as
// scaling the gradients first (clip_gradients) and stepping with 1.

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "borealis/model/model_config.h"
#include "borealis/model/parameter_layout.h"
#include "borealis/train/adamw.h"

namespace borealis::train {
namespace {

TEST(AdamW, ClippingInsideTheUpdateEqualsClippingTheGradientsFirst) {
  model::ModelConfig c;
  c.family = model::Family::llama;
  c.n_layers = 1;
  c.d_model = 16;
  c.n_heads = 2;
  c.n_kv_heads = 2;
  c.vocab_size = 40;
  c.max_seq_len = 8;
  const model::ParameterLayout layout(c);
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  std::vector<float> params(layout.total()), grads(layout.total());
  for (float& x : params) x = normal(rng);

  std::vector<float> folded = params, separate = params;
  AdamW a(layout, {}), b(layout, {});
  for (int step = 0; step < 3; ++step) {
    for (float& x : grads) x = normal(rng);
    const double norm = gradient_norm(layout, grads);
    ASSERT_GT(norm, 1.0);  // so clipping does something
    a.step(folded, grads, 1e-2, clip_factor(norm, 1.0));
    std::vector<float> clipped = grads;
    EXPECT_EQ(clip_gradients(layout, clipped, 1.0), norm);
    b.step(separate, clipped, 1e-2);
  }
  EXPECT_EQ(std::memcmp(folded.data(), separate.data(), folded.size() * sizeof(float)), 0);
  EXPECT_NE(std::memcmp(folded.data(), params.data(), folded.size() * sizeof(float)), 0);
}

TEST(AdamW, ClipFactorFollowsTorchsRule) {
  EXPECT_EQ(clip_factor(0.5, 1.0), 1.0f);   // below the limit
  EXPECT_EQ(clip_factor(1.0, 1.0), 1.0f);   // at it
  EXPECT_EQ(clip_factor(4.0, 0.0), 1.0f);   // clipping off
  EXPECT_EQ(clip_factor(4.0, 1.0), static_cast<float>(1.0 / (4.0 + 1e-6)));
}

}  // namespace
}  // namespace borealis::train
