#pragma once
// One place that turns a tokenizer SPEC (a path) into a tokenizer, so every
// command accepts the same files:
//   *.tiktoken                   OpenAI rank file; encoding from the file name or `encoding`
//   tokenizer.json (any .json)   Hugging Face byte-level BPE tokenizer
//   vocab.json / encoder.json    GPT-2 vocabulary, with merges.txt or vocab.bpe beside it
//   *.model                      SentencePiece model

#include <memory>
#include <string>

#include "borealis/tokenize/bpe_tokenizer.h"
#include "borealis/tokenize/tokenizer.h"

namespace borealis::tokenize {

// Throws borealis::Error naming the file for unknown or unsupported files.
std::unique_ptr<Tokenizer> load_tokenizer(const std::string& spec,
                                          const std::string& encoding = "");
// The byte-level BPE files only (.tiktoken, vocab.json + merges.txt).
BpeTokenizer load_bpe_tokenizer(const std::string& spec, const std::string& encoding = "");

}  // namespace borealis::tokenize
