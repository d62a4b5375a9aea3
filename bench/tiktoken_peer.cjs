// Peer for bench_tokenize: the official tiktoken (npm tiktoken@1.0.22, WASM)
// encoding the same documents. Prints MB/s (encode_ordinary, one thread).
// Usage: node tiktoken_peer.cjs TIKTOKEN_DIR DOCS.jsonl ENCODING
"use strict";
const fs = require("fs");
const path = require("path");
const [dir, input, encoding] = process.argv.slice(2);
const { get_encoding } = require(path.resolve(dir, "tiktoken.cjs"));
const enc = get_encoding(encoding);
const docs = fs.readFileSync(input, "utf8").split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l).text);
const bytes = docs.reduce((n, d) => n + Buffer.byteLength(d, "utf8"), 0);
const start = process.hrtime.bigint();
let tokens = 0;
for (const d of docs) tokens += enc.encode_ordinary(d).length;
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
enc.free();
console.log(`${(bytes / seconds / 1e6).toFixed(3)} ${tokens}`);
