#include "borealis/util/parallel_for.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <thread>
#include <vector>

namespace borealis::util {

void parallel_for(std::size_t n, unsigned threads, const std::function<void(std::size_t)>& body) {
  std::atomic<std::size_t> next{0};
  std::vector<std::exception_ptr> failures(n);
  auto work = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < n;) {
      try {
        body(i);
      } catch (...) {
        failures[i] = std::current_exception();
      }
    }
  };
  {
    const auto count = static_cast<unsigned>(std::min<std::size_t>(n, std::max(1u, threads)));
    std::vector<std::jthread> pool;
    for (unsigned t = 1; t < count; ++t) pool.emplace_back(work);
    work();
  }
  for (const auto& f : failures)
    if (f) std::rethrow_exception(f);
}

}  // namespace borealis::util
