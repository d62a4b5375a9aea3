// Peer for bench_tokenize: Hugging Face `tokenizers` (npm tokenizers@0.23.2,
// native binding of the Rust library) encoding the same documents with a
// tokenizer.json. Run with RAYON_NUM_THREADS=1 so its batch encoder uses one
// thread. Prints MB/s and the token count.
// Usage: node hf_tokenizers_peer.cjs PACKAGE_DIR TOKENIZER_JSON DOCS.jsonl
"use strict";
const fs = require("fs");
const path = require("path");
const [dir, tokenizerJson, input] = process.argv.slice(2);
const { Tokenizer } = require(path.resolve(dir, "index.js"));
const tokenizer = Tokenizer.fromFile(tokenizerJson);
const docs = fs.readFileSync(input, "utf8").split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l).text);
const bytes = docs.reduce((n, d) => n + Buffer.byteLength(d, "utf8"), 0);
(async () => {
  const start = process.hrtime.bigint();
  let tokens = 0;
  for (let i = 0; i < docs.length; i += 1000) {
    const batch = await tokenizer.encodeBatch(docs.slice(i, i + 1000), { addSpecialTokens: false });
    for (const e of batch) tokens += e.getIds().length;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`${(bytes / seconds / 1e6).toFixed(3)} ${tokens}`);
})();
