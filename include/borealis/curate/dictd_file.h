#pragma once
// Reader for dictd databases (the format of the Debian dict-* packages).
//
// A database is NAME.index plus NAME.dict.dz (dictzip, which any gzip reader
// can inflate) or an uncompressed NAME.dict. Each index line is
//   headword TAB offset TAB length [TAB original headword]
// with offset and length written in dictd's base64 (alphabet A-Za-z0-9+/,
// most significant digit first) and counting bytes of the uncompressed text.
// Many headwords point at the same entry, so entries are deduplicated by
// offset and returned in file order with every headword that names them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace borealis::curate {

struct DictdEntry {
  std::vector<std::string> headwords;  // index lines naming this entry, in index order
  std::uint64_t offset = 0;            // byte offset in the uncompressed .dict text
  std::uint64_t length = 0;
  std::string text;  // the entry's raw bytes (encoding is whatever the database uses)
};

// Decodes one dictd base64 number; nullopt for an empty string, a character
// outside the alphabet, or a value that does not fit in 64 bits.
std::optional<std::uint64_t> decode_dictd_number(std::string_view digits);

// True for the "00-database-*" / "00database*" entries dictfmt adds to every
// database (name, URL, licence): metadata, not dictionary content.
bool is_dictd_meta_headword(std::string_view headword);

class DictdFile {
 public:
  // Opens DIR/NAME.index with DIR/NAME.dict.dz, or DIR/NAME.dict when there is
  // no .dict.dz. Throws borealis::Error naming the file on any problem.
  static DictdFile open(const std::string& dir, const std::string& name);

  // Reads an explicit index/dict pair. A dict path ending in ".dz" must be
  // gzip/dictzip; anything else is read as plain text.
  DictdFile(std::string index_path, std::string dict_path);

  const std::string& index_path() const { return index_path_; }
  const std::string& dict_path() const { return dict_path_; }
  // Unique entries in file (offset) order.
  const std::vector<DictdEntry>& entries() const { return entries_; }
  std::uint64_t index_lines() const { return index_lines_; }
  std::uint64_t dict_bytes() const { return dict_bytes_; }

 private:
  std::string index_path_;
  std::string dict_path_;
  std::vector<DictdEntry> entries_;
  std::uint64_t index_lines_ = 0;
  std::uint64_t dict_bytes_ = 0;
};

}  // namespace borealis::curate
