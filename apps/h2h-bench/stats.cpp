// Latency percentiles and delivery accounting (loss, duplicates, reordering).
#include "stats.hpp"

#include <algorithm>
#include <cmath>

namespace h2h::bench {

std::size_t latency_histogram::bucket_of(std::uint64_t value) {
  if (value < linear)
    return static_cast<std::size_t>(value);
  auto msb = 63 - __builtin_clzll(value); // >= 8
  auto shift = msb - 7;                   // keep the top 8 bits: [128, 255]
  auto mantissa = (value >> shift) - per_octave;
  return linear + static_cast<std::size_t>(msb - 8) * per_octave
         + static_cast<std::size_t>(mantissa);
}

std::uint64_t latency_histogram::bucket_upper(std::size_t index) {
  if (index < linear)
    return index;
  auto octave = (index - linear) / per_octave;
  auto mantissa = (index - linear) % per_octave + per_octave;
  auto shift = octave + 1; // msb = octave + 8, shift = msb - 7
  auto lower = static_cast<std::uint64_t>(mantissa) << shift;
  return lower + ((std::uint64_t{1} << shift) - 1);
}

void latency_histogram::record(std::int64_t value) {
  auto v = value < 0 ? std::uint64_t{0} : static_cast<std::uint64_t>(value);
  ++counts_[bucket_of(v)];
  ++count_;
  max_ = std::max(max_, v);
}

void latency_histogram::merge(const latency_histogram& other) {
  for (std::size_t i = 0; i < buckets; ++i)
    counts_[i] += other.counts_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
}

std::optional<std::int64_t> latency_histogram::quantile(double q) const {
  if (count_ == 0)
    return std::nullopt;
  q = std::clamp(q, 0.0, 1.0);
  auto rank
    = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets; ++i) {
    seen += counts_[i];
    if (seen >= rank)
      return static_cast<std::int64_t>(std::min(bucket_upper(i), max_));
  }
  return static_cast<std::int64_t>(max_); // unreachable: counts sum to count_
}

std::optional<std::int64_t> latency_histogram::max() const {
  if (count_ == 0)
    return std::nullopt;
  return static_cast<std::int64_t>(max_);
}

latency_summary summarize_ns(const latency_histogram& h) {
  auto ms = [](std::optional<std::int64_t> ns) -> std::optional<double> {
    if (!ns)
      return std::nullopt;
    return static_cast<double>(*ns) / 1e6;
  };
  latency_summary s;
  s.samples = h.count();
  s.p50_ms = ms(h.quantile(0.50));
  s.p90_ms = ms(h.quantile(0.90));
  s.p99_ms = ms(h.quantile(0.99));
  s.max_ms = ms(h.max());
  return s;
}

arrival track(stream_state& s, std::uint64_t seq) {
  if (!s.any) {
    s.any = true;
    s.highest = seq;
    s.window = 1;
    return arrival::fresh;
  }
  if (seq > s.highest) {
    auto ahead = seq - s.highest;
    s.window = ahead >= 64 ? 1 : (s.window << ahead) | 1;
    s.highest = seq;
    return arrival::fresh;
  }
  auto behind = s.highest - seq;
  if (behind >= 64)
    return arrival::out_of_reach;
  auto bit = std::uint64_t{1} << behind;
  if (s.window & bit)
    return arrival::duplicate;
  s.window |= bit;
  return arrival::late;
}

delivery_ledger::delivery_ledger(std::size_t receivers,
                                 std::size_t streams_per_receiver)
  : per_receiver_(streams_per_receiver)
  , streams_(receivers * streams_per_receiver) {
}

arrival delivery_ledger::record(std::size_t receiver, std::size_t stream,
                                std::uint64_t seq, bool measured) {
  auto a = track(streams_[receiver * per_receiver_ + stream], seq);
  if (a == arrival::duplicate) {
    ++totals_.duplicated;
    return a;
  }
  if (a != arrival::fresh)
    ++totals_.out_of_order;
  ++totals_.distinct;
  if (measured)
    ++totals_.distinct_measured;
  return a;
}

std::uint64_t lost_deliveries(std::uint64_t expected, std::uint64_t distinct) {
  return expected > distinct ? expected - distinct : 0;
}

} // namespace h2h::bench
