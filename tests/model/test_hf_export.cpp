// `write_hugging_face` checked against the Hugging Face architectures'
// forward passes written out in PyTorch (tests/model/hf_reference.py, run
// with Debian's python3-torch): the exported tensors under their Hugging Face
// names and config.json must give Borealis' logits.

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "borealis/io/safetensors.h"
#include "borealis/model/hf_export.h"
#include "test_util.h"

namespace borealis::model {
namespace {

void check_against_reference(const ModelConfig& c, int B, int T) {
  test::TempDir dir;
  Transformer model(c);
  model.init_weights(99);
  // Norm weights and biases away from their 1/0 initial values, so a
  // misplaced one shows.
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> jitter(-0.2f, 0.2f);
  for (const auto& t : model.layout().tensors())
    if (t.name.find("norm") != std::string::npos || t.name.ends_with(".bias"))
      for (std::size_t i = 0; i < t.size; ++i) model.parameters()[t.offset + i] += jitter(rng);

  std::vector<std::int32_t> tokens(static_cast<std::size_t>(B * T));
  for (auto& t : tokens) t = static_cast<std::int32_t>(rng() % static_cast<unsigned>(c.vocab_size));
  model.forward(tokens, {}, B, T);
  write_hugging_face(model, dir.path().string());
  nlohmann::json ids = nlohmann::json::array();
  for (int b = 0; b < B; ++b)
    ids.push_back(std::vector<std::int32_t>(tokens.begin() + b * T, tokens.begin() + (b + 1) * T));
  test::write_text(dir / "tokens.json", ids.dump());

  const auto r = test::run_command("/usr/bin/python3 " + std::string(BOREALIS_TEST_SOURCE) +
                                   "/model/hf_reference.py " + dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(dir / "hf_logits.json");
  const auto ref = nlohmann::json::parse(in);
  ASSERT_EQ(ref.size(), static_cast<std::size_t>(B * T));
  const auto ours = model.logits();
  const int Vp = c.padded_vocab();
  double worst = 0, scale = 0;
  for (int n = 0; n < B * T; ++n) {
    ASSERT_EQ(ref[static_cast<std::size_t>(n)].size(), static_cast<std::size_t>(c.vocab_size))
        << "the padding is cut off";
    for (int v = 0; v < c.vocab_size; ++v) {
      const double want = ref[static_cast<std::size_t>(n)][static_cast<std::size_t>(v)];
      worst = std::max(worst, std::fabs(want - ours[static_cast<std::size_t>(n * Vp + v)]));
      scale = std::max(scale, std::fabs(want));
    }
  }
  // float32 against a double reference: measured 1e-7 to 1e-6 of the largest logit.
  EXPECT_LT(worst, 1e-5 * scale) << "max |diff| " << worst << ", max |logit| " << scale;
  EXPECT_GT(scale, 0.0);

  const io::SafetensorsReader st(dir / "model.safetensors");
  EXPECT_EQ(st.metadata().at("format"), "pt");
}

ModelConfig tiny(Family f) {
  ModelConfig c;
  c.family = f;
  c.n_layers = 2;
  c.d_model = 64;
  c.n_heads = 4;
  c.n_kv_heads = 4;
  c.vocab_size = 300;  // padded to 320 inside Borealis
  c.max_seq_len = 48;
  return c;
}

TEST(HuggingFaceExport, LlamaMatchesTheHuggingFaceForward) {
  auto c = tiny(Family::llama);
  c.n_kv_heads = 2;  // grouped-query attention
  c.rope_theta = 500000.0;
  c.tied_embeddings = false;
  check_against_reference(c, 2, 40);
  c.tied_embeddings = true;
  check_against_reference(c, 1, 17);
}

TEST(HuggingFaceExport, Gpt2MatchesTheHuggingFaceForward) {
  auto c = tiny(Family::gpt2);
  c.tied_embeddings = true;
  check_against_reference(c, 2, 33);
  c.tied_embeddings = false;
  check_against_reference(c, 1, 48);
}

}  // namespace
}  // namespace borealis::model
