// Plain-text tables and key/value lists for h2h-admin's output. Pure.
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace h2h::admin {

/// `s` with control characters (a name may hold terminal escapes) shown as
/// '?', so that what a client chose cannot steer the operator's terminal.
std::string printable(const std::string& s);

/// Columns aligned to their widest cell; numeric columns to the right.
class table {
public:
  table(std::vector<std::string> headers, std::set<std::size_t> numeric);

  void add(std::vector<std::string> row);

  /// The header and the rows, or `when_empty` and a newline when no row.
  std::string text(const std::string& when_empty) const;

private:
  std::vector<std::string> headers_;
  std::set<std::size_t> numeric_;
  std::vector<std::vector<std::string>> rows_;
};

/// "key: value" lines, the values aligned.
class key_values {
public:
  void add(std::string key, std::string value);
  std::string text() const;

private:
  std::vector<std::pair<std::string, std::string>> lines_;
};

} // namespace h2h::admin
