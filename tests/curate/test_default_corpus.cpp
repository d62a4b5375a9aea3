#include "borealis/curate/default_corpus.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "borealis/util/error.h"
#include "test_util.h"

namespace borealis::curate {
namespace {

using nlohmann::ordered_json;
using test::TempDir;

std::string fixture_dir() { return test::data_dir() + "/corpus"; }
std::string fixture_units() { return fixture_dir() + "/definitions.units"; }

DefaultCorpusInputs fixture_inputs() {
  DefaultCorpusInputs inputs;
  inputs.dictd_dir = fixture_dir();
  inputs.units_file = fixture_units();
  return inputs;
}

template <typename Convert>
std::vector<ordered_json> collect(Convert&& convert) {
  std::vector<ordered_json> docs;
  convert([&](ordered_json&& doc) { docs.push_back(std::move(doc)); });
  return docs;
}

using test::error_of;

// Every line must parse as a JSON object with string id/source/text.
std::vector<nlohmann::json> read_jsonl(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<nlohmann::json> docs;
  std::string line;
  while (std::getline(in, line)) {
    nlohmann::json doc = nlohmann::json::parse(line);  // throws on invalid UTF-8 / JSON
    EXPECT_TRUE(doc.at("id").is_string());
    EXPECT_TRUE(doc.at("source").is_string());
    EXPECT_TRUE(doc.at("text").is_string());
    docs.push_back(std::move(doc));
  }
  return docs;
}

// ------------------------------------------------------------------ helpers

TEST(CorpusText, ToUtf8KeepsUtf8AndReadsTheRestAsWindows1252) {
  EXPECT_EQ(to_utf8("plain"), "plain");
  EXPECT_EQ(to_utf8("Zo\xc3\xb6l."), "Zoöl.");  // already UTF-8
  EXPECT_EQ(to_utf8("Zo\xf6l."), "Zoöl.");      // Latin-1
  EXPECT_EQ(to_utf8("fa\xe7"
                    "ade"),
            "façade");
  EXPECT_EQ(to_utf8("market\x92s"), "market’s");  // Windows-1252 quote
  EXPECT_EQ(to_utf8("ö then \xf6"), "ö then ö");  // mixed line
  // An encoded UTF-16 surrogate is not UTF-8: its bytes are read one by one.
  EXPECT_EQ(to_utf8("\xed\xa0\x80"), "\xc3\xad\xc2\xa0\xe2\x82\xac");
}

TEST(CorpusText, CleanGcideMarkup) {
  EXPECT_EQ(clean_gcide_text("Absorption \\Ab*sorp\"tion\\, n."), "Absorption, n.");
  EXPECT_EQ(clean_gcide_text("  See {Ab\"sorb*a*ble}\n   and {Absorb}.  "),
            "See Absorbable and Absorb.");
  EXPECT_EQ(clean_gcide_text("text.\n   [1913 Webster]\n"), "text.");
  EXPECT_EQ(clean_gcide_text("a [PJC] b [WordNet 1.5] c [Webster 1913 Suppl.] d"), "a b c d");
  EXPECT_EQ(clean_gcide_text("x [WordNet 1.5 +PJC] y [1913 Webster + AS]"), "x y");
  // Usage labels are content, not source markers.
  EXPECT_EQ(clean_gcide_text("A thing. [Obs.] [R.]"), "A thing. [Obs.] [R.]");
  EXPECT_EQ(clean_gcide_text("-273[deg] C; Zo[\"o]l.; [AE]on; caf['e]; [alpha] ray"),
            "-273° C; Zoöl.; Æon; café; α ray");
  EXPECT_EQ(clean_gcide_text("[frac12] and [frac67]"), "½ and 6/7");
  EXPECT_EQ(clean_gcide_text(", the beginning"), "the beginning");
  EXPECT_EQ(clean_gcide_text("-- {A*ba\"sic} ([.a]*b[=a]\"s[i^]k), a."), "-- Abasic, a.");
  // Asides and quoted words in parentheses stay.
  EXPECT_EQ(clean_gcide_text("a (\"soft\") touch"), "a (\"soft\") touch");
  EXPECT_EQ(clean_gcide_text("grains (\"protein granules\") in"),
            "grains (\"protein granules\") in");
}

TEST(CorpusText, ScienceFields) {
  for (const char* label :
       {"Physics",  "Chem.",   "Zool.",          "Zoöl.",       "Zo[\"o]l.", "Zool",
        "Bot.",     "Astron.", "Geol.",          "Math.",       "math.",     "Med.",
        "Anat.",    "Elec.",   "Min.",           "Physiol.",    "Geom.",     "Opt.",
        "Mech.",    "Meteor.", "Paleon.",        "Crystallog.", "Biochem.",  "Astrophysics",
        "Genetics", "Pharm.",  "Physiol. Chem.", "Computers"}) {
    EXPECT_TRUE(is_science_field(label)) << label;
  }
  for (const char* label : {"Law", "Naut.", "Mus.", "Her.", "Mach.", "Mining", "Theol.", "Cookery",
                            "Gram.", "lounj", "such as that of a bird"}) {
    EXPECT_FALSE(is_science_field(label)) << label;
  }
}

// ------------------------------------------------------------------ gcide

TEST(GcideCorpus, ScienceSensesWithFieldsFromFixture) {
  const auto docs = collect([](const CorpusDocumentSink& sink) {
    return convert_gcide(DictdFile::open(fixture_dir(), "gcide"), sink);
  });
  std::vector<std::string> texts;
  for (const auto& doc : docs) texts.push_back(doc["text"].get<std::string>());
  const std::vector<std::string> expected = {
      "Aardwolf (Zoöl.): A carnivorous mammal (Proteles Lalandii), native of South Africa. It "
      "resembles a small hyena. See Proteles.",
      "Absolute zero (Physics): the beginning, or zero point, in the scale of absolute "
      "temperature. It is equivalent to -273° centigrade.",
      "Absorption (Chem. & Physics): An imbibing or reception by molecular or chemical action; "
      "as, the absorption of light, heat, electricity, etc.",
      "Absorption (Physiol.): In living organisms, the process by which the materials of growth "
      "and nutrition are absorbed and conveyed to the tissues and organs.",
      // "(Zo\xf6l.)" after the header covers the numbered senses below it.
      "Kingbird (Zoöl.): A small American bird (Tyrannus tyrannus), noted for its courage in "
      "attacking larger birds.",
      "Kingbird (Zoöl.): The king tody. See under King.",
  };
  EXPECT_EQ(texts, expected);
  // Dropped: the meta entry, untagged senses 1 and 4 of Absorption, the
  // "(Law)" phrase sense, and Moldwarp's bare "See {Mole}." redirect.
  ASSERT_EQ(docs.size(), 6u);

  EXPECT_EQ(docs[0]["id"], "gcide:1");
  EXPECT_EQ(docs[5]["id"], "gcide:6");
  EXPECT_EQ(docs[0]["source"], "gcide");
  EXPECT_EQ(docs[0]["fields"], ordered_json::array({"Zoöl."}));
  EXPECT_EQ(docs[1]["headword"], "Absolute zero");
  EXPECT_EQ(docs[2]["headword"], "Absorption");
  EXPECT_EQ(docs[2]["fields"], ordered_json::array({"Chem.", "Physics"}));
  EXPECT_EQ(docs[3]["fields"], ordered_json::array({"Physiol."}));
  EXPECT_EQ(docs[4]["fields"], ordered_json::array({"Zoöl."}));
}

TEST(GcideCorpus, LabelsOnlyCountAtSenseStarts) {
  TempDir dir;
  const std::string text =
      "Foo \\Foo\\, n. [L. foo.]\n"
      "   1. A thing (Chem.) mentioned in passing, with an aside (Physics).\n"
      "      [1913 Webster]\n"
      "\n"
      "   2. (Bot.) (a) A plant.\n"
      "      (b) (Zool.) An animal.\n"
      "      [1913 Webster]\n"
      "\n"
      "   3. (Mus.) A tune.\n"
      "      [1913 Webster]\n";
  std::ofstream(dir / "t.dict", std::ios::binary) << text;
  {
    // One index line spanning the whole text; the length in dictd base64.
    const std::string b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::size_t n = text.size();
    std::string len;
    do {
      len.insert(len.begin(), b64[n % 64]);
      n /= 64;
    } while (n > 0);
    std::ofstream(dir / "t.index", std::ios::binary) << "Foo\tA\t" << len << "\n";
  }
  const auto docs = collect([&](const CorpusDocumentSink& sink) {
    return convert_gcide(DictdFile(dir / "t.index", dir / "t.dict"), sink);
  });
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0]["text"], "Foo (Bot.): (a) A plant.");
  EXPECT_EQ(docs[1]["text"], "Foo (Zool.): An animal.");
}

// ------------------------------------------------------------------ elements

TEST(ElementsCorpus, StructuredFieldsFromFixture) {
  const auto docs = collect([](const CorpusDocumentSink& sink) {
    return convert_elements(DictdFile::open(fixture_dir(), "elements"), sink);
  });
  ASSERT_EQ(docs.size(), 4u);  // the 00databaseinfo entry is skipped
  const ordered_json& h = docs[0];
  EXPECT_EQ(h["id"], "elements:H");
  EXPECT_EQ(h["source"], "elements");
  EXPECT_EQ(h["name"], "hydrogen");
  EXPECT_EQ(h["symbol"], "H");
  EXPECT_EQ(h["atomic_number"], 1);
  EXPECT_DOUBLE_EQ(h["atomic_weight"].get<double>(), 1.0079);
  EXPECT_EQ(h["atomic_weight_estimated"], false);
  EXPECT_EQ(h["text"],
            "Hydrogen (symbol H, atomic number 1, atomic weight 1.0079): Colourless, odourless "
            "gaseous chemical element. Lightest and most abundant element in the universe.");
  // Hard-wrapped prose ("of\nthe periodic table") is joined.
  EXPECT_NE(docs[1]["text"].get<std::string>().find("group 18 of the periodic table."),
            std::string::npos);

  const ordered_json& ra = docs[2];
  EXPECT_EQ(ra["atomic_number"], 88);
  EXPECT_DOUBLE_EQ(ra["atomic_weight"].get<double>(), 226.0);
  EXPECT_EQ(ra["atomic_weight_estimated"], true);

  const ordered_json& w = docs[3];
  EXPECT_EQ(w["id"], "elements:wolfram");
  EXPECT_TRUE(w["symbol"].is_null());
  EXPECT_TRUE(w["atomic_number"].is_null());
  EXPECT_EQ(w["text"], "Wolfram: Original name for tungsten.");
}

// ------------------------------------------------------------------ foldoc

TEST(FoldocCorpus, EntriesFromFixture) {
  const auto docs = collect([](const CorpusDocumentSink& sink) {
    return convert_foldoc(DictdFile::open(fixture_dir(), "foldoc"), sink);
  });
  // Meta entry and the "{Host Host Copy}" redirect are skipped.
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0]["id"], "foldoc:1");
  EXPECT_EQ(docs[0]["title"], "ASCII art");
  EXPECT_EQ(docs[0]["categories"], ordered_json::array({"graphics"}));
  EXPECT_EQ(docs[0]["date"], "1995-05-24");
  // The diagram keeps its lines (less the 3-space body indent), braces go in prose.
  EXPECT_EQ(docs[0]["text"],
            "ASCII art: The fine art of drawing diagrams using the ASCII character set. Here is "
            "a small example:\n\n"
            "   +---+     +---+\n"
            "   | A |---->| B |\n"
            "   +---+     +---+");

  EXPECT_EQ(docs[1]["title"], "EOT");
  EXPECT_EQ(docs[1]["categories"], ordered_json::array({"character", "storage"}));
  EXPECT_EQ(docs[1]["text"],
            "EOT: 1. End Of Transmission\n\n2. End Of Tape. A marker used on "
            "magnetic tapes.");

  const ordered_json& lazy = docs[2];
  EXPECT_EQ(lazy["title"], "lazy evaluation");
  EXPECT_EQ(lazy["aliases"], ordered_json::array({"laziness"}));
  EXPECT_EQ(lazy["categories"], ordered_json::array({"reduction", "programming"}));
  EXPECT_EQ(lazy["date"], "1996-12-21");
  EXPECT_EQ(lazy["text"],
            "lazy evaluation: An evaluation strategy combining normal order evaluation with "
            "updating. See the Haskell home page and no more.");
}

// ------------------------------------------------------------------ codata

TEST(CodataCorpus, PhysicalConstantsFromFixture) {
  const auto docs =
      collect([](const CorpusDocumentSink& sink) { return convert_codata(fixture_units(), sink); });
  std::map<std::string, ordered_json> by_name;
  std::vector<std::string> names;
  for (const auto& doc : docs) {
    names.push_back(doc["name"].get<std::string>());
    by_name[doc["name"].get<std::string>()] = doc;
  }
  // Only the Physical constants part: not "m"/"kg" before it nor "dyne" after
  // the CGS header; "!var"/"!endvar" lines are not definitions.
  EXPECT_EQ(names, (std::vector<std::string>{"pi", "hbar", "G", "coulombconst", "atomicmassunit",
                                             "u", "gravity", "electronwavelength"}));

  const ordered_json& g = by_name["G"];
  EXPECT_EQ(g["id"], "codata:G");
  EXPECT_EQ(g["source"], "codata");
  EXPECT_EQ(g["definition"], "6.67430e-11 N m^2 / kg^2");
  EXPECT_EQ(g["comment"], "Newtonian gravitational constant");
  EXPECT_EQ(g["section"], "Basic constants");
  EXPECT_EQ(g["text"],
            "G: Newtonian gravitational constant. Defined in GNU units as 6.67430e-11 N m^2 / "
            "kg^2.");

  // "#   1|12 of ..." beside u, and the comment-only line below it, continue
  // atomicmassunit's comment.
  EXPECT_EQ(by_name["atomicmassunit"]["comment"],
            "Unified atomic mass unit, defined as 1|12 of the mass of carbon 12. Used for atomic "
            "masses.");
  EXPECT_EQ(by_name["atomicmassunit"]["section"], "Physico-chemical constants");
  EXPECT_EQ(by_name["u"]["comment"], "");
  EXPECT_EQ(by_name["u"]["text"], "u: defined in GNU units as atomicmassunit.");
  EXPECT_EQ(by_name["hbar"]["definition"], "h / 2 pi");
  // A "topic: explanation" comment block opens a section.
  EXPECT_EQ(by_name["electronwavelength"]["section"], "Particle wavelengths");
}

TEST(CodataCorpus, FileWithoutTheSectionIsAnError) {
  TempDir dir;
  std::ofstream(dir / "defs.units") << "m !\nkg !\n";
  EXPECT_EQ(
      error_of([&] { convert_codata(dir / "defs.units", [](ordered_json&&) {}); }),
      dir / "defs.units" + ": no '# Physical constants' section: not a GNU units definitions file");
}

// ------------------------------------------------------------------ the whole step

TEST(DefaultCorpus, BuildsAllFilesThenReusesViaManifest) {
  TempDir dir;
  const std::string out = dir / "corpus";  // created by the build
  std::map<std::string, std::uint64_t> progress;
  const DefaultCorpusSummary first =
      build_default_corpus(out, fixture_inputs(), false,
                           [&](const std::string& name, std::uint64_t n) { progress[name] = n; });
  ASSERT_EQ(first.corpora.size(), 4u);
  const std::vector<std::pair<std::string, std::uint64_t>> expected = {
      {"gcide", 6}, {"elements", 4}, {"foldoc", 3}, {"codata", 8}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const CorpusFileSummary& c = first.corpora[i];
    EXPECT_EQ(c.name, expected[i].first);
    EXPECT_EQ(c.documents, expected[i].second) << c.name;
    EXPECT_EQ(c.path, out + "/" + c.name + ".jsonl");
    EXPECT_FALSE(c.reused);
    EXPECT_EQ(progress[c.name], c.documents);
    EXPECT_EQ(c.file_bytes, std::filesystem::file_size(c.path));
    const auto docs = read_jsonl(c.path);
    EXPECT_EQ(docs.size(), c.documents);
    std::uint64_t text_bytes = 0;
    for (const auto& doc : docs) {
      text_bytes += doc["text"].get<std::string>().size();
      EXPECT_EQ(doc["source"], c.name);
    }
    EXPECT_EQ(c.bytes, text_bytes) << c.name;
  }
  const nlohmann::json manifest = nlohmann::json::parse(test::read_bytes(out + "/manifest.json"));
  EXPECT_EQ(manifest["corpora"][0]["file"], "gcide.jsonl");
  EXPECT_EQ(manifest["corpora"][3]["documents"], 8);

  // Second call: nothing rebuilt.
  const auto mtime = std::filesystem::last_write_time(out + "/gcide.jsonl");
  const DefaultCorpusSummary second = build_default_corpus(out, fixture_inputs());
  ASSERT_EQ(second.corpora.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(second.corpora[i].reused);
    EXPECT_EQ(second.corpora[i].documents, first.corpora[i].documents);
    EXPECT_EQ(second.corpora[i].bytes, first.corpora[i].bytes);
    EXPECT_EQ(second.corpora[i].path, first.corpora[i].path);
  }
  EXPECT_EQ(std::filesystem::last_write_time(out + "/gcide.jsonl"), mtime);

  // A file whose size no longer matches the manifest: everything is rebuilt.
  std::ofstream(out + "/codata.jsonl", std::ios::app) << "{}\n";
  const DefaultCorpusSummary third = build_default_corpus(out, fixture_inputs());
  EXPECT_FALSE(third.corpora[3].reused);
  EXPECT_EQ(third.corpora[3].file_bytes, first.corpora[3].file_bytes);
  EXPECT_EQ(std::filesystem::file_size(out + "/codata.jsonl"), first.corpora[3].file_bytes);

  // force rebuilds even when everything matches.
  EXPECT_TRUE(build_default_corpus(out, fixture_inputs()).corpora[0].reused);
  EXPECT_FALSE(build_default_corpus(out, fixture_inputs(), true).corpora[0].reused);

  // A missing output file or an unreadable manifest also means rebuild.
  std::filesystem::remove(out + "/elements.jsonl");
  EXPECT_FALSE(build_default_corpus(out, fixture_inputs()).corpora[1].reused);
  std::ofstream(out + "/manifest.json", std::ios::trunc) << "{ not json";
  EXPECT_FALSE(build_default_corpus(out, fixture_inputs()).corpora[0].reused);
  EXPECT_TRUE(build_default_corpus(out, fixture_inputs()).corpora[0].reused);
}

TEST(DefaultCorpus, MissingInputNamesFileAndPackage) {
  TempDir dir;
  DefaultCorpusInputs inputs;
  inputs.dictd_dir = dir / "dictd";
  inputs.units_file = fixture_units();
  EXPECT_EQ(error_of([&] { build_default_corpus(dir / "out", inputs); }),
            dir / "dictd/gcide.index" +
                ": cannot open: No such file or directory (install the Debian package dict-gcide)");
  // Nothing was written for a step that could not start.
  EXPECT_FALSE(std::filesystem::exists(dir / "out"));

  // All dictd data present but foldoc's text missing.
  std::filesystem::create_directories(dir / "dictd");
  for (const char* name :
       {"gcide.index", "gcide.dict.dz", "elements.index", "elements.dict", "foldoc.index"}) {
    std::filesystem::copy_file(fixture_dir() + "/" + name, dir / ("dictd/" + std::string(name)));
  }
  EXPECT_EQ(
      error_of([&] { build_default_corpus(dir / "out", inputs); }),
      dir / "dictd/foldoc.dict.dz" +
          ": cannot open: No such file or directory (install the Debian package dict-foldoc)");

  std::filesystem::copy_file(fixture_dir() + "/foldoc.dict.dz", dir / "dictd/foldoc.dict.dz");
  inputs.units_file = dir / "no/definitions.units";
  EXPECT_EQ(error_of([&] { build_default_corpus(dir / "out", inputs); }),
            dir / "no/definitions.units" +
                ": cannot open: No such file or directory (install the Debian package units)");
}

// ------------------------------------------------------------------ real data

// The Debian packages dict-gcide, dict-elements, dict-foldoc and units are
// part of the build environment (the setup script installs them), so this
// runs over the real data rather than being skipped.
TEST(DefaultCorpus, RealDebianDataHasPlausibleCounts) {
  TempDir dir;
  const auto start = std::chrono::steady_clock::now();
  const DefaultCorpusSummary summary = build_default_corpus(dir / "corpus");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::map<std::string, CorpusFileSummary> by_name;
  for (const auto& c : summary.corpora) {
    by_name[c.name] = c;
    std::cout << "[ corpus   ] " << c.name << ": " << c.documents << " documents, " << c.bytes
              << " text bytes, " << c.file_bytes << " file bytes\n";
  }
  std::cout << "[ corpus   ] built in " << seconds << " s\n";

  EXPECT_GE(by_name["elements"].documents, 100u);
  EXPECT_GT(by_name["gcide"].documents, 5000u);
  EXPECT_GT(by_name["foldoc"].documents, 10000u);
  EXPECT_GT(by_name["codata"].documents, 50u);

  bool hydrogen = false;
  for (const auto& doc : read_jsonl(by_name["elements"].path)) {
    if (doc["name"] == "hydrogen") {
      hydrogen = true;
      EXPECT_EQ(doc["atomic_number"], 1);
      EXPECT_EQ(doc["symbol"], "H");
    }
  }
  EXPECT_TRUE(hydrogen);

  bool g = false;
  bool hbar = false;
  for (const auto& doc : read_jsonl(by_name["codata"].path)) {
    if (doc["name"] == "G") {
      g = true;
      EXPECT_EQ(doc["comment"], "Newtonian gravitational constant");
    }
    hbar = hbar || doc["name"] == "hbar";
  }
  EXPECT_TRUE(g);
  EXPECT_TRUE(hbar);

  // Spot checks that the GCIDE extraction keeps science and drops the rest.
  std::size_t physics = 0;
  std::size_t markup = 0;
  bool absorption = false;
  for (const auto& doc : read_jsonl(by_name["gcide"].path)) {
    const std::string text = doc["text"];
    for (const auto& field : doc["fields"]) physics += field == "Physics";
    markup += text.find('{') != std::string::npos || text.find('\\') != std::string::npos ||
              text.find("[1913 Webster]") != std::string::npos;
    absorption = absorption || text.starts_with("Absorption (Chem. & Physics): An imbibing");
    EXPECT_EQ(text.find("engrossment"), std::string::npos);  // untagged sense of Absorption
  }
  EXPECT_GT(physics, 300u);
  EXPECT_EQ(markup, 0u);
  EXPECT_TRUE(absorption);
}

}  // namespace
}  // namespace borealis::curate
