// libFuzzer harness of the configuration loader (config/loader.hpp): any
// config file text, command line and environment load without a crash; a
// configuration that loads without errors validates, and every value
// survives being printed and read back (through its key and through a file).
//
// Input: <file text> NUL <arguments, one per line> NUL <NAME=value lines>
// Every way of naming a config file (-c, --config, H2H_CONFIG) is pointed
// at a temporary file holding <file text>: the harness reads no other file.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/keys.hpp"
#include "config/loader.hpp"
#include "invariant.hpp"

namespace cfg = h2h::config;

namespace {

using h2h::fuzz::check;
using h2h::fuzz::fail;

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  while (!s.empty()) {
    auto i = s.find(sep);
    out.emplace_back(s.substr(0, i));
    s = i == std::string_view::npos ? std::string_view{} : s.substr(i + 1);
  }
  return out;
}

std::map<std::string, std::string> rendered(const cfg::settings& s) {
  std::map<std::string, std::string> out;
  for (auto& k : cfg::all_keys())
    out[k.name()] = k.get(s);
  return out;
}

/// The config file of this process, removed when it exits.
struct temp_file {
  std::string path
    = "/tmp/h2h-config-fuzz-" + std::to_string(getpid()) + ".conf";
  ~temp_file() {
    std::remove(path.c_str());
  }
};

const std::string& temp_path() {
  static const temp_file file;
  return file.path;
}

/// Points every config-file argument at the temporary file, wherever the
/// loader might read it as one.
void redirect_config_file(std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto& a = args[i];
    if ((a == "-c" || a == "--config" || a == "--c") && i + 1 < args.size())
      args[i + 1] = temp_path();
    else if (a.rfind("--config=", 0) == 0 || a.rfind("--c=", 0) == 0)
      a = "--config=" + temp_path();
  }
}

/// Every value as a config file would carry it (quoted: the file format
/// trims spaces outside quotes); nullopt when a value has a line break.
std::optional<std::string> as_file(const cfg::settings& s) {
  std::string out;
  std::string section;
  for (auto& k : cfg::all_keys()) {
    auto v = k.get(s);
    if (v.find('\n') != std::string::npos)
      return std::nullopt;
    if (k.section != section) {
      section = k.section;
      out += "[" + section + "]\n";
    }
    out += k.key + " = \"" + v + "\"\n";
  }
  return out;
}

void check_settings(const cfg::settings& s, std::string_view input) {
  // Printed and parsed again through each key, a value stays the same.
  for (auto& k : cfg::all_keys()) {
    cfg::settings copy;
    auto text = k.get(s);
    auto problem = k.set(copy, text);
    check(!problem, "a printed value does not parse again", k.name());
    check(k.get(copy) == text, "a printed value parses differently", k.name());
  }
  // Written as a file and read back, the whole configuration is the same.
  if (auto file = as_file(s)) {
    cfg::settings back;
    std::vector<std::string> errors;
    cfg::apply_file_text(back, *file, "written", errors);
    check(errors.empty(), "a written config file has errors", *file);
    check(rendered(back) == rendered(s),
          "a written config file reads back "
          "differently",
          input);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view input{reinterpret_cast<const char*>(data), size};
  auto parts = split(input, '\0');
  parts.resize(3);
  const auto& file_text = parts[0];
  auto args = split(parts[1], '\n');
  std::map<std::string, std::string> env;
  for (auto& line : split(parts[2], '\n')) {
    auto eq = line.find('=');
    if (eq != std::string::npos)
      env[line.substr(0, eq)] = line.substr(eq + 1);
  }
  if (env.count("H2H_CONFIG"))
    env["H2H_CONFIG"] = temp_path();
  redirect_config_file(args);

  // The file text alone.
  cfg::settings from_file;
  std::vector<std::string> file_errors;
  cfg::apply_file_text(from_file, file_text, "fuzz.conf", file_errors);
  for (auto& e : file_errors)
    check(e.rfind("fuzz.conf:", 0) == 0, "a file error without its line", e);
  if (file_errors.empty())
    check_settings(from_file, input);

  // The whole loader: file, environment and flags.
  {
    std::ofstream out{temp_path(), std::ios::trunc | std::ios::binary};
    out << file_text;
  }
  auto lookup = [&env](const std::string& name) -> std::optional<std::string> {
    auto i = env.find(name);
    if (i == env.end())
      return std::nullopt;
    return i->second;
  };
  auto r = cfg::load(args, lookup);
  if (r.errors.empty()) {
    check(cfg::validate(r.values).empty(),
          "a loaded configuration does not validate", input);
    check_settings(r.values, input);
  } else {
    for (auto& e : r.errors)
      check(!e.empty(), "an empty error message", input);
  }
  return 0;
}
