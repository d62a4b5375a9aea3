#pragma once
// One place that turns a tokenizer SPEC (a path) into a tokenizer, so every
// command accepts the same files:
//   *.tiktoken                   OpenAI rank file; encoding from the file name or `encoding`
//   vocab.json / encoder.json    GPT-2 vocabulary, with merges.txt or vocab.bpe beside it

#include <string>

#include "borealis/tokenize/bpe_tokenizer.h"

namespace borealis::tokenize {

// Throws borealis::Error naming the file for unknown or unsupported files.
BpeTokenizer load_tokenizer(const std::string& spec, const std::string& encoding = "");

}  // namespace borealis::tokenize
