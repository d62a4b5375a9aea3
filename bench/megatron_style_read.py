#!/usr/bin/python3
"""Peer for bench_indexed_dataset: random sequence reads the way Megatron's
IndexedDataset does them (np.memmap of .bin, index arrays via np.frombuffer,
one np.frombuffer per sequence, then a sum so the read happens).
Prints sequences per second on stdout. Usage: megatron_style_read.py PREFIX N"""
import sys
import time

import numpy as np

prefix, n = sys.argv[1], int(sys.argv[2])
idx = open(prefix + ".idx", "rb").read()
count = int.from_bytes(idx[18:26], "little")
lengths = np.frombuffer(idx, dtype=np.int32, count=count, offset=34)
pointers = np.frombuffer(idx, dtype=np.int64, count=count, offset=34 + lengths.nbytes)
bin_buffer = memoryview(np.memmap(prefix + ".bin", mode="r", order="C"))
rng = np.random.default_rng(42)
picks = rng.integers(0, count, n)
checksum = 0
start = time.perf_counter()
for i in picks:
    seq = np.frombuffer(bin_buffer, dtype=np.uint16, count=int(lengths[i]), offset=int(pointers[i]))
    checksum += int(seq.sum())
elapsed = time.perf_counter() - start
print(n / elapsed)
