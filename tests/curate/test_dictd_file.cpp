#include "borealis/curate/dictd_file.h"

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "borealis/util/error.h"
#include "test_util.h"

namespace borealis::curate {
namespace {

using test::TempDir;

std::string fixture_dir() { return test::data_dir() + "/corpus"; }

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

using test::error_of;

TEST(DictdNumber, DecodesBase64MostSignificantFirst) {
  EXPECT_EQ(decode_dictd_number("A"), 0u);
  EXPECT_EQ(decode_dictd_number("B"), 1u);
  EXPECT_EQ(decode_dictd_number("a"), 26u);
  EXPECT_EQ(decode_dictd_number("0"), 52u);
  EXPECT_EQ(decode_dictd_number("+"), 62u);
  EXPECT_EQ(decode_dictd_number("/"), 63u);
  EXPECT_EQ(decode_dictd_number("BA"), 64u);
  EXPECT_EQ(decode_dictd_number("Ct"), 2u * 64 + 45);
  // From the real gcide.index: "Absorption q8p MR".
  EXPECT_EQ(decode_dictd_number("q8p"), 42u * 4096 + 60 * 64 + 41);
  EXPECT_EQ(decode_dictd_number("MR"), 12u * 64 + 17);
  // Ten digits are 60 bits and fit; eleven would need 66.
  EXPECT_EQ(decode_dictd_number("//////////"), (std::uint64_t{1} << 60) - 1);
  EXPECT_FALSE(decode_dictd_number("///////////").has_value());
  EXPECT_FALSE(decode_dictd_number("").has_value());
  EXPECT_FALSE(decode_dictd_number("A-B").has_value());
  EXPECT_FALSE(decode_dictd_number("A=").has_value());
}

TEST(DictdNumber, MetaHeadwords) {
  EXPECT_TRUE(is_dictd_meta_headword("00-database-info"));
  EXPECT_TRUE(is_dictd_meta_headword("00databasealphabet"));
  EXPECT_FALSE(is_dictd_meta_headword("0"));
  EXPECT_FALSE(is_dictd_meta_headword("hydrogen"));
}

TEST(DictdFile, ReadsFixtureDedupsByOffsetInFileOrder) {
  const DictdFile db = DictdFile::open(fixture_dir(), "gcide");
  EXPECT_EQ(db.dict_path(), fixture_dir() + "/gcide.dict.dz");
  EXPECT_EQ(db.index_lines(), 9u);
  // 9 index lines, 6 distinct offsets.
  ASSERT_EQ(db.entries().size(), 6u);
  for (std::size_t i = 1; i < db.entries().size(); ++i)
    EXPECT_LT(db.entries()[i - 1].offset, db.entries()[i].offset);

  const DictdEntry& meta = db.entries()[0];
  EXPECT_EQ(meta.offset, 0u);
  EXPECT_EQ(meta.headwords, std::vector<std::string>{"00-database-info"});

  const DictdEntry& absolute = db.entries()[2];
  EXPECT_EQ(absolute.headwords,
            (std::vector<std::string>{"Absolute", "Absolute terms", "Absolute zero"}));
  const DictdEntry& absorption = db.entries()[3];
  EXPECT_EQ(absorption.headwords, (std::vector<std::string>{"Absorption", "absorption"}));
  EXPECT_EQ(absorption.offset, *decode_dictd_number("J6"));
  EXPECT_EQ(absorption.length, *decode_dictd_number("Kn"));
  EXPECT_EQ(absorption.text.size(), absorption.length);
  EXPECT_TRUE(absorption.text.starts_with("Absorption \\Ab*sorp\"tion\\, n."));
  EXPECT_TRUE(absorption.text.ends_with("[1913 Webster]\n"));
  // The raw bytes are kept: the Kingbird entry has a Latin-1 o-umlaut.
  EXPECT_NE(db.entries()[4].text.find("(Zo\xf6l.)"), std::string::npos);
}

TEST(DictdFile, FallsBackToPlainDict) {
  const DictdFile db = DictdFile::open(fixture_dir(), "elements");
  EXPECT_EQ(db.dict_path(), fixture_dir() + "/elements.dict");
  ASSERT_EQ(db.entries().size(), 5u);
  EXPECT_EQ(db.entries()[1].headwords.front(), "hydrogen");
  EXPECT_TRUE(db.entries()[1].text.starts_with("hydrogen\nSymbol: H\n"));
}

TEST(DictdFile, FourthColumnIsTheOriginalHeadword) {
  TempDir dir;
  write_text(dir / "x.dict", "Foo bar\nbody\n");
  write_text(dir / "x.index", "foo bar\tA\tN\tFoo Bar\n");
  const DictdFile db(dir / "x.index", dir / "x.dict");
  ASSERT_EQ(db.entries().size(), 1u);
  EXPECT_EQ(db.entries()[0].headwords.front(), "Foo Bar");
  EXPECT_EQ(db.entries()[0].text, "Foo bar\nbody\n");
}

TEST(DictdFile, CorruptIndexLineNamesFileAndLine) {
  TempDir dir;
  write_text(dir / "x.dict", "alpha\nbeta\n");
  write_text(dir / "x.index", "alpha\tA\tF\nbeta\tG\tE\nbroken\tA*\tB\n");
  const std::string message = error_of([&] { DictdFile(dir / "x.index", dir / "x.dict"); });
  EXPECT_EQ(message, dir / "x.index" + ": line 3: bad offset 'A*'");

  write_text(dir / "x.index", "alpha\tA\n");
  EXPECT_EQ(error_of([&] { DictdFile(dir / "x.index", dir / "x.dict"); }),
            dir / "x.index" + ": line 1: expected 'headword<TAB>offset<TAB>length'");

  write_text(dir / "x.index", "alpha\tA\tF\nbeta\tG\t\n");
  EXPECT_EQ(error_of([&] { DictdFile(dir / "x.index", dir / "x.dict"); }),
            dir / "x.index" + ": line 2: bad length ''");

  // An entry running past the end of the text (11 bytes) is corrupt too.
  write_text(dir / "x.index", "alpha\tA\tF\nbeta\tG\tG\n");
  const std::string past = error_of([&] { DictdFile(dir / "x.index", dir / "x.dict"); });
  EXPECT_TRUE(past.starts_with(dir / "x.index" + ": line 2: entry at offset 6 length 6 runs past"))
      << past;
}

TEST(DictdFile, MissingFilesAreNamed) {
  TempDir dir;
  EXPECT_EQ(error_of([&] { DictdFile::open(dir.path().string(), "nothing"); }),
            dir / "nothing.index" + ": cannot open: No such file or directory");
  write_text(dir / "half.index", "a\tA\tB\n");
  EXPECT_EQ(error_of([&] { DictdFile::open(dir.path().string(), "half"); }),
            dir / "half.dict.dz" + ": cannot open: No such file or directory");
}

TEST(DictdFile, TruncatedDictzipIsAnError) {
  TempDir dir;
  std::filesystem::copy_file(fixture_dir() + "/gcide.index", dir / "gcide.index");
  auto bytes = test::read_bytes(fixture_dir() + "/gcide.dict.dz");
  ASSERT_GT(bytes.size(), 100u);
  bytes.resize(bytes.size() / 2);
  test::write_bytes(dir / "gcide.dict.dz", bytes);
  const std::string message = error_of([&] { DictdFile::open(dir.path().string(), "gcide"); });
  EXPECT_TRUE(message.starts_with(dir / "gcide.dict.dz" + ": truncated or corrupt gzip data"))
      << message;
}

TEST(DictdFile, DzThatIsNotGzipIsAnError) {
  TempDir dir;
  write_text(dir / "x.index", "a\tA\tB\n");
  write_text(dir / "x.dict.dz", "plain text, not gzip\n");
  EXPECT_EQ(error_of([&] { DictdFile::open(dir.path().string(), "x"); }),
            dir / "x.dict.dz" + ": not a gzip/dictzip file");
}

}  // namespace
}  // namespace borealis::curate
