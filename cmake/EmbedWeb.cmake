# Writes a C++ file that holds every file of WEB_DIR (flat, sorted) as a byte
# array, so that h2hd serves the chat page without files beside it.
# Usage: cmake -DWEB_DIR=<dir> -DOUT=<file.cpp> -P EmbedWeb.cmake
file(GLOB files LIST_DIRECTORIES false RELATIVE "${WEB_DIR}" "${WEB_DIR}/*")
# The same names the server accepts (net/web/static_site.cpp): editor
# backups and dot files stay out.
list(FILTER files INCLUDE REGEX "^[A-Za-z0-9][A-Za-z0-9_-]*(\\.[A-Za-z0-9]+)+$")
list(SORT files)
set(arrays "")
set(entries "")
set(i 0)
foreach(name IN LISTS files)
  file(READ "${WEB_DIR}/${name}" hex HEX)
  string(LENGTH "${hex}" hex_len)
  math(EXPR size "${hex_len} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  # Never an empty array (ill-formed); the size says how much is real.
  string(APPEND arrays "const unsigned char file_${i}[] = {${bytes}0x00};\n")
  string(APPEND entries
    "    {\"${name}\", {reinterpret_cast<const char*>(file_${i}), ${size}}},\n")
  math(EXPR i "${i} + 1")
endforeach()
set(text "// Generated from web/ by cmake/EmbedWeb.cmake at build time: do not edit.
#include \"net/web/embedded_web.hpp\"

namespace h2h::net {

namespace {

${arrays}
} // namespace

const std::vector<embedded_file>& embedded_web_files() {
  static const std::vector<embedded_file> files{
${entries}  };
  return files;
}

} // namespace h2h::net
")
# Rewrite only on change: an unchanged page recompiles nothing.
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
  if(old STREQUAL text)
    return()
  endif()
endif()
file(WRITE "${OUT}" "${text}")
