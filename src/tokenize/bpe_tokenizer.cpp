#include "borealis/tokenize/bpe_tokenizer.h"

#include <filesystem>

#include "borealis/util/error.h"

namespace borealis::tokenize {

namespace {

// Split patterns of the OpenAI encodings, as tiktoken defines them.
const char* const kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
const char* const kCl100kPattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const char* const kO200kPattern =
    R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

const std::vector<EncodingSpec>& encodings() {
  static const std::vector<EncodingSpec> specs = {
      {"r50k_base", kGpt2Pattern, {{"<|endoftext|>", 50256}}},
      {"gpt2", kGpt2Pattern, {{"<|endoftext|>", 50256}}},
      {"p50k_base", kGpt2Pattern, {{"<|endoftext|>", 50256}}},
      {"p50k_edit",
       kGpt2Pattern,
       {{"<|endoftext|>", 50256},
        {"<|fim_prefix|>", 50281},
        {"<|fim_middle|>", 50282},
        {"<|fim_suffix|>", 50283}}},
      {"cl100k_base",
       kCl100kPattern,
       {{"<|endoftext|>", 100257},
        {"<|fim_prefix|>", 100258},
        {"<|fim_middle|>", 100259},
        {"<|fim_suffix|>", 100260},
        {"<|endofprompt|>", 100276}}},
      {"o200k_base", kO200kPattern, {{"<|endoftext|>", 199999}, {"<|endofprompt|>", 200018}}},
  };
  return specs;
}

}  // namespace

const EncodingSpec* find_encoding(std::string_view name) {
  for (const auto& spec : encodings())
    if (spec.name == name) return &spec;
  return nullptr;
}

std::string known_encoding_names() {
  std::string names;
  for (const auto& spec : encodings()) names += (names.empty() ? "" : ", ") + spec.name;
  return names;
}

BpeTokenizer BpeTokenizer::from_tiktoken(const std::string& path, std::string encoding) {
  if (encoding.empty()) encoding = std::filesystem::path(path).stem().string();
  const EncodingSpec* spec = find_encoding(encoding);
  if (spec == nullptr) {
    throw_file_error(path, "unknown tiktoken encoding '{}' (known: {}); name it with --encoding",
                     encoding, known_encoding_names());
  }
  return BpeTokenizer(spec->name, BpeVocabulary::load_tiktoken(path), spec->pattern,
                      spec->special_tokens);
}

BpeTokenizer::BpeTokenizer(std::string name, BpeVocabulary vocab, const std::string& pattern,
                           std::map<std::string, TokenId> special_tokens)
    : name_(std::move(name)),
      vocab_(std::move(vocab)),
      splitter_(pattern),
      special_tokens_(std::move(special_tokens)) {
  vocab_size_ = vocab_.id_limit();
  for (const auto& [text, id] : special_tokens_) {
    if (vocab_.contains_id(id))
      throw Error(fmt::format("{}: special token {} reuses id {} of an ordinary token", name_, text, id));
    vocab_size_ = std::max(vocab_size_, id + 1);
  }
  for (const auto& [text, id] : special_tokens_) special_by_id_[id] = text;
  special_matcher_ = SpecialTokenMatcher(special_tokens_);
  for (int b = 0; b < 256; ++b) {
    byte_id_[static_cast<std::size_t>(b)] = vocab_.rank(std::string(1, static_cast<char>(b)));
    if (byte_id_[static_cast<std::size_t>(b)] == BpeVocabulary::kNoRank)
      throw Error(fmt::format("{}: the vocabulary lacks the token for byte 0x{:02x}", name_, b));
  }
  merges_ = BpeMergeTable::from_ranks(vocab_);
  merges_.index_byte_pairs(byte_id_);
}

void BpeTokenizer::encode_piece(std::string_view piece, std::vector<TokenId>& out) const {
  merges_.encode_piece(piece, byte_id_, &vocab_, cache_owner_, out);
}

void BpeTokenizer::encode_ordinary(std::string_view text, std::vector<TokenId>& out) const {
  std::array<std::string_view, BpeMergeTable::kPieceGroup> group;
  std::size_t n = 0;
  splitter_.split(text, [&](std::string_view piece) {
    group[n++] = piece;
    if (n == group.size()) {
      merges_.encode_pieces(group, byte_id_, &vocab_, cache_owner_, out);
      n = 0;
    }
  });
  merges_.encode_pieces(std::span(group.data(), n), byte_id_, &vocab_, cache_owner_, out);
}

void BpeTokenizer::encode(std::string_view text, std::vector<TokenId>& out,
                          SpecialTokens allowed) const {
  if (allowed == SpecialTokens::kNone || special_tokens_.empty()) {
    encode_ordinary(text, out);
    return;
  }
  special_matcher_.split(
      text, [&](std::string_view ordinary) { encode_ordinary(ordinary, out); },
      [&](TokenId id) { out.push_back(id); });
}

std::optional<TokenId> BpeTokenizer::end_of_document() const {
  auto it = special_tokens_.find("<|endoftext|>");
  if (it == special_tokens_.end()) return std::nullopt;
  return it->second;
}

std::string BpeTokenizer::decode(std::span<const TokenId> ids) const {
  std::string text;
  for (TokenId id : ids) {
    if (vocab_.contains_id(id)) {
      text += vocab_.bytes(id);
    } else if (auto it = special_by_id_.find(id); it != special_by_id_.end()) {
      text += it->second;
    } else {
      throw Error(fmt::format("{}: token id {} is not in the vocabulary", name_, id));
    }
  }
  return text;
}

}  // namespace borealis::tokenize
