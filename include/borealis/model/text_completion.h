#pragma once
// Prompt text in, continuation text out: tokenizer + Generator + sampling,
// the piece `borealis generate`, the quickstart and (later) the OpenAI-style
// server share.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "borealis/model/generator.h"
#include "borealis/model/transformer.h"
#include "borealis/tokenize/tokenizer.h"

namespace borealis::model {

struct CompletionOptions {
  SamplingOptions sampling;
  int max_tokens = 64;
  std::vector<std::string> stop;  // stop strings (cut from the text)
};

struct TextCompletion {
  std::string text;  // the continuation only
  std::size_t prompt_tokens = 0;
  std::size_t tokens = 0;     // generated
  std::string finish_reason;  // "stop" (end of document or a stop string) or "length"
};

// The prompt starts as training documents do: after the tokenizer's
// beginning-of-document token, or else its end-of-document token. An
// end-of-document token ends the completion. borealis::Error when the
// prompt does not fit the model's context.
TextCompletion complete_text(const Transformer& model, const tokenize::Tokenizer& tokenizer,
                             const std::string& prompt, const CompletionOptions& options,
                             std::mt19937_64& rng);

}  // namespace borealis::model
