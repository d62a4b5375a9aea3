// Runs the official tiktoken (npm tiktoken@1.0.22, WASM build of OpenAI's
// Rust core) as an oracle for the C++ tests.
// Usage: node tiktoken_oracle.cjs TIKTOKEN_DIR INPUT.jsonl ENCODING...
// Input lines are {"text": ...}; output has one line per input line and
// encoding, in that order: {"encoding": ..., "ids": [...]} (encode_ordinary).
"use strict";
const fs = require("fs");
const path = require("path");
const [tiktokenDir, input, ...encodings] = process.argv.slice(2);
const { get_encoding } = require(path.resolve(tiktokenDir, "tiktoken.cjs"));
const encoders = encodings.map((name) => [name, get_encoding(name)]);
const out = [];
for (const line of fs.readFileSync(input, "utf8").split("\n")) {
  if (line.length === 0) continue;
  const text = JSON.parse(line).text;
  for (const [name, enc] of encoders) {
    out.push(JSON.stringify({ encoding: name, ids: Array.from(enc.encode_ordinary(text)) }));
  }
}
for (const [, enc] of encoders) enc.free();
process.stdout.write(out.join("\n") + "\n");
