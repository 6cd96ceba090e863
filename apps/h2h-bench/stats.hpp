// Latency percentiles and delivery accounting (loss, duplicates, reordering).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace h2h::bench {

/// Fixed-size log-linear histogram of non-negative integers (nanoseconds):
/// constant memory and O(1) recording, so a long run at a high rate neither
/// grows nor allocates per sample.
///
/// Rounding rule: values below 256 are kept exactly; above, each power of
/// two is split into 128 buckets and a value is reported as the upper edge of
/// its bucket (at most 1/128 = 0.8 % high), clipped to the largest value
/// recorded. Percentiles use the nearest-rank rule: the p-quantile of n
/// samples is the ceil(p * n)-th smallest (at least the first). The maximum
/// is exact.
class latency_histogram {
public:
  /// Records one value; negative values count as 0.
  void record(std::int64_t value);

  /// Adds every sample of `other`.
  void merge(const latency_histogram& other);

  std::uint64_t count() const {
    return count_;
  }

  /// Nearest-rank quantile for q in (0, 1]; nullopt when empty.
  std::optional<std::int64_t> quantile(double q) const;

  /// The largest value recorded; nullopt when empty.
  std::optional<std::int64_t> max() const;

  /// Bucket index of a value (exposed for tests of the rounding rule).
  static std::size_t bucket_of(std::uint64_t value);

  /// The largest value that falls into bucket `index`.
  static std::uint64_t bucket_upper(std::size_t index);

private:
  static constexpr std::size_t linear = 256;
  static constexpr std::size_t per_octave = 128;
  static constexpr std::size_t buckets = linear + (64 - 8) * per_octave;
  std::array<std::uint64_t, buckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
};

/// p50/p90/p99/max of one histogram, in milliseconds; empty when no sample.
struct latency_summary {
  std::optional<double> p50_ms, p90_ms, p99_ms, max_ms;
  std::uint64_t samples = 0;
};

/// Summarises a histogram of nanoseconds.
latency_summary summarize_ns(const latency_histogram& h);

/// What one arrival of (publisher, seq) at one receiver was.
enum class arrival {
  fresh,        ///< first time, not behind anything seen before
  late,         ///< first time, but a higher seq had already arrived
  duplicate,    ///< this seq had arrived before
  out_of_reach, ///< far behind the highest seq; cannot tell, counted as late
};

/// Per (receiver, publisher) sequence tracking in 24 bytes: the highest seq
/// seen and a 64-seq window below it, enough to tell duplicates from late
/// arrivals without a set per stream.
struct stream_state {
  std::uint64_t highest = 0;
  std::uint64_t window = 0; ///< bit k: seq `highest - k` has arrived
  bool any = false;
};

/// Classifies and records one arrival of `seq` on `s`.
arrival track(stream_state& s, std::uint64_t seq);

/// Totals over every receiver and publisher of a run.
struct delivery_totals {
  std::uint64_t distinct = 0;          ///< first arrivals, whole run
  std::uint64_t distinct_measured = 0; ///< first arrivals of window messages
  std::uint64_t duplicated = 0;        ///< whole run
  std::uint64_t out_of_order = 0;      ///< whole run: late + out_of_reach
};

/// The delivery ledger of a run: one stream per (receiver, publisher of the
/// receiver's room), flat in one vector.
class delivery_ledger {
public:
  /// `streams_per_receiver` is the most publishers any room has.
  delivery_ledger(std::size_t receivers, std::size_t streams_per_receiver);

  /// Records that `receiver` got `seq` of its room's `stream`-th publisher;
  /// `measured` says the message was published inside the measured window.
  arrival record(std::size_t receiver, std::size_t stream, std::uint64_t seq,
                 bool measured);

  const delivery_totals& totals() const {
    return totals_;
  }

private:
  std::size_t per_receiver_;
  std::vector<stream_state> streams_;
  delivery_totals totals_;
};

/// Expected minus distinct arrivals, never negative.
std::uint64_t lost_deliveries(std::uint64_t expected, std::uint64_t distinct);

} // namespace h2h::bench
