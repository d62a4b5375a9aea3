#pragma once
// Learns a byte-level BPE vocabulary from text: the classic algorithm of
// GPT-2 and of Hugging Face's BpeTrainer. Text is split by a pre-tokenizer
// pattern into words; each word starts as its bytes (ids 0..255, in byte
// order, as in tiktoken); the most frequent adjacent pair (over all words,
// weighted by word count) becomes the next token, with the next id, until
// the vocabulary is full or no pair occurs `min_frequency` times.
//
// Deterministic: ties in frequency go to the smaller (left id, right id)
// pair, and nothing depends on hash order or thread count, so the same
// input and options give byte-identical files.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "borealis/tokenize/regex_splitter.h"
#include "borealis/tokenize/tokenizer.h"

namespace borealis::tokenize {

struct BpeTrainerOptions {
  TokenId vocab_size = 8192;  // total: 256 byte tokens + merges + special tokens
  std::uint64_t min_frequency = 2;
  std::string pattern_name = "cl100k_base";  // pre-tokenizer pattern of this OpenAI encoding
  std::vector<std::string> special_tokens = {"<|endoftext|>"};
};

// The learned vocabulary: ids 0..255 are the bytes, then the merged tokens
// in the order they were learned, then the special tokens. A merge whose
// result is already a token (a + bc after ab + c) reuses that token's id,
// as the `tokenizers` trainer does, so there can be more merges than tokens.
struct TrainedBpe {
  struct Merge {
    TokenId left, right, result;
  };
  std::string pattern;
  std::vector<Merge> merges;             // in priority order
  std::vector<std::string> token_bytes;  // id -> bytes, for the ordinary tokens
  std::vector<std::string> special_tokens;          // ids follow token_bytes
};

class BpeTrainer {
 public:
  explicit BpeTrainer(BpeTrainerOptions options);

  // Counts the words of one document (valid UTF-8; throws otherwise).
  void add_text(std::string_view text);
  std::uint64_t distinct_words() const { return word_counts_.size(); }

  // Runs the merges. `on_merge(tokens, target)` is called now and then.
  TrainedBpe train(const std::function<void(std::size_t, std::size_t)>& on_merge = {}) const;

 private:
  BpeTrainerOptions options_;
  RegexSplitter splitter_;
  std::unordered_map<std::string, std::uint64_t> word_counts_;
};

// Writes the two files a trained vocabulary is used through, each atomically:
//   tokenizer.json   a Hugging Face tokenizer (Split + ByteLevel, BPE with
//                    the merges in order; the special tokens as added tokens)
//   <name>.tiktoken  the rank file (base64 bytes + rank per line)
// Returns the paths written.
std::vector<std::string> write_trained_bpe(const TrainedBpe& bpe, const std::string& directory,
                                           const std::string& name);

}  // namespace borealis::tokenize
