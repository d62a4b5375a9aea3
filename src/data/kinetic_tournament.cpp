#include "borealis/data/kinetic_tournament.h"

#include <algorithm>
#include <cmath>

namespace borealis::data {

namespace {

bool later(const std::pair<std::uint64_t, std::uint32_t>& a, const std::pair<std::uint64_t, std::uint32_t>& b) {
  return a.first > b.first;
}

double kk_of(std::uint64_t k) { return k > 1 ? static_cast<double>(k) : 1.0; }

}  // namespace

void KineticTournament::start(const Lines& lines, std::uint64_t k) {
  const std::size_t n = lines.weights.size();
  leaves_ = 2;
  while (leaves_ < n) leaves_ *= 2;
  win_.assign(2 * leaves_, -1);
  expiry_.assign(2 * leaves_, 0);
  for (std::size_t i = 0; i < n; ++i) win_[leaves_ + i] = static_cast<std::int32_t>(i);
  ring_.resize(kRing);
  rebuild(lines, k);
}

void KineticTournament::rebuild(const Lines& lines, std::uint64_t k) {
  horizon_ = 4 * std::max<std::uint64_t>(k, kRing);
  horizon_d_ = static_cast<double>(horizon_);
  far_.clear();
  for (auto& bucket : ring_) bucket.clear();
  for (auto node = static_cast<std::uint32_t>(leaves_ - 1); node >= 1; --node) decide(lines, node, k);
}

void KineticTournament::expire_at(std::uint32_t node, std::uint64_t at, std::uint64_t k) {
  expiry_[node] = at;
  if (at >= horizon_) return;  // holds until the rebuild at half the horizon
  if (at - k < kRing) {
    ring_[at & (kRing - 1)].push_back(node);
  } else {
    far_.push_back({at, node});
    std::push_heap(far_.begin(), far_.end(), later);
  }
}

bool KineticTournament::decide(const Lines& lines, std::uint32_t node, std::uint64_t k) {
  ++decisions_;
  const double* w = lines.weights.data();
  const double* c = lines.counts.data();
  const std::int32_t a = win_[2 * node], b = win_[2 * node + 1], before = win_[node];
  if (a < 0 || b < 0) {  // past the last line: no contest
    win_[node] = a < 0 ? b : a;
    expiry_[node] = horizon_;
    return win_[node] != before;
  }
  const double kk = kk_of(k);
  const double ea = w[a] * kk - c[a], eb = w[b] * kk - c[b];
  const bool left = ea > eb || (ea == eb && (lines.tie_keys.empty() || lines.tie_keys[a] < lines.tie_keys[b]));
  const std::int32_t winner = left ? a : b, loser = left ? b : a;
  const double margin = left ? ea - eb : eb - ea;
  // |computed - exact| of one error up to the horizon is below
  // 2^-52 (w H + count); tol is four times that for the pair.
  const double tol = std::ldexp((w[a] + w[b]) * horizon_d_ + c[a] + c[b], -50);
  const double gap = w[loser] - w[winner];
  std::uint64_t at;
  if (margin <= 3 * tol) {
    at = k + 1;  // too close to call ahead: decide again next sample
  } else if (gap <= 0) {
    at = horizon_;  // the loser never gains
  } else {
    double steps = (margin - 3 * tol) / gap;
    steps -= std::ldexp(steps, -40);  // the division's own rounding
    at = steps < 1 ? k + 1 : steps >= horizon_d_ ? horizon_ : std::min(horizon_, k + static_cast<std::uint64_t>(steps));
  }
  win_[node] = winner;
  expire_at(node, at, k);
  return winner != before;
}

std::size_t KineticTournament::winner(const Lines& lines, std::uint64_t k) {
  if (2 * k >= horizon_) rebuild(lines, k);
  if (far_.size() > 4 * leaves_) {  // mostly stale entries: keep the heap small
    std::erase_if(far_, [&](const Due& d) { return expiry_[d.second] != d.first; });
    std::make_heap(far_.begin(), far_.end(), later);
  }
  while (!far_.empty() && far_.front().first - k < kRing) {
    const Due d = far_.front();
    std::pop_heap(far_.begin(), far_.end(), later);
    far_.pop_back();
    if (expiry_[d.second] == d.first) ring_[d.first & (kRing - 1)].push_back(d.second);
  }
  auto& bucket = ring_[k & (kRing - 1)];
  for (std::size_t i = 0; i < bucket.size(); ++i) {  // decisions here expire later: the bucket does not grow
    std::uint32_t node = bucket[i];
    if (expiry_[node] != k) continue;  // re-decided since
    while (decide(lines, node, k) && node > 1) node /= 2;  // a new winner: its parents decide again
  }
  bucket.clear();
  return static_cast<std::size_t>(win_[1]);
}

void KineticTournament::changed(const Lines& lines, std::size_t line, std::uint64_t k) {
  for (auto node = static_cast<std::uint32_t>((leaves_ + line) / 2); node >= 1; node /= 2) decide(lines, node, k);
}

}  // namespace borealis::data
