#include "borealis/tokenize/tokenizer_loader.h"

#include <filesystem>

#include "borealis/tokenize/hugging_face_tokenizer.h"
#include "borealis/tokenize/sentencepiece_tokenizer.h"
#include "borealis/util/error.h"

namespace borealis::tokenize {

namespace {
// GPT-2's own file names; any other .json is read as a Hugging Face tokenizer.json.
bool is_gpt2_vocabulary(const std::filesystem::path& path) {
  return path.filename() == "vocab.json" || path.filename() == "encoder.json";
}
}  // namespace

std::unique_ptr<Tokenizer> load_tokenizer(const std::string& spec, const std::string& encoding) {
  const std::filesystem::path path(spec);
  if (path.extension() == ".model") return std::make_unique<SentencePieceTokenizer>(spec);
  if (path.extension() == ".json" && !is_gpt2_vocabulary(path))
    return HuggingFaceTokenizer::from_file(spec);
  return std::make_unique<BpeTokenizer>(load_bpe_tokenizer(spec, encoding));
}

BpeTokenizer load_bpe_tokenizer(const std::string& spec, const std::string& encoding) {
  const std::filesystem::path path(spec);
  if (path.extension() == ".tiktoken") return BpeTokenizer::from_tiktoken(spec, encoding);
  if (is_gpt2_vocabulary(path)) {
    for (const char* merges_name : {"merges.txt", "vocab.bpe"}) {
      const auto merges = path.parent_path() / merges_name;
      if (!std::filesystem::exists(merges)) continue;
      std::map<std::string, TokenId> specials;
      auto vocab = BpeVocabulary::load_gpt2(spec, merges.string(), specials);
      // GPT-2 files carry no split pattern; they are GPT-2's (tiktoken's r50k/gpt2).
      return BpeTokenizer("gpt2", std::move(vocab), find_encoding("gpt2")->pattern,
                          std::move(specials));
    }
    throw_file_error(spec, "a GPT-2 vocabulary needs merges.txt (or vocab.bpe) beside it");
  }
  throw_file_error(spec,
                   "unknown tokenizer file (expected .tiktoken, a Hugging Face tokenizer.json, "
                   "vocab.json with merges.txt, or a SentencePiece .model)");
}

}  // namespace borealis::tokenize
