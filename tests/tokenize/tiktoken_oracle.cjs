// Runs the official tiktoken (npm tiktoken@1.0.22, WASM build of OpenAI's
// Rust core) as an oracle for the C++ tests.
// Usage: node tiktoken_oracle.cjs TIKTOKEN_DIR INPUT.jsonl ENCODING...
// Input lines are {"text": ...}; output has one line per input line and
// encoding, in that order: {"encoding": ..., "ids": [...]} (encode_ordinary).
// An ENCODING ending in .tiktoken is a trained rank file: its split pattern is
// read from the tokenizer.json beside it (as `borealis tokenizer train` writes).
"use strict";
const fs = require("fs");
const path = require("path");
const [tiktokenDir, input, ...encodings] = process.argv.slice(2);
const { get_encoding, Tiktoken } = require(path.resolve(tiktokenDir, "tiktoken.cjs"));
function load(name) {
  if (!name.endsWith(".tiktoken")) return get_encoding(name);
  const json = JSON.parse(fs.readFileSync(path.join(path.dirname(name), "tokenizer.json"), "utf8"));
  const pattern = json.pre_tokenizer.pretokenizers[0].pattern.Regex;
  const specials = {};
  for (const t of json.added_tokens) specials[t.content] = t.id;
  return new Tiktoken(fs.readFileSync(name, "utf8"), specials, pattern);
}
const encoders = encodings.map((name) => [name, load(name)]);
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
