#pragma once
// Runs body(i) for every i in [0, n) on up to `threads` threads (the
// caller's among them), each taking the next i as it finishes one. A body
// that throws does not stop the others; when all are done the failure of
// the lowest i is rethrown, so the error a user sees does not depend on
// thread timing.

#include <cstddef>
#include <functional>

namespace borealis::util {

void parallel_for(std::size_t n, unsigned threads, const std::function<void(std::size_t)>& body);

}  // namespace borealis::util
