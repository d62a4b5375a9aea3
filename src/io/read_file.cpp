#include "borealis/io/read_file.h"

#include "borealis/io/mapped_file.h"

namespace borealis::io {

std::string read_file(const std::string& path) {
  MappedFile file(path);  // refuses FIFOs and directories with one-line errors
  if (file.size() == 0) return {};
  return std::string(reinterpret_cast<const char*>(file.data()), file.size());
}

}  // namespace borealis::io
