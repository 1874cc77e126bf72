// Small helpers shared by the `wharf` commands. Thread-safety: used from main's thread.
#pragma once

#include <string>
#include <vector>

namespace wharf::cli {

// Prints "wharf: <message>" on stderr and returns exit code 2 (bad usage or bad input).
int Fail(const std::string& message);

// Reads a whole file, or stdin for "-". On failure `error` names the file and the reason.
bool ReadFile(const std::string& path, std::string& out, std::string& error);

// Walks a command's arguments: `while (args.Next()) { if (args.Is("--x")) args.Value(x) ... }`.
class ArgCursor {
 public:
  explicit ArgCursor(const std::vector<std::string>& args) : args_(args) {}
  bool Next() { return ++i_ < args_.size(); }
  const std::string& Current() const { return args_[i_]; }
  bool Is(const char* flag) const { return args_[i_] == flag; }
  // Takes the argument after the current one as its value; false when there is none.
  bool Value(std::string& out) {
    if (i_ + 1 >= args_.size()) return false;
    out = args_[++i_];
    return true;
  }

 private:
  const std::vector<std::string>& args_;
  size_t i_ = static_cast<size_t>(-1);
};

}  // namespace wharf::cli
