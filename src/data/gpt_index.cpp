#include "borealis/data/gpt_index.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <string_view>

#include <fmt/format.h>

#include "borealis/data/index_array.h"
#include "borealis/data/numpy_random.h"
#include "borealis/util/error.h"

namespace borealis::data {

namespace {

constexpr std::uint64_t kInt32Max = std::numeric_limits<std::int32_t>::max();

// document_index: the ids 0..n-1 repeated `epochs` times (epoch-major), shuffled.
template <typename T>
void fill_epochs(std::span<T> out, std::uint64_t documents, std::uint64_t epochs, NumpyRandomState& rng) {
  for (std::uint64_t e = 0; e < epochs; ++e)
    std::iota(out.begin() + static_cast<std::ptrdiff_t>(e * documents),
              out.begin() + static_cast<std::ptrdiff_t>((e + 1) * documents), T{0});
  rng.shuffle(out);
}

// helpers.cpp build_sample_idx, one sample: moves the boundary (di, offset)
// on by L tokens of the documents in document_index order (a sample is
// L + x tokens; consecutive samples share x). False past the last document.
template <typename Length>
bool next_boundary(std::uint64_t& di, std::int64_t& offset, std::uint64_t documents, const Length& length_at,
                   std::int64_t length, std::int64_t extra) {
  std::int64_t remaining = length + extra;
  while (remaining != 0) {
    const std::int64_t left = length_at(di) - offset;
    remaining -= left;
    if (remaining <= 0) {
      offset += remaining + left - extra;  // the sample's last token, before the extra one
      remaining = 0;
    } else {
      if (di + 1 >= documents) return false;
      ++di;
      offset = 0;
    }
  }
  return true;
}

// Megatron's sample_index rows 0, stride, 2*stride, ... (all rows for stride 1).
//
// helpers.cpp walks sample by sample (next_boundary); the same rows come
// from one pass over the documents, because boundary s is always stream
// token t = s*L + x - 1 (the sample's last token before the extra one): row
// s is the document position d holding t and the offset t - start(d) + 1 - x.
// (Empty documents hold no token and are passed over, as the walk does.)
//
// All rows (stride 1, for export): most documents hold no boundary or one,
// so each document is decided without a branch, which would mispredict
// about every other document. Every 16th row (the kept index): a kept
// boundary falls about every 20 documents, so the loop over documents is
// a running sum and a rarely taken branch (measured 3x faster again).
template <std::uint64_t stride, typename Doc, typename T>
void fill_sample_index(std::span<T> out, std::span<const Doc> documents, std::span<const std::int32_t> sizes,
                       std::uint64_t samples, std::int64_t length, std::int64_t extra) {
  out[0] = 0;
  out[1] = 0;
  if (samples == 0) return;
  constexpr std::uint64_t kAhead = 16;  // sizes[] is read in shuffled order: fetch it early
  const std::size_t n = documents.size();
  const auto size_at = [&](std::size_t d) -> std::int64_t {
    if (d + kAhead < n) __builtin_prefetch(&sizes[static_cast<std::size_t>(documents[d + kAhead])]);
    return sizes[static_cast<std::size_t>(documents[d])];
  };
  if constexpr (stride > 1) {
    const std::uint64_t rows = samples / stride;  // kept rows past row 0
    if (rows == 0) return;
    const std::int64_t step = static_cast<std::int64_t>(stride) * length;
    std::uint64_t r = 1;
    std::int64_t t = step + extra - 1;  // stream token of boundary r * stride
    std::int64_t start = 0;
    for (std::size_t d = 0; d < n; ++d) {
      const std::int64_t end = start + size_at(d);
      while (t < end) [[unlikely]] {
        out[2 * r] = static_cast<T>(d);
        out[2 * r + 1] = static_cast<T>(t - start + 1 - extra);
        if (r == rows) return;
        ++r;
        t += step;
      }
      start = end;
    }
  } else {
    std::uint64_t s = 1;
    std::int64_t t = length + extra - 1;  // stream token of boundary s
    std::int64_t start = 0;               // stream token where document position d starts
    T unkept[2];                          // where a row goes past the last sample
    for (std::size_t d = 0; d < n; ++d) {
      const std::int64_t end = start + size_at(d);
      if (end - t <= length) {
        const bool here = t < end;
        T* row = here ? &out[2 * s] : unkept;
        row[0] = static_cast<T>(d);
        row[1] = static_cast<T>(t - start + 1 - extra);
        if (here && s == samples) return;
        s += here;
        t += here ? length : 0;
      } else {
        while (t < end) {
          out[2 * s] = static_cast<T>(d);
          out[2 * s + 1] = static_cast<T>(t - start + 1 - extra);
          if (s == samples) return;
          ++s;
          t += length;
        }
      }
      start = end;
    }
  }
  throw Error("sample index: ran past the last document (internal error)");
}

template <typename T>
void fill_shuffle(std::span<T> out, std::uint64_t first, NumpyRandomState& rng) {
  std::iota(out.begin(), out.end(), T{0});
  rng.shuffle(out.subspan(0, first));
  rng.shuffle(out.subspan(first));
}

}  // namespace

DatasetStats dataset_stats(std::span<const std::int32_t> sizes) {
  DatasetStats stats;
  stats.documents = sizes.size();
  for (std::int32_t s : sizes) {
    if (s < 0) throw Error("a document has a negative length");
    stats.tokens += static_cast<std::uint64_t>(s);
  }
  return stats;
}

GptIndexPlan plan_gpt_index(std::span<const std::int32_t> sizes, const GptIndexOptions& options) {
  return plan_gpt_index(dataset_stats(sizes), options);
}

GptIndexPlan plan_gpt_index(const DatasetStats& stats, const GptIndexOptions& options) {
  if (options.sequence_length == 0) throw Error("sequence length must be at least 1");
  if (stats.documents == 0) throw Error("the dataset has no documents");
  GptIndexPlan plan;
  plan.documents = stats.documents;
  plan.tokens_per_epoch = stats.tokens;
  const std::uint64_t T = plan.tokens_per_epoch, L = options.sequence_length;
  const std::uint64_t x = options.add_extra_token ? 1 : 0;
  if (T <= x) throw Error(fmt::format("the dataset has {} tokens; a sample needs at least {}", T, x + 1));
  // Megatron would let a sample wrap around the whole dataset many times;
  // that is never what a user meant.
  if ((T - x) / L == 0)
    throw Error(fmt::format("the dataset's {} tokens never fill one sample of {} + {} tokens in an epoch", T, L, x));
  plan.epochs = 1;
  if (options.num_samples) {
    const std::uint64_t N = *options.num_samples;
    if (N > (std::numeric_limits<std::uint64_t>::max() - x) / L)
      throw Error(fmt::format("{} samples of {} tokens overflow 64 bits", N, L));
    const std::uint64_t needed = N * L + x;
    plan.epochs = std::max<std::uint64_t>(1, (needed + T - 1) / T);
    if (plan.epochs > 1) {
      const std::uint64_t sans = ((plan.epochs - 1) * T - x) / L;
      const std::uint64_t last = N - sans;
      const std::uint64_t per_epoch = (T - x) / L;
      // Megatron: int(0.80 * num_samples_per_epoch), in double, truncated.
      plan.separate_final_epoch =
          last < static_cast<std::uint64_t>(0.80 * static_cast<double>(per_epoch));
      plan.samples_sans_final_epoch = sans;
    }
  }
  plan.samples = (plan.epochs * T - x) / L;
  if (plan.samples == 0)
    throw Error(fmt::format("the dataset's {} tokens never fill one sample of {} + {} tokens", T, L, x));
  return plan;
}

GptIndexDtypes gpt_index_dtypes(const GptIndexPlan& plan, std::uint64_t longest_document, IndexFlavor flavor) {
  GptIndexDtypes d;
  d.document_index = plan.documents > kInt32Max ? "<i8" : "<i4";
  d.sample_index = flavor == IndexFlavor::kMegatronDeepSpeed ||
                           std::max(plan.epochs * plan.documents, longest_document) > kInt32Max
                       ? "<i8"
                       : "<i4";
  d.shuffle_index = plan.samples < 0xFFFFFFFFull - 1 ? "<u4" : "<i8";
  return d;
}

GptIndex build_gpt_index(std::span<const std::int32_t> sizes, const GptIndexOptions& options) {
  GptIndex index;
  index.plan = plan_gpt_index(sizes, options);
  const GptIndexPlan& p = index.plan;
  NumpyRandomState rng(options.seed);
  const std::uint64_t n = p.documents, total_docs = p.epochs * n;

  // Document ids past int32 would overflow Megatron's int32 arrays; we widen.
  auto build_rest = [&]<typename Doc>(std::span<const Doc> documents) {
    const std::int32_t longest = *std::max_element(sizes.begin(), sizes.end());
    // Stored by Megatron-LM's rule for both flavours (int32 while it fits);
    // export_npy widens Megatron-DeepSpeed's to its int64.
    const bool wide =
        std::string_view(gpt_index_dtypes(p, static_cast<std::uint64_t>(longest), IndexFlavor::kMegatronLm).sample_index) ==
        "<i8";
    const auto L = static_cast<std::int64_t>(options.sequence_length);
    const std::int64_t x = options.add_extra_token ? 1 : 0;
    const std::uint64_t rows = p.samples / kSampleIndexStride + 1;
    if (wide) {
      index.sample_index = make_index_array<std::int64_t>({rows, 2});
      fill_sample_index<kSampleIndexStride>(elements<std::int64_t>(index.sample_index), documents, sizes, p.samples,
                                            L, x);
    } else {
      index.sample_index = make_index_array<std::int32_t>({rows, 2});
      fill_sample_index<kSampleIndexStride>(elements<std::int32_t>(index.sample_index), documents, sizes, p.samples,
                                            L, x);
    }
  };
  auto fill_documents = [&]<typename Doc>() {
    index.document_index = make_index_array<Doc>({total_docs});
    auto docs = elements<Doc>(index.document_index);
    if (p.separate_final_epoch) {
      fill_epochs(docs.subspan(0, (p.epochs - 1) * n), n, p.epochs - 1, rng);
      fill_epochs(docs.subspan((p.epochs - 1) * n), n, 1, rng);
    } else {
      fill_epochs(docs, n, p.epochs, rng);
    }
    build_rest(std::span<const Doc>(docs));
  };
  const GptIndexDtypes dtypes = gpt_index_dtypes(p, 0, options.flavor);
  if (std::string_view(dtypes.document_index) == "<i8") fill_documents.template operator()<std::int64_t>();
  else fill_documents.template operator()<std::int32_t>();

  const std::uint64_t first = p.separate_final_epoch ? p.samples_sans_final_epoch : p.samples;
  if (std::string_view(dtypes.shuffle_index) == "<u4") {
    index.shuffle_index = make_index_array<std::uint32_t>({p.samples});
    fill_shuffle(elements<std::uint32_t>(index.shuffle_index), first, rng);
  } else {
    index.shuffle_index = make_index_array<std::int64_t>({p.samples});
    fill_shuffle(elements<std::int64_t>(index.shuffle_index), first, rng);
  }
  return index;
}

SampleBounds sample_bounds(const GptIndex& index, const std::function<std::int64_t(std::uint64_t)>& length,
                           const GptIndexOptions& options, std::uint64_t s) {
  if (s >= index.plan.samples)
    throw Error(fmt::format("sample {} is past the end of the dataset's {} samples", s, index.plan.samples));
  const std::uint64_t row = s / kSampleIndexStride;
  std::uint64_t di = static_cast<std::uint64_t>(index_value(index.sample_index, 2 * row));
  std::int64_t offset = index_value(index.sample_index, 2 * row + 1);
  const std::uint64_t documents = index.document_index.element_count();
  const auto length_at = [&](std::uint64_t d) {
    return length(static_cast<std::uint64_t>(index_value(index.document_index, d)));
  };
  const auto L = static_cast<std::int64_t>(options.sequence_length);
  const std::int64_t x = options.add_extra_token ? 1 : 0;
  auto step = [&] {
    if (!next_boundary(di, offset, documents, length_at, L, x))
      throw Error("sample index: ran past the last document; does the index fit the data?");
  };
  for (std::uint64_t k = row * kSampleIndexStride; k < s; ++k) step();
  SampleBounds b;
  b.first = {di, static_cast<std::uint64_t>(offset)};
  step();
  b.second = {di, static_cast<std::uint64_t>(offset)};
  return b;
}

io::NpyArray full_sample_index(const GptIndex& index, std::span<const std::int32_t> sizes,
                               const GptIndexOptions& options) {
  const auto L = static_cast<std::int64_t>(options.sequence_length);
  const std::int64_t x = options.add_extra_token ? 1 : 0;
  // Kept arrays may be packed (index folders): read the documents as int64 then.
  const bool packed = packed_bits(index.document_index.descr) != 0;
  const io::NpyArray unpacked = packed ? convert_index_array(index.document_index, "<i8") : io::NpyArray{};
  const io::NpyArray& documents = packed ? unpacked : index.document_index;
  const auto longest = sizes.empty() ? 0 : static_cast<std::uint64_t>(*std::max_element(sizes.begin(), sizes.end()));
  const std::string descr = gpt_index_dtypes(index.plan, longest, IndexFlavor::kMegatronLm).sample_index;
  return visit_index_type(documents.descr, [&]<typename Doc>() {
    return visit_index_type(descr, [&]<typename T>() {
      io::NpyArray out = make_index_array<T>({index.plan.samples + 1, 2});
      fill_sample_index<1>(elements<T>(out), elements<Doc>(documents), sizes, index.plan.samples, L, x);
      return out;
    });
  });
}

}  // namespace borealis::data
