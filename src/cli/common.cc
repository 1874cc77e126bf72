#include "cli/common.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

namespace wharf::cli {

int Fail(const std::string& message) {
  std::fprintf(stderr, "wharf: %s\n", message.c_str());
  return 2;
}

bool ReadFile(const std::string& path, std::string& out, std::string& error) {
  std::stringstream ss;
  if (path == "-") {
    ss << std::cin.rdbuf();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      error = path + ": " + std::strerror(errno);
      return false;
    }
    ss << in.rdbuf();
  }
  out = ss.str();
  return true;
}

}  // namespace wharf::cli
