#pragma once
// Small text utilities shared by the default-corpus converters (private to src/curate).

#include <string>
#include <string_view>

namespace borealis::curate::text {

bool is_space(char c);
std::string_view trim(std::string_view s);
// Runs of spaces, tabs and newlines become one space; ends are trimmed.
std::string collapse_whitespace(std::string_view s);
// "hydrogen" -> "Hydrogen" (ASCII first letter only; enough for these sources).
std::string capitalize_first(std::string_view s);
// True when the text only points elsewhere: once {links} are removed, nothing
// is left but "See"/"also", sense numbers and punctuation.
bool is_redirect(std::string_view raw);
// Appends "." unless the text already ends a sentence.
std::string end_sentence(std::string_view s);

}  // namespace borealis::curate::text
