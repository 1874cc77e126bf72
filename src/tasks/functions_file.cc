// Reads the functions file (see function_runner.h, LoadFunctions).
#include "tasks/function_runner.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

namespace wharf::tasks {
namespace {

using std::chrono::milliseconds;

constexpr double kMaxTimeoutSeconds = 365.0 * 24 * 3600;  // one year, the longest execution
// Set by the runner for every invocation; a function's env may not name them.
constexpr const char* kReservedEnv[] = {"WHARF_FUNCTION_NAME", "WHARF_EXECUTION_ARN",
                                        "WHARF_DEADLINE_MS", "WHARF_ATTEMPT_ID",
                                        "WHARF_ATTEMPT_NUMBER"};

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string Where(const std::string& where, const std::string& function, std::string_view field) {
  std::string s = where + ": function " + Quote(function);
  if (!field.empty()) s += ": field " + Quote(field);
  return s;
}

Error Invalid(std::string message) { return MakeError("InvalidFunctions", std::move(message)); }

std::string Absolute(const std::string& base_dir, const std::string& path) {
  if (base_dir.empty() || path.empty() || path.front() == '/') return path;
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

Result<FunctionSpec> ParseFunction(const std::string& name, const Json& def,
                                   const std::string& where, const std::string& base_dir) {
  if (!def.is_object())
    return Invalid(Where(where, name, "") + ": must be an object, got " +
                   Json::KindName(def.kind()));
  FunctionSpec spec;
  spec.name = name;
  spec.working_dir = base_dir;  // default: the functions file's folder
  bool has_command = false;
  for (const auto& [key, value] : def.as_object()) {
    std::string at = Where(where, name, key);
    if (key == "command") {
      if (!value.is_array() || value.size() == 0)
        return Invalid(at + ": must be a non-empty array of strings (the argv)");
      for (size_t i = 0; i < value.size(); ++i) {
        const Json& arg = *value.at(i);
        if (!arg.is_string())
          return Invalid(at + ": element " + std::to_string(i) + " must be a string, got " +
                         Json::KindName(arg.kind()));
        if (arg.as_string().find('\0') != std::string::npos)
          return Invalid(at + ": element " + std::to_string(i) + " contains a NUL character");
        spec.command.push_back(arg.as_string());
      }
      if (spec.command[0].empty()) return Invalid(at + ": the program (element 0) is empty");
      if (spec.command[0].find('/') != std::string::npos)
        spec.command[0] = Absolute(base_dir, spec.command[0]);
      has_command = true;
    } else if (key == "timeout") {
      double seconds = value.is_number() ? value.as_double() : -1;
      if (!value.is_number() || !std::isfinite(seconds) || seconds <= 0 ||
          seconds > kMaxTimeoutSeconds)
        return Invalid(at + ": must be a number of seconds greater than 0 and at most " +
                       std::to_string(static_cast<int64_t>(kMaxTimeoutSeconds)) + ", got " +
                       value.Dump());
      spec.timeout = milliseconds(std::max<int64_t>(1, std::llround(seconds * 1000)));
    } else if (key == "env") {
      if (!value.is_object()) return Invalid(at + ": must be an object of strings");
      for (const auto& [var, v] : value.as_object()) {
        if (var.empty() || var.find_first_of(std::string_view("=\0", 2)) != std::string::npos)
          return Invalid(at + ": the name " + Quote(var) + " is not a valid variable name");
        for (const char* reserved : kReservedEnv) {
          if (var == reserved) return Invalid(at + ": " + var + " is set by wharf");
        }
        if (!v.is_string())
          return Invalid(at + ": " + var + " must be a string, got " + Json::KindName(v.kind()));
        if (v.as_string().find('\0') != std::string::npos)
          return Invalid(at + ": " + var + " contains a NUL character");
        spec.env[var] = v.as_string();
      }
    } else if (key == "cwd") {
      if (!value.is_string() || value.as_string().empty())
        return Invalid(at + ": must be a non-empty string (a folder)");
      spec.working_dir = Absolute(base_dir, value.as_string());
    } else {
      return Invalid(Where(where, name, "") + ": unknown field " + Quote(key) +
                     " (expected command, timeout, env, cwd)");
    }
  }
  if (!has_command) return Invalid(Where(where, name, "command") + ": is required");
  return spec;
}

}  // namespace

Result<std::map<std::string, FunctionSpec>> ParseFunctions(const Json& doc,
                                                           const std::string& where,
                                                           const std::string& base_dir) {
  if (!doc.is_object())
    return Invalid(where + ": must be an object that maps function names to definitions, got " +
                   Json::KindName(doc.kind()));
  std::map<std::string, FunctionSpec> out;
  for (const auto& [name, def] : doc.as_object()) {
    if (name.empty()) return Invalid(where + ": a function name is empty");
    WHARF_TRY(FunctionSpec spec, ParseFunction(name, def, where, base_dir));
    out[name] = std::move(spec);
  }
  return out;
}

Result<std::map<std::string, FunctionSpec>> LoadFunctions(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return MakeError("Io", path + ": cannot read: it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError("Io", path + ": cannot read: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return MakeError("Io", path + ": cannot read: " + std::strerror(errno));
  auto doc = Json::Parse(text.str());
  if (!doc.ok()) return Invalid(path + ": " + doc.error().message);
  std::filesystem::path abs = std::filesystem::absolute(path, ec);
  std::string base = ec ? "" : abs.lexically_normal().parent_path().string();
  return ParseFunctions(*doc, path, base);
}

}  // namespace wharf::tasks
