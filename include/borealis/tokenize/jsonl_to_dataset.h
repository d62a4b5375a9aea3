#pragma once
// JSONL documents -> one Megatron .bin/.idx dataset: what `borealis tokenize`
// does in one process. Each line {"<json_key>": text, ...} becomes one
// document of one sequence (Megatron's preprocess layout).

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "borealis/tokenize/tokenizer.h"

namespace borealis::tokenize {

struct JsonlTokenizeOptions {
  std::string json_key = "text";
  bool prepend_bos = false;     // start every document with the tokenizer's beginning-of-document id
  bool append_eod = false;      // end every document with the tokenizer's end-of-document id
  bool skip_bad_lines = false;  // count and skip lines that are not JSON or lack the key
  bool drop_empty = false;      // drop empty documents instead of keeping zero-length ones
  SpecialTokens allowed_special = SpecialTokens::kNone;
  unsigned workers = 1;  // threads encoding documents; the output does not depend on it
};

struct JsonlTokenizeSummary {
  std::uint64_t documents = 0;
  std::uint64_t tokens = 0;
  std::uint64_t text_bytes = 0;
  std::uint64_t bad_lines = 0;
  std::uint64_t invalid_utf8_replaced = 0;  // sequences replaced by U+FFFD
  std::uint64_t empty_documents = 0;        // kept (or dropped with drop_empty)
  bool reused = false;                      // output was already complete
};

// Called now and then with (documents so far, input bytes read so far).
using JsonlTokenizeProgress = std::function<void(std::uint64_t, std::uint64_t)>;

// Writes OUTPUT_PREFIX.{bin,idx} atomically, then OUTPUT_PREFIX.done.json
// recording the inputs (path, size, mtime), tokenizer and options. If that
// record matches and the dataset validates, nothing is redone (reused=true).
JsonlTokenizeSummary tokenize_jsonl_to_dataset(const Tokenizer& tokenizer,
                                               const std::string& tokenizer_path,
                                               const std::vector<std::string>& inputs,
                                               const std::string& output_prefix,
                                               const JsonlTokenizeOptions& options,
                                               const JsonlTokenizeProgress& progress = {});

}  // namespace borealis::tokenize
