// `wharf serve`. Thread-safety: called once from main.
#pragma once

#include <string>
#include <vector>

namespace wharf::cli {

// Runs the service until SIGINT or SIGTERM; returns the process's exit code.
int Serve(const std::vector<std::string>& args);

}  // namespace wharf::cli
