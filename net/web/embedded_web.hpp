// The chat page's files built into the binary: cmake/EmbedWeb.cmake
// generates their definition from web/* at build time.
#pragma once

#include <string_view>
#include <vector>

namespace h2h::net {

/// One file of web/, as it was when the binary was built.
struct embedded_file {
  std::string_view name;
  std::string_view bytes;
};

/// Every file of web/ (flat), sorted by name.
const std::vector<embedded_file>& embedded_web_files();

} // namespace h2h::net
