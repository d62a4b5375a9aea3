#include "borealis/tokenize/tokenizer_loader.h"

#include <filesystem>

#include "borealis/tokenize/sentencepiece_tokenizer.h"
#include "borealis/util/error.h"

namespace borealis::tokenize {

std::unique_ptr<Tokenizer> load_tokenizer(const std::string& spec, const std::string& encoding) {
  if (std::filesystem::path(spec).extension() == ".model")
    return std::make_unique<SentencePieceTokenizer>(spec);
  return std::make_unique<BpeTokenizer>(load_bpe_tokenizer(spec, encoding));
}

BpeTokenizer load_bpe_tokenizer(const std::string& spec, const std::string& encoding) {
  const std::filesystem::path path(spec);
  if (path.extension() == ".tiktoken") return BpeTokenizer::from_tiktoken(spec, encoding);
  if (path.extension() == ".json" && path.filename() != "tokenizer.json") {
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
  if (path.filename() == "tokenizer.json")
    throw_file_error(spec, "Hugging Face tokenizer.json is not supported yet");
  throw_file_error(spec,
                   "unknown tokenizer file (expected .tiktoken, vocab.json with merges.txt, or a "
                   "SentencePiece .model)");
}

}  // namespace borealis::tokenize
