// `wharf passwd`: prints a password hash for `users.NAME.password_hash` in the project file.
// Thread-safety: called once from main.
#pragma once

#include <string>
#include <vector>

namespace wharf::cli {

extern const char kPasswdHelp[];

// Returns the process's exit code.
int PasswdCommand(const std::vector<std::string>& args);

}  // namespace wharf::cli
