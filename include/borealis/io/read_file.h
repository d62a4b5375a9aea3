#pragma once
// Whole-file reads for inputs small enough to hold in memory (vocabularies,
// dictionaries, config). Large data goes through MappedFile instead.

#include <string>

namespace borealis::io {

// The file's bytes. Throws borealis::Error naming the file if it cannot be
// opened or read, or is not a regular file (a FIFO would block).
std::string read_file(const std::string& path);

}  // namespace borealis::io
