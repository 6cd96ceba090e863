// Aligned text tables and key/value lists.
#include "table.hpp"

#include <algorithm>

namespace h2h::admin {

namespace {

/// Characters on screen, counting each UTF-8 sequence once.
std::size_t shown_width(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80)
      ++n;
  return n;
}

std::string pad(const std::string& s, std::size_t width, bool right) {
  auto w = shown_width(s);
  std::string fill(width > w ? width - w : 0, ' ');
  return right ? fill + s : s + fill;
}

} // namespace

std::string printable(const std::string& s) {
  std::string out = s;
  for (auto& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      c = '?';
  return out;
}

table::table(std::vector<std::string> headers, std::set<std::size_t> numeric)
  : headers_(std::move(headers))
  , numeric_(std::move(numeric)) {
}

void table::add(std::vector<std::string> row) {
  row.resize(headers_.size());
  rows_.push_back(std::move(row));
}

std::string table::text(const std::string& when_empty) const {
  if (rows_.empty())
    return when_empty + "\n";
  std::vector<std::size_t> width(headers_.size());
  for (std::size_t i = 0; i < headers_.size(); ++i) {
    width[i] = shown_width(headers_[i]);
    for (auto& r : rows_)
      width[i] = std::max(width[i], shown_width(r[i]));
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      bool last = i + 1 == cells.size();
      bool right = numeric_.count(i) > 0;
      out += last && !right ? cells[i] : pad(cells[i], width[i], right);
      if (!last)
        out += "  ";
    }
    return out + "\n";
  };
  std::string out = line(headers_);
  for (auto& r : rows_)
    out += line(r);
  return out;
}

void key_values::add(std::string key, std::string value) {
  lines_.emplace_back(std::move(key), std::move(value));
}

std::string key_values::text() const {
  std::size_t width = 0;
  for (auto& [k, v] : lines_)
    width = std::max(width, shown_width(k));
  std::string out;
  for (auto& [k, v] : lines_)
    out += pad(k + ":", width + 1, false) + " " + v + "\n";
  return out;
}

} // namespace h2h::admin
