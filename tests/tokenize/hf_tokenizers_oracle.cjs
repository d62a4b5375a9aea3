// Runs Hugging Face's `tokenizers` (npm tokenizers@0.23.2, the official
// native Node binding of the Rust library) as an oracle for the C++ tests.
// Usage:
//   node hf_tokenizers_oracle.cjs PACKAGE_DIR encode TOKENIZER_JSON INPUT.jsonl
//     one output line per input line {"text": ...}: {"ids": [...]}, encoded
//     with addSpecialTokens=false (no post-processor template).
//   node hf_tokenizers_oracle.cjs PACKAGE_DIR gpt2 VOCAB_JSON MERGES_TXT OUT.json PREFIX_SPACE
//     builds a byte-level BPE tokenizer from GPT-2's files the way the
//     library's users do, and saves the library's own tokenizer.json.
//   node hf_tokenizers_oracle.cjs PACKAGE_DIR split-gpt2 VOCAB_JSON MERGES_TXT OUT.json DELIMITER
//     the same with a Sequence of Split(DELIMITER, isolated) and ByteLevel.
"use strict";
const fs = require("fs");
const path = require("path");
const [packageDir, mode, ...args] = process.argv.slice(2);
const hf = require(path.resolve(packageDir, "index.js"));

async function main() {
  if (mode === "encode") {
    const [tokenizerJson, input] = args;
    const tokenizer = hf.Tokenizer.fromFile(tokenizerJson);
    const out = [];
    for (const line of fs.readFileSync(input, "utf8").split("\n")) {
      if (line.length === 0) continue;
      const encoding = await tokenizer.encode(JSON.parse(line).text, null, { addSpecialTokens: false });
      out.push(JSON.stringify({ ids: encoding.getIds() }));
    }
    process.stdout.write(out.join("\n") + "\n");
  } else if (mode === "gpt2" || mode === "split-gpt2") {
    const [vocab, merges, outPath, option] = args;
    const model = await hf.BPE.fromFile(vocab, merges);
    const tokenizer = new hf.Tokenizer(model);
    if (mode === "gpt2") {
      tokenizer.setPreTokenizer(hf.byteLevelPreTokenizer(option === "true", true));
    } else {
      tokenizer.setPreTokenizer(hf.sequencePreTokenizer([
        hf.splitPreTokenizer(option, "isolated", false),
        hf.byteLevelPreTokenizer(false, false),
      ]));
    }
    tokenizer.addSpecialTokens(["<|endoftext|>"]);
    tokenizer.save(outPath, true);
  } else {
    throw new Error("unknown mode " + mode);
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
