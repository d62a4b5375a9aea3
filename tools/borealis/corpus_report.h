#pragma once
// Shared by `corpus build-default` and `quickstart`: run the default-corpus
// build with a progress line and print its summary table.

#include <string>

#include "borealis/curate/default_corpus.h"

namespace borealis::cli {

curate::DefaultCorpusSummary build_default_corpus_with_progress(
    const std::string& out_dir, const curate::DefaultCorpusInputs& inputs, bool force);
void print_corpus_summary(const curate::DefaultCorpusSummary& summary);

}  // namespace borealis::cli
