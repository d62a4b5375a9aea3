#include "borealis/dist/rank_outputs.h"

#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "borealis/data/indexed_dataset.h"
#include "borealis/io/atomic_output_file.h"
#include "borealis/io/file_identity.h"
#include "borealis/io/read_file.h"
#include "borealis/util/error.h"

namespace borealis::dist {

namespace {

nlohmann::json dataset_identity(const std::string& prefix) {
  return nlohmann::json::array({io::file_identity(data::index_path(prefix)),
                                io::file_identity(data::data_path(prefix))});
}

}  // namespace

std::string rank_output_prefix(const std::string& prefix, int rank, int size) {
  const int width = static_cast<int>(std::to_string(size).size());
  return fmt::format("{}.rank{:0{}}-of-{}", prefix, rank, width, size);
}

RankMergeSummary merge_rank_outputs(const std::string& output_prefix_or_path,
                                    const std::vector<std::string>& rank_prefixes,
                                    const data::MergeProgress& progress) {
  const std::string prefix = data::dataset_prefix(output_prefix_or_path);
  const std::string done_path = prefix + ".done.json";
  nlohmann::json inputs = nlohmann::json::array();
  for (const auto& p : rank_prefixes) inputs.push_back(dataset_identity(data::dataset_prefix(p)));

  RankMergeSummary result;
  if (std::filesystem::exists(done_path)) {
    try {
      const auto previous = nlohmann::json::parse(io::read_file(done_path));
      if (previous.at("merged_from") == inputs && previous.at("output") == dataset_identity(prefix)) {
        const auto& s = previous.at("summary");
        result.merged = {s.at("sequences").get<std::uint64_t>(), s.at("documents").get<std::uint64_t>(),
                         s.at("tokens").get<std::uint64_t>(), s.at("bin_bytes").get<std::uint64_t>()};
        result.reused = true;
        return result;
      }
    } catch (const std::exception&) {
      // Another kind of record (a one-process tokenize), unreadable, or the
      // output is gone: merge again.
    }
  }
  std::filesystem::remove(done_path);
  result.merged = data::merge_indexed_datasets(prefix, rank_prefixes, progress);
  const auto& m = result.merged;
  io::write_file_atomically(
      done_path, nlohmann::json{{"merged_from", inputs},
                                {"output", dataset_identity(prefix)},
                                {"summary",
                                 {{"sequences", m.sequences},
                                  {"documents", m.documents},
                                  {"tokens", m.tokens},
                                  {"bin_bytes", m.bin_bytes}}}}
                         .dump(2) +
                     "\n");
  return result;
}

}  // namespace borealis::dist
