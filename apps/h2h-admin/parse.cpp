// The parser of h2h-admin's lines, driven by the command table.
#include "parse.hpp"

#include <cctype>
#include <charconv>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "command_table.hpp"
#include "help.hpp"

namespace h2h::admin {

namespace {

using json = nlohmann::ordered_json;

bool blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

parsed_line fail(std::string message) {
  parsed_line out;
  out.what = parsed_line::kind::error;
  out.text = std::move(message);
  return out;
}

std::string with_usage(const command_spec& c, std::string message) {
  return message + " (usage: " + usage(c) + ")";
}

/// A positive integer that fits into int64, or nothing.
bool positive_integer(std::string_view s, long long& out) {
  if (s.empty() || s.size() > 19)
    return false;
  for (char c : s)
    if (c < '0' || c > '9')
      return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size() && out > 0;
}

std::string choices_text(const std::vector<std::string_view>& choices) {
  std::string out;
  for (auto& c : choices)
    out += (out.empty() ? "" : ", ") + std::string{c};
  return out;
}

/// Checks `value` for a value of `kind` named `what` and stores it under
/// `key`; an error message, or empty.
std::string put_value(json& request, std::string_view key, value_kind kind,
                      const std::vector<std::string_view>& choices,
                      const std::string& what, const std::string& value) {
  switch (kind) {
    case value_kind::room:
      if (!valid_room_id(value))
        return "bad " + what + " '" + value
               + "': a room id is 1-64 letters, digits, '-' or '_'";
      request[std::string{key}] = value;
      return {};
    case value_kind::member: {
      long long id = 0;
      if (!positive_integer(value, id))
        return "bad " + what + " '" + value
               + "': a member id is a positive integer";
      request[std::string{key}] = static_cast<std::int64_t>(id);
      return {};
    }
    case value_kind::count: {
      long long n = 0;
      if (!positive_integer(value, n) || n < min_count || n > max_count)
        return "bad " + what + " '" + value + "': a number from "
               + std::to_string(min_count) + " to " + std::to_string(max_count);
      request[std::string{key}] = static_cast<std::int64_t>(n);
      return {};
    }
    case value_kind::choice:
      for (auto& c : choices)
        if (c == value) {
          request[std::string{key}] = value;
          return {};
        }
      return "bad " + what + " '" + value + "': one of "
             + choices_text(choices);
    case value_kind::node:
      if (value.empty() || value.size() > 256)
        return "bad " + what + ": a node id is 1-256 characters";
      request[std::string{key}] = value;
      return {};
    case value_kind::text:
      if (value.empty())
        return "the " + what + " is empty";
      request[std::string{key}] = value;
      return {};
    case value_kind::command:
      request[std::string{key}] = value;
      return {};
  }
  return {};
}

/// The text argument of broadcast: the rest of the line from `from`; one
/// quoted string alone is unquoted, anything else is taken as typed.
std::string rest_of_line(std::string_view line, std::size_t from,
                         const std::vector<word>& words, std::size_t first,
                         bool quote_error) {
  auto rest = line.substr(from);
  while (!rest.empty() && blank(rest.back()))
    rest.remove_suffix(1);
  if (!quote_error && words.size() == first + 1 && !rest.empty()
      && (rest.front() == '"' || rest.front() == '\''))
    return words[first].text;
  return std::string{rest};
}

parsed_line parse_help(const command_spec& c, const std::vector<word>& words) {
  if (words.size() > 2)
    return fail(
      with_usage(c, "too many arguments for 'help': '" + words[2].text + "'"));
  parsed_line out;
  out.what = parsed_line::kind::help;
  out.command = &c;
  if (words.size() == 1) {
    out.text = help_text();
    return out;
  }
  auto* topic = find_command(words[1].text);
  if (topic == nullptr)
    return fail("unknown command '" + words[1].text
                + "' (type 'help' for the list)");
  out.text = help_text(*topic);
  return out;
}

} // namespace

bool valid_room_id(std::string_view id) {
  if (id.empty() || id.size() > 64)
    return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
      return false;
  return true;
}

std::vector<word> split_words(std::string_view line, std::string* error) {
  std::vector<word> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && blank(line[i]))
      ++i;
    if (i == line.size())
      break;
    word w;
    w.begin = i;
    char quote = 0;
    while (i < line.size() && (quote != 0 || !blank(line[i]))) {
      char c = line[i];
      if (quote == 0 && (c == '"' || c == '\'')) {
        quote = c;
      } else if (quote != 0 && c == quote) {
        quote = 0;
      } else if (c == '\\' && quote != '\'' && i + 1 < line.size()) {
        w.text += line[++i];
      } else {
        w.text += c;
      }
      ++i;
    }
    w.end = i;
    out.push_back(std::move(w));
    if (quote != 0 && error != nullptr)
      *error = std::string{"unterminated "}
               + (quote == '"' ? "double" : "single") + " quote";
  }
  return out;
}

parsed_line parse_line(std::string_view line) {
  std::string quote_error;
  auto words = split_words(line, &quote_error);
  if (words.empty() || words[0].text.rfind('#', 0) == 0)
    return {};
  auto* c = find_command(words[0].text);
  if (c == nullptr)
    return fail("unknown command '" + words[0].text
                + "' (type 'help' for the list)");
  // broadcast takes the rest of the line as typed: a quote inside its text
  // (it's) is no error there.
  bool rest_is_text
    = !c->arguments.empty() && c->arguments.back().kind == value_kind::text;
  if (!quote_error.empty() && !rest_is_text)
    return fail(quote_error);
  if (c->name == "help")
    return parse_help(*c, words);
  if (c->name == "quit") {
    if (words.size() > 1)
      return fail(with_usage(*c, "too many arguments for 'quit': '"
                                   + words[1].text + "'"));
    parsed_line out;
    out.what = parsed_line::kind::quit;
    out.command = c;
    return out;
  }
  json request;
  request["cmd"] = std::string{c->name};
  std::size_t next_argument = 0;
  std::vector<const option*> seen;
  for (std::size_t i = 1; i < words.size(); ++i) {
    auto& w = words[i].text;
    bool is_option = w.size() > 2 && w.compare(0, 2, "--") == 0
                     && line[words[i].begin] == '-';
    if (is_option && next_argument < c->arguments.size()
        && c->arguments[next_argument].kind == value_kind::text)
      is_option = false; // broadcast r1 --hi--: text, not an option
    if (is_option) {
      auto eq = w.find('=');
      auto flag = w.substr(0, eq);
      const option* o = nullptr;
      for (auto& candidate : c->options)
        if (candidate.flag == flag)
          o = &candidate;
      if (o == nullptr)
        return fail(with_usage(*c, "unknown option '" + flag + "' for '"
                                     + std::string{c->name} + "'"));
      for (auto* s : seen)
        if (s == o)
          return fail(with_usage(*c, "option " + flag + " given twice"));
      seen.push_back(o);
      std::string value;
      if (eq != std::string::npos) {
        value = w.substr(eq + 1);
      } else if (i + 1 < words.size()) {
        value = words[++i].text;
      } else {
        return fail(with_usage(*c, "option " + flag + " needs a value <"
                                     + std::string{o->value_name} + ">"));
      }
      auto err = put_value(request, o->json_key, o->kind, o->choices,
                           "value for " + flag, value);
      if (!err.empty())
        return fail(with_usage(*c, err));
      continue;
    }
    if (next_argument == c->arguments.size())
      return fail(with_usage(*c, "too many arguments for '"
                                   + std::string{c->name} + "': '" + w + "'"));
    auto& a = c->arguments[next_argument++];
    std::string value = w;
    if (a.kind == value_kind::text) {
      value
        = rest_of_line(line, words[i].begin, words, i, !quote_error.empty());
      i = words.size();
    }
    auto err = put_value(request, a.json_key, a.kind, a.choices,
                         std::string{a.name}, value);
    if (!err.empty())
      return fail(with_usage(*c, err));
  }
  for (; next_argument < c->arguments.size(); ++next_argument)
    if (!c->arguments[next_argument].optional)
      return fail(with_usage(
        *c, "missing argument <" + std::string{c->arguments[next_argument].name}
              + "> for '" + std::string{c->name} + "'"));
  parsed_line out;
  out.what = parsed_line::kind::request;
  out.command = c;
  out.request
    = request.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (out.request.size() + 1 > max_request_bytes)
    return fail("the request is " + std::to_string(out.request.size() + 1)
                + " bytes; the node takes at most "
                + std::to_string(max_request_bytes));
  return out;
}

} // namespace h2h::admin
