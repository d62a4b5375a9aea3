#include "borealis/tokenize/regex_splitter.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <memory>

#include <fmt/format.h>

#include "borealis/util/error.h"

namespace borealis::tokenize {

struct RegexSplitter::Compiled {
  pcre2_code* code = nullptr;
  ~Compiled() {
    if (code != nullptr) pcre2_code_free(code);
  }
};

namespace {
std::string pcre2_message(int code) {
  PCRE2_UCHAR buffer[256];
  pcre2_get_error_message(code, buffer, sizeof(buffer));
  return reinterpret_cast<const char*>(buffer);
}
}  // namespace

// Tokenizer patterns are written for Rust's regex, where \s is exactly the
// Unicode White_Space property. PCRE2's \s in UCP mode differs (it also takes
// U+180E MONGOLIAN VOWEL SEPARATOR, found by the tiktoken oracle test), so \s
// and \S are rewritten to the explicit White_Space set.
constexpr const char* kWhiteSpace =
    "\\t\\n\\x{0B}\\f\\r\\x{20}\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}"
    "\\x{202F}\\x{205F}\\x{3000}";

std::string with_unicode_white_space(const std::string& pattern) {
  std::string out;
  bool in_class = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      const char n = pattern[i + 1];
      if (n == 's') {
        out += in_class ? std::string(kWhiteSpace) : "[" + std::string(kWhiteSpace) + "]";
      } else if (n == 'S' && !in_class) {
        out += "[^" + std::string(kWhiteSpace) + "]";
      } else if (n == 'S') {
        throw Error("pre-tokenizer pattern uses \\S inside a character class, which is not supported");
      } else {
        out += c;
        out += n;
      }
      ++i;
      continue;
    }
    if (c == '[' && !in_class) in_class = true;
    else if (c == ']' && in_class) in_class = false;
    out += c;
  }
  return out;
}

RegexSplitter::RegexSplitter(const std::string& pattern)
    : pattern_(pattern), compiled_(std::make_unique<Compiled>()) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  const std::string translated = with_unicode_white_space(pattern);
  compiled_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
                                  PCRE2_UTF | PCRE2_UCP, &error, &offset, nullptr);
  if (compiled_->code == nullptr) {
    throw Error(fmt::format("pre-tokenizer pattern does not compile at offset {}: {}", offset,
                            pcre2_message(error)));
  }
  // JIT is an accelerator, not a requirement: fall back to the interpreter.
  (void)pcre2_jit_compile(compiled_->code, PCRE2_JIT_COMPLETE);
}

RegexSplitter::~RegexSplitter() = default;
RegexSplitter::RegexSplitter(RegexSplitter&&) noexcept = default;
RegexSplitter& RegexSplitter::operator=(RegexSplitter&&) noexcept = default;

bool RegexSplitter::Matches::next(std::size_t& begin, std::size_t& end) {
  // Only the whole-match offsets are read, so one small match block per
  // thread serves every pattern (pcre2_match keeps no state in it between
  // calls; a nested split on the same thread is safe).
  thread_local const std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> data(
      pcre2_match_data_create(1, nullptr), &pcre2_match_data_free);
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text_.data());
  while (start_ <= text_.size()) {
    const int rc = pcre2_match(splitter_.compiled_->code, subject, text_.size(), start_,
                               utf_checked_ ? PCRE2_NO_UTF_CHECK : 0, data.get(), nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      if (rc <= PCRE2_ERROR_UTF8_ERR1 && rc >= PCRE2_ERROR_UTF8_ERR21) {
        throw Error(fmt::format("invalid UTF-8 at byte {}: {}", pcre2_get_startchar(data.get()),
                                pcre2_message(rc)));
      }
      throw Error(fmt::format("pre-tokenizer match failed: {}", pcre2_message(rc)));
    }
    // rc == 0 only says the capture groups did not fit; the match is there.
    utf_checked_ = true;
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data.get());
    if (ovector[1] == ovector[0]) {
      // Empty match: step over one UTF-8 character to make progress.
      start_ = ovector[1] + 1;
      while (start_ < text_.size() && (static_cast<unsigned char>(text_[start_]) & 0xC0) == 0x80)
        ++start_;
      continue;
    }
    begin = ovector[0];
    end = ovector[1];
    start_ = end;
    return true;
  }
  start_ = text_.size() + 1;
  return false;
}

}  // namespace borealis::tokenize
