// `help` and `help <command>`, generated from the command table. Pure.
#pragma once

#include <string>

namespace h2h::admin {

struct command_spec;

/// Every command with its syntax and one line, and how to leave.
std::string help_text();

/// One command: syntax, what it does, its options.
std::string help_text(const command_spec& c);

} // namespace h2h::admin
