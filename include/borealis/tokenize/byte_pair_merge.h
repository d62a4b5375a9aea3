#pragma once
// The BPE merge loop of tiktoken: start from single bytes and repeatedly merge
// the adjacent pair whose concatenation has the lowest rank (the leftmost one
// on ties) until no adjacent pair is in the vocabulary.
//
// Short pieces use the direct O(n^2) scan; long ones (DNA, base64, a 100 KB
// "word") a heap over a linked list, O(n log n), which merges in exactly the
// same order because the heap is keyed by (rank, start position).

#include <string_view>
#include <vector>

#include "borealis/tokenize/bpe_vocabulary.h"

namespace borealis::tokenize {

// Appends the token ids of one pre-tokenized piece to `out`.
void encode_piece(std::string_view piece, const BpeVocabulary& vocab, std::vector<TokenId>& out);

// The two strategies, exposed so tests can check they agree.
void encode_piece_quadratic(std::string_view piece, const BpeVocabulary& vocab,
                            std::vector<TokenId>& out);
void encode_piece_heap(std::string_view piece, const BpeVocabulary& vocab,
                       std::vector<TokenId>& out);

}  // namespace borealis::tokenize
