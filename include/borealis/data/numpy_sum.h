#pragma once
// numpy.sum of a 1-D float64 array, bit for bit. Megatron normalises blend
// weights with it, and the last bits of each weight decide ties in the
// blending schedule, so a plain left-to-right sum is not good enough.
//
// numpy adds the array in chunks of 8192 elements (its buffer size) to a
// running total that starts at 0.0; each chunk is summed pairwise: under 8
// elements left to right, up to 128 with 8 interleaved accumulators combined
// as ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)) plus the tail, and beyond that by
// halving at a multiple of 8.

#include <span>
#include <vector>

namespace borealis::data {

double numpy_sum(std::span<const double> values);

// Megatron-LM's normalize(): w / numpy.sum(w), element by element.
std::vector<double> numpy_normalize(std::span<const double> weights);

}  // namespace borealis::data
