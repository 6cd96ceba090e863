// The subcommands of h2h-bench and what they share: argument checks, pool
// set-up.
#include "commands.hpp"

#include <iostream>

namespace h2h::bench {

std::optional<int> handle_help_and_errors(std::string_view name,
                                          std::string_view summary,
                                          const std::vector<option_spec>& specs,
                                          const parse_result& parsed) {
  if (parsed.options.help) {
    std::cout << usage(name, summary, specs);
    return exit_ok;
  }
  if (parsed.errors.empty())
    return std::nullopt;
  for (auto& e : parsed.errors)
    std::cerr << "h2h-bench " << name << ": " << e << '\n';
  std::cerr << "Run 'h2h-bench " << name << " --help' for usage.\n";
  return exit_usage;
}

std::optional<pool_config> make_pool_config(const bench_options& o) {
  pool_config cfg;
  cfg.host = o.url.host;
  cfg.port = std::to_string(o.url.port);
  cfg.target = o.url.target;
  for (std::size_t k = 1; k < o.urls.size(); ++k)
    cfg.more_servers.push_back(
      {o.urls[k].host, std::to_string(o.urls[k].port), o.urls[k].target});
  cfg.sources = o.sources;
  if (!o.token_file.empty()) {
    auto tokens = load_tokens(o.token_file);
    if (!tokens || tokens->empty()) {
      std::cerr << "h2h-bench " << o.command << ": --token-file "
                << o.token_file
                << (tokens ? " holds no token\n" : " cannot be read\n");
      return std::nullopt;
    }
    cfg.tokens = std::move(*tokens);
  }
  if (o.proto == protocol::stomp) {
    cfg.tokens_in_url = false; // CONNECT carries them (DESIGN.md §2.2)
    cfg.subprotocol = "v12.stomp";
  }
  return cfg;
}

void print_report(bool json, const std::string& json_text,
                  const std::string& text) {
  if (json)
    std::cout << json_text << std::endl;
  else
    std::cout << text << std::flush;
}

} // namespace h2h::bench
