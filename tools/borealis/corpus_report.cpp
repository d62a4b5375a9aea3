#include "corpus_report.h"

#include <memory>

#include <fmt/format.h>

#include "borealis/util/progress.h"

namespace borealis::cli {

using util::format_bytes;
using util::format_count;

curate::DefaultCorpusSummary build_default_corpus_with_progress(
    const std::string& out_dir, const curate::DefaultCorpusInputs& inputs, bool force) {
  std::unique_ptr<util::ProgressLine> line;
  std::string current;
  auto summary = curate::build_default_corpus(
      out_dir, inputs, force, [&](const std::string& name, std::uint64_t docs) {
        if (name != current) {
          if (line) line->finish();
          current = name;
          line = std::make_unique<util::ProgressLine>("corpus " + name, 0, "docs");
        }
        line->update(docs);
      });
  if (line) line->finish();
  return summary;
}

void print_corpus_summary(const curate::DefaultCorpusSummary& summary) {
  fmt::print("{:<10} {:>10} {:>12} {:>12}  {}\n", "corpus", "documents", "text", "file", "path");
  std::uint64_t docs = 0, bytes = 0, file_bytes = 0;
  for (const auto& c : summary.corpora) {
    fmt::print("{:<10} {:>10} {:>12} {:>12}  {}{}\n", c.name, format_count(c.documents),
               format_bytes(c.bytes), format_bytes(c.file_bytes), c.path,
               c.reused ? "  (reused)" : "");
    docs += c.documents;
    bytes += c.bytes;
    file_bytes += c.file_bytes;
  }
  fmt::print("{:<10} {:>10} {:>12} {:>12}\n", "total", format_count(docs), format_bytes(bytes),
             format_bytes(file_bytes));
}

}  // namespace borealis::cli
