#include "borealis/tokenize/hugging_face_tokenizer.h"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "borealis/io/read_file.h"
#include "borealis/tokenize/byte_level_alphabet.h"
#include "borealis/util/error.h"
#include "borealis/util/utf8.h"

namespace borealis::tokenize {

namespace {

using nlohmann::json;
constexpr TokenId kNoToken = BpeVocabulary::kNoRank;

// GPT-2's split pattern: what ByteLevel's use_regex applies.
const char* const kByteLevelPattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

bool is_null_or(const json& j, const json& value) { return j.is_null() || j == value; }

// The token string of a bos_token/eos_token entry: "<s>" or {"content": "<s>", ...}.
std::optional<std::string> config_token(const json& config, const char* key) {
  if (!config.contains(key)) return std::nullopt;
  const json& v = config[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string())
    return v["content"].get<std::string>();
  return std::nullopt;
}

}  // namespace

std::unique_ptr<HuggingFaceTokenizer> HuggingFaceTokenizer::from_file(const std::string& path) {
  const json root = json::parse(io::read_file(path), nullptr, false);
  if (root.is_discarded() || !root.is_object())
    throw_file_error(path, "not a JSON object (a Hugging Face tokenizer.json was expected)");
  std::unique_ptr<HuggingFaceTokenizer> t(new HuggingFaceTokenizer());
  t->name_ = path;

  // --- model -------------------------------------------------------------
  if (!root.contains("model") || !root["model"].is_object())
    throw_file_error(path, "has no \"model\" object");
  const json& model = root["model"];
  const std::string type = model.value("type", std::string("BPE"));
  if (type != "BPE")
    throw_file_error(path, "model type \"{}\" is not supported (only byte-level BPE)", type);
  if (!model.contains("vocab") || !model["vocab"].is_object())
    throw_file_error(path, "model.vocab is missing or not an object");
  if (!model.contains("merges") || !model["merges"].is_array())
    throw_file_error(path, "model.merges is missing or not an array");
  if (model.contains("dropout") && !model["dropout"].is_null() &&
      !(model["dropout"].is_number() && model["dropout"].get<double>() == 0.0))
    throw_file_error(path, "model.dropout is set; BPE dropout is random and not supported");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (model.contains(key) && !is_null_or(model[key], ""))
      throw_file_error(path, "model.{} is set; only byte-level BPE without affixes is supported", key);
  }
  if (model.value("byte_fallback", false))
    throw_file_error(path, "model.byte_fallback is set; only byte-level BPE is supported");
  t->ignore_merges_ = model.value("ignore_merges", false);
  t->fuse_unk_ = model.value("fuse_unk", false);

  // Vocabulary: token strings in the byte-level alphabet -> ids.
  std::map<std::string, TokenId, std::less<>> id_of;
  std::string bytes;
  for (const auto& [token, id] : model["vocab"].items()) {
    if (!id.is_number_unsigned() || id.get<std::uint64_t>() >= kNoToken)
      throw_file_error(path, "model.vocab: id of token '{}' is not a valid non-negative integer", token);
    const auto tid = id.get<TokenId>();
    id_of.emplace(token, tid);
    t->vocab_size_ = std::max(t->vocab_size_, tid + 1);
    // Tokens outside the alphabet (e.g. "<unk>") can never come out of byte
    // merges; they decode through the added-token table if listed there.
    if (!byte_level_decode(token, bytes)) continue;
    if (t->vocab_.rank(bytes) != BpeVocabulary::kNoRank || t->vocab_.contains_id(tid))
      throw_file_error(path, "model.vocab: token '{}' (id {}) duplicates another token's bytes or id", token, tid);
    t->vocab_.add(bytes, tid);
  }
  t->byte_id_.fill(kNoToken);
  for (int b = 0; b < 256; ++b) t->byte_id_[static_cast<std::size_t>(b)] = t->vocab_.rank(std::string(1, static_cast<char>(b)));
  if (model.contains("unk_token") && model["unk_token"].is_string()) {
    const auto it = id_of.find(model["unk_token"].get<std::string>());
    if (it == id_of.end()) throw_file_error(path, "model.unk_token is not in model.vocab");
    t->unk_ = it->second;
  }

  // Merges: "left right" strings (older files) or [left, right] pairs.
  std::uint32_t rank = 0;
  for (const json& m : model["merges"]) {
    std::string left, right;
    if (m.is_string()) {
      const std::string s = m.get<std::string>();
      const std::size_t space = s.find(' ');
      if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos)
        throw_file_error(path, "model.merges[{}]: \"{}\" is not two tokens separated by one space", rank, s);
      left = s.substr(0, space);
      right = s.substr(space + 1);
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      left = m[0].get<std::string>();
      right = m[1].get<std::string>();
    } else {
      throw_file_error(path, "model.merges[{}] is neither \"a b\" nor [\"a\", \"b\"]", rank);
    }
    const auto l = id_of.find(left), r = id_of.find(right), merged = id_of.find(left + right);
    if (l == id_of.end() || r == id_of.end() || merged == id_of.end())
      throw_file_error(path, "model.merges[{}]: '{}' + '{}' uses a token that is not in model.vocab", rank, left, right);
    t->merges_.add(l->second, r->second, rank, merged->second);
    ++rank;
  }

  // --- normalizer and pre-tokenizers ---------------------------------------
  if (root.contains("normalizer") && !root["normalizer"].is_null()) {
    const json& n = root["normalizer"];
    const bool empty_sequence = n.value("type", "") == "Sequence" && n.contains("normalizers") &&
                                n["normalizers"].is_array() && n["normalizers"].empty();
    if (!empty_sequence)
      throw_file_error(path, "normalizer \"{}\" is not supported (only none)", n.value("type", "?"));
  }
  std::vector<const json*> pre;
  if (root.contains("pre_tokenizer") && !root["pre_tokenizer"].is_null()) {
    const json& p = root["pre_tokenizer"];
    if (p.value("type", "") == "Sequence") {
      if (!p.contains("pretokenizers") || !p["pretokenizers"].is_array())
        throw_file_error(path, "pre_tokenizer Sequence has no \"pretokenizers\" array");
      for (const json& step : p["pretokenizers"]) pre.push_back(&step);
    } else {
      pre.push_back(&p);
    }
  }
  bool byte_level = false;
  for (const json* step_json : pre) {
    const json& s = *step_json;
    const std::string kind = s.value("type", "");
    Step step;
    if (kind == "ByteLevel") {
      byte_level = true;
      step.add_prefix_space = s.value("add_prefix_space", false);
      if (s.value("use_regex", true)) step.regex = std::make_unique<RegexSplitter>(kByteLevelPattern);
    } else if (kind == "Split") {
      if (s.value("behavior", "") != "Isolated" || s.value("invert", false))
        throw_file_error(path, "pre_tokenizer Split with behavior \"{}\"{} is not supported (only Isolated)",
                         s.value("behavior", "?"), s.value("invert", false) ? " and invert" : "");
      const json& pattern = s.contains("pattern") ? s["pattern"] : json();
      if (pattern.contains("Regex") && pattern["Regex"].is_string()) {
        try {
          step.regex = std::make_unique<RegexSplitter>(pattern["Regex"].get<std::string>());
        } catch (const Error& e) {
          throw_file_error(path, "pre_tokenizer Split: {}", e.what());
        }
      } else if (pattern.contains("String") && pattern["String"].is_string() &&
                 !pattern["String"].get<std::string>().empty()) {
        step.literal = pattern["String"].get<std::string>();
      } else {
        throw_file_error(path, "pre_tokenizer Split has no Regex or String pattern");
      }
    } else {
      throw_file_error(path, "pre_tokenizer \"{}\" is not supported (only ByteLevel and Split)", kind);
    }
    if (step.regex != nullptr) t->steps_check_utf8_ = true;
    if (step.regex == nullptr && step.literal.empty() && !step.add_prefix_space) continue;  // no-op
    t->steps_.push_back(std::move(step));
  }
  if (!byte_level)
    throw_file_error(path, "has no ByteLevel pre-tokenizer; only byte-level BPE tokenizers are supported");
  for (int b = 0; b < 256; ++b) {
    if (t->byte_id_[static_cast<std::size_t>(b)] == kNoToken && !t->unk_)
      throw_file_error(path, "model.vocab lacks the token for byte 0x{:02x} and has no unk_token", b);
  }
  if (!t->unk_) t->merges_.index_byte_pairs(t->byte_id_);

  // --- added tokens --------------------------------------------------------
  std::map<std::string, TokenId> non_special;
  if (root.contains("added_tokens") && root["added_tokens"].is_array()) {
    for (const json& a : root["added_tokens"]) {
      if (!a.contains("content") || !a["content"].is_string() || !a.contains("id") ||
          !a["id"].is_number_unsigned())
        throw_file_error(path, "added_tokens: an entry lacks \"content\" or \"id\"");
      const std::string content = a["content"].get<std::string>();
      for (const char* flag : {"lstrip", "rstrip", "single_word"})
        if (a.value(flag, false))
          throw_file_error(path, "added token '{}' sets {}, which is not supported", content, flag);
      const auto id = a["id"].get<TokenId>();
      t->added_[content] = id;
      t->added_by_id_[id] = content;
      if (!a.value("special", false)) non_special[content] = id;
      t->vocab_size_ = std::max(t->vocab_size_, id + 1);
    }
  }
  t->all_added_ = SpecialTokenMatcher(t->added_);
  t->non_special_added_ = SpecialTokenMatcher(non_special);

  // --- beginning / end of document ----------------------------------------
  auto id_of_token = [&](const std::string& token) -> std::optional<TokenId> {
    if (auto it = t->added_.find(token); it != t->added_.end()) return it->second;
    if (auto it = id_of.find(token); it != id_of.end()) return it->second;
    return std::nullopt;
  };
  const auto config_path = std::filesystem::path(path).parent_path() / "tokenizer_config.json";
  if (std::filesystem::exists(config_path)) {
    const json config = json::parse(io::read_file(config_path.string()), nullptr, false);
    if (config.is_discarded() || !config.is_object())
      throw_file_error(config_path.string(), "not a JSON object");
    if (auto bos = config_token(config, "bos_token")) t->bos_ = id_of_token(*bos);
    if (auto eos = config_token(config, "eos_token")) t->eos_ = id_of_token(*eos);
  }
  if (!t->bos_ && root.contains("post_processor") && root["post_processor"].is_object()) {
    // TemplateProcessing's "single": [{"SpecialToken": {"id": "<s>"}}, {"Sequence": ...}]
    const json& pp = root["post_processor"];
    if (pp.value("type", "") == "TemplateProcessing" && pp.contains("single") && pp["single"].is_array() &&
        !pp["single"].empty() && pp["single"][0].contains("SpecialToken"))
      t->bos_ = id_of_token(pp["single"][0]["SpecialToken"].value("id", ""));
  }
  if (!t->eos_) {
    for (const char* name : {"<|endoftext|>", "<|end_of_text|>", "</s>", "<eos>"})
      if ((t->eos_ = id_of_token(name))) break;
  }
  return t;
}

void HuggingFaceTokenizer::encode_piece(std::string_view piece, std::vector<TokenId>& out) const {
  if (!unk_) {  // every byte has a token (checked when loading)
    merges_.encode_piece(piece, byte_id_, ignore_merges_ ? &vocab_ : nullptr, cache_owner_, out);
    return;
  }
  if (piece.empty()) return;
  if (ignore_merges_) {
    if (const TokenId whole = vocab_.rank(piece); whole != kNoToken) {
      out.push_back(whole);
      return;
    }
  }
  // Bytes the vocabulary lacks become unk (fused when asked), as `tokenizers` does.
  std::vector<TokenId> word;
  word.reserve(piece.size());
  for (const char c : piece) {
    TokenId id = byte_id_[static_cast<unsigned char>(c)];
    if (id == kNoToken) {
      if (fuse_unk_ && !word.empty() && word.back() == *unk_) continue;
      id = *unk_;
    }
    word.push_back(id);
  }
  merges_.merge(word, out);
}

void HuggingFaceTokenizer::pre_tokenize(std::string_view piece, std::size_t step,
                                        std::vector<TokenId>& out) const {
  if (step == steps_.size()) {
    encode_piece(piece, out);
    return;
  }
  const Step& s = steps_[step];
  std::string prefixed;
  if (s.add_prefix_space && !piece.starts_with(' ')) {
    prefixed.reserve(piece.size() + 1);
    prefixed += ' ';
    prefixed += piece;
    piece = prefixed;
  }
  if (s.regex != nullptr) {
    s.regex->split_isolated(piece, [&](std::string_view p) { pre_tokenize(p, step + 1, out); });
  } else if (!s.literal.empty()) {
    std::size_t done = 0;
    for (std::size_t at = piece.find(s.literal); at != std::string_view::npos;
         at = piece.find(s.literal, done)) {
      if (at > done) pre_tokenize(piece.substr(done, at - done), step + 1, out);
      pre_tokenize(piece.substr(at, s.literal.size()), step + 1, out);
      done = at + s.literal.size();
    }
    if (done < piece.size()) pre_tokenize(piece.substr(done), step + 1, out);
  } else {
    pre_tokenize(piece, step + 1, out);
  }
}

void HuggingFaceTokenizer::encode_segment(std::string_view segment, std::vector<TokenId>& out) const {
  if (segment.empty()) return;
  if (!steps_check_utf8_) {
    std::string scratch;
    if (util::sanitize_utf8(segment, scratch) != 0) throw Error("invalid UTF-8 in the text to encode");
  }
  pre_tokenize(segment, 0, out);
}

void HuggingFaceTokenizer::encode(std::string_view text, std::vector<TokenId>& out,
                                  SpecialTokens allowed) const {
  const SpecialTokenMatcher& matcher = allowed == SpecialTokens::kAll ? all_added_ : non_special_added_;
  matcher.split(
      text, [&](std::string_view segment) { encode_segment(segment, out); },
      [&](TokenId id) { out.push_back(id); });
}

std::string HuggingFaceTokenizer::decode(std::span<const TokenId> ids) const {
  std::string text;
  for (const TokenId id : ids) {
    if (auto it = added_by_id_.find(id); it != added_by_id_.end()) {
      text += it->second;
    } else if (vocab_.contains_id(id)) {
      text += vocab_.bytes(id);
    } else {
      throw Error(fmt::format("{}: token id {} is not in the vocabulary", name_, id));
    }
  }
  return text;
}

}  // namespace borealis::tokenize
