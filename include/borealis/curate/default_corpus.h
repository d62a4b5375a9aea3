#pragma once
// The embedded default science corpus: JSONL documents built from reference
// data that Debian packages install (dict-gcide, dict-elements, dict-foldoc,
// units), so a fresh machine can produce a small science corpus offline.
//
//   gcide.jsonl     science-tagged senses of GCIDE (Webster 1913 + WordNet)
//   elements.jsonl  one document per chemical element, structured fields kept
//   foldoc.jsonl    the Free On-line Dictionary of Computing
//   codata.jsonl    physical constants from GNU units' definitions.units
//
// Every line is one JSON object with at least "id", "source" and "text"; all
// strings are valid UTF-8 (inputs that are not UTF-8 are read as Windows-1252).

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "borealis/curate/dictd_file.h"

namespace borealis::curate {

struct DefaultCorpusInputs {  // where the Debian packages put their data
  std::string dictd_dir = "/usr/share/dictd";
  std::string units_file = "/usr/share/units/definitions.units";
};

struct CorpusFileSummary {
  std::string name;  // "gcide", "elements", "foldoc", "codata"
  std::string path;  // OUT_DIR/<name>.jsonl
  std::uint64_t documents = 0;
  std::uint64_t bytes = 0;  // bytes of the "text" fields, UTF-8
  std::uint64_t file_bytes = 0;
  bool reused = false;
};

struct DefaultCorpusSummary {
  std::vector<CorpusFileSummary> corpora;
};

// Writes OUT_DIR/{gcide,elements,foldoc,codata}.jsonl (each atomically) and
// OUT_DIR/manifest.json last. If manifest.json exists, was written by this
// version from the same inputs, and every listed file exists with the recorded
// size, nothing is rebuilt (reused=true) unless `force`. A missing input gives
// a one-line borealis::Error naming the file and the Debian package to install.
// progress(name, documents_so_far) may be empty.
DefaultCorpusSummary build_default_corpus(
    const std::string& out_dir, const DefaultCorpusInputs& inputs = {}, bool force = false,
    const std::function<void(const std::string&, std::uint64_t)>& progress = {});

// ---------------------------------------------------------------------------
// The per-source converters behind build_default_corpus, public for tests and
// for callers that want one source. Each calls `sink` once per document, in
// input order, and returns the number of documents.
using CorpusDocumentSink = std::function<void(nlohmann::ordered_json&&)>;

// One document per science-tagged GCIDE sense:
// {"id":"gcide:<n>","source":"gcide","headword","fields":[...],"text"}.
std::uint64_t convert_gcide(const DictdFile& db, const CorpusDocumentSink& sink);

// One document per element: {"id":"elements:<symbol>","source":"elements",
// "name","symbol","atomic_number","atomic_weight","atomic_weight_estimated","text"}.
std::uint64_t convert_elements(const DictdFile& db, const CorpusDocumentSink& sink);

// One document per FOLDOC entry that is more than a redirect:
// {"id":"foldoc:<n>","source":"foldoc","title","aliases","categories","date","text"}.
std::uint64_t convert_foldoc(const DictdFile& db, const CorpusDocumentSink& sink);

// One document per definition in the "Physical constants" part of a GNU units
// file: {"id":"codata:<name>","source":"codata","name","definition","comment",
// "section","text"}.
std::uint64_t convert_codata(const std::string& units_file, const CorpusDocumentSink& sink);

// ---------------------------------------------------------------------------
// Text helpers shared by the converters (exposed for tests).

// Valid UTF-8 sequences are kept; every other byte is read as Windows-1252.
std::string to_utf8(std::string_view bytes);

// GCIDE markup -> plain UTF-8 text: entities like ["o] [ae] ['e] [deg] become
// characters, {braces} and stress marks inside them go, \pronunciations\ and
// source markers like [1913 Webster] are dropped, whitespace is collapsed.
std::string clean_gcide_text(std::string_view text);

// True when a GCIDE field label (one component of a "(Chem. & Physics)" tag)
// names a natural science, mathematics, medicine or computing.
bool is_science_field(std::string_view label);

}  // namespace borealis::curate
