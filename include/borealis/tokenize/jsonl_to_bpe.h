#pragma once
// JSONL documents -> a trained byte-level BPE tokenizer in a directory: what
// `borealis tokenizer train` and the quickstart do. Writes tokenizer.json and
// NAME.tiktoken atomically, then train.done.json recording the inputs (path,
// size, mtime) and options; a re-run with the same record reuses the files.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "borealis/tokenize/bpe_trainer.h"

namespace borealis::tokenize {

struct BpeTrainingSummary {
  std::uint64_t documents = 0;
  std::uint64_t text_bytes = 0;
  std::uint64_t invalid_utf8_replaced = 0;
  std::uint64_t distinct_words = 0;
  std::uint64_t vocab_size = 0;  // learned + byte + special tokens (may be below the target)
  std::uint64_t merges = 0;
  std::string tokenizer_json;
  std::string rank_file;
  bool reused = false;
};

struct BpeTrainingProgress {
  std::function<void(std::uint64_t bytes_read, std::uint64_t documents)> reading;
  std::function<void(std::size_t tokens, std::size_t target)> merging;
};

BpeTrainingSummary train_bpe_from_jsonl(const std::vector<std::string>& inputs,
                                        const std::string& json_key,
                                        const BpeTrainerOptions& options,
                                        const std::string& directory, const std::string& name,
                                        const BpeTrainingProgress& progress = {});

}  // namespace borealis::tokenize
