// Request members, names and ARNs of the Step Functions API (see sfn_request.h).
#include "api/sfn_request.h"

#include <string>
#include <vector>

#include "store/state_store.h"

namespace wharf::api::sfn {

namespace {

// How a value appears in AWS's messages: quoted, unless it is too long to be of use.
std::string Shown(std::string_view value) {
  if (value.size() > 256) return "Value";
  return "Value '" + std::string(value) + "'";
}

Error Constraint(std::string_view shown, std::string_view member, std::string_view constraint) {
  return ValidationError(std::string(shown) + " at '" + std::string(member) +
                         "' failed to satisfy constraint: " + std::string(constraint));
}

Error WrongType(const Json& value, std::string_view member, std::string_view wanted) {
  return Constraint("Value of type " + std::string(Json::KindName(value.kind())), member,
                    "Member must be " + std::string(wanted));
}

Status CheckLength(std::string_view value, std::string_view member, Length length) {
  if (value.size() < length.min)
    return Constraint(
        Shown(value), member,
        "Member must have length greater than or equal to " + std::to_string(length.min));
  if (value.size() > length.max)
    return Constraint(
        Shown(value), member,
        "Member must have length less than or equal to " + std::to_string(length.max));
  return {};
}

// Decodes one UTF-8 sequence at `i`; returns false for malformed input.
bool NextCodePoint(std::string_view s, size_t& i, char32_t& cp) {
  auto b = static_cast<unsigned char>(s[i]);
  int extra = 0;
  if (b < 0x80) {
    extra = 0;
  } else if ((b >> 5) == 0x6) {
    extra = 1;
  } else if ((b >> 4) == 0xE) {
    extra = 2;
  } else if ((b >> 3) == 0x1E) {
    extra = 3;
  } else {
    return false;
  }
  if (i + extra >= s.size()) return false;
  cp = extra == 0 ? b : b & (0x3F >> extra);
  for (int k = 1; k <= extra; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c >> 6) != 0x2) return false;
    cp = (cp << 6) | (c & 0x3F);
  }
  static constexpr char32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMin[extra] || cp > 0x10FFFF) return false;  // overlong or out of range
  i += extra + 1;
  return true;
}

bool IsWhiteSpace(char32_t c) {
  return c == ' ' || (c >= 0x09 && c <= 0x0D) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

}  // namespace

Error ValidationError(std::string detail) {
  return MakeError("ValidationException", "1 validation error detected: " + std::move(detail));
}

Result<std::optional<std::string>> OptionalString(const Json& request, std::string_view member,
                                                  Length length) {
  const Json* v = request.find(member);
  if (!v || v->is_null()) return std::optional<std::string>();
  if (!v->is_string()) return WrongType(*v, member, "a string");
  WHARF_TRY_STATUS(CheckLength(v->as_string(), member, length));
  return std::optional<std::string>(v->as_string());
}

Result<std::string> RequiredString(const Json& request, std::string_view member, Length length) {
  WHARF_TRY(std::optional<std::string> v, OptionalString(request, member, length));
  if (!v) return Constraint("Value null", member, "Member must not be null");
  return std::move(*v);
}

Result<std::optional<bool>> OptionalBool(const Json& request, std::string_view member) {
  const Json* v = request.find(member);
  if (!v || v->is_null()) return std::optional<bool>();
  if (!v->is_bool()) return WrongType(*v, member, "a boolean");
  return std::optional<bool>(v->as_bool());
}

Result<std::optional<Json>> OptionalObject(const Json& request, std::string_view member) {
  const Json* v = request.find(member);
  if (!v || v->is_null()) return std::optional<Json>();
  if (!v->is_object()) return WrongType(*v, member, "an object");
  return std::optional<Json>(*v);
}

Result<std::optional<Json>> OptionalArray(const Json& request, std::string_view member) {
  const Json* v = request.find(member);
  if (!v || v->is_null()) return std::optional<Json>();
  if (!v->is_array()) return WrongType(*v, member, "a list");
  return std::optional<Json>(*v);
}

Result<int> MaxResults(const Json& request) {
  const Json* v = request.find("maxResults");
  if (!v || v->is_null()) return 0;
  if (!v->is_int()) return WrongType(*v, "maxResults", "an integer");
  int64_t n = v->as_int();
  if (n < 0)
    return Constraint(Shown(std::to_string(n)), "maxResults",
                      "Member must have value greater than or equal to 0");
  if (n > 1000)
    return Constraint(Shown(std::to_string(n)), "maxResults",
                      "Member must have value less than or equal to 1000");
  return static_cast<int>(n);
}

Result<std::string> NextToken(const Json& request) {
  WHARF_TRY(std::optional<std::string> token,
            OptionalString(request, "nextToken", Length{1, 1024}));
  return token.value_or("");
}

Status CheckName(std::string_view name) {
  auto invalid = [&](std::string why) {
    return MakeError("InvalidName", "Invalid Name: '" + std::string(name) + "' (" + why + ")");
  };
  size_t chars = 0;
  for (size_t i = 0; i < name.size(); ++chars) {
    char32_t c = 0;
    if (!NextCodePoint(name, i, c)) return invalid("it is not valid UTF-8");
    if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) {
      if (!IsWhiteSpace(c)) return invalid("control characters are not allowed");
    }
    if (IsWhiteSpace(c)) return invalid("white space is not allowed");
    if ((c >= 0xD800 && c <= 0xDFFF) || c == 0xFFFE || c == 0xFFFF)
      return invalid("it contains an invalid character");
    static constexpr std::string_view kForbidden = "<>{}[]?*\"#%\\^|~`$&,;:/";
    if (c < 0x80 && kForbidden.find(static_cast<char>(c)) != std::string_view::npos)
      return invalid(std::string("the character '") + static_cast<char>(c) + "' is not allowed");
  }
  if (chars == 0) return invalid("a name has 1 to 80 characters");
  if (chars > 80)
    return invalid("a name has 1 to 80 characters, this one " + std::to_string(chars));
  return {};
}

Result<Arn> ParseArn(std::string_view arn, std::string_view type) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    size_t colon = arn.find(':', start);
    parts.push_back(arn.substr(start, colon == std::string_view::npos ? arn.npos : colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  auto invalid = [&](std::string why) {
    return MakeError("InvalidArn", "Invalid Arn: '" + why + "'");
  };
  if (parts.size() < 6 || parts[0] != "arn" || parts[1].empty() || parts[2] != "states" ||
      parts[3].empty() || parts[4].empty())
    return invalid("Invalid ARN prefix: " + std::string(arn));
  if (parts[5] != type)
    return invalid("Resource type not valid in this context: " + std::string(parts[5]));
  bool execution = type == "execution";
  size_t wanted = execution ? 8 : 7;
  // A state machine ARN may carry a version or alias qualifier (one more part).
  if (parts.size() < wanted || parts.size() > 8 || parts[6].empty() ||
      (parts.size() == 8 && parts[7].empty()))
    return invalid("Invalid Arn resource: " + std::string(arn));
  Arn out;
  out.type = std::string(parts[5]);
  out.name = std::string(parts[6]);
  if (parts.size() == 8) out.name2 = std::string(parts[7]);
  return out;
}

Json EpochSeconds(TimePoint t) {
  return Json::Double(static_cast<double>(ToUnixMillis(t)) / 1000.0);
}

Json MachineConfig(std::string_view config_text) {
  auto parsed = Json::Parse(config_text);
  return parsed.ok() && parsed->is_object() ? *parsed : Json::EmptyObject();
}

Json LoggingConfigurationOf(const Json& config) {
  if (const Json* v = config.find("loggingConfiguration")) return *v;
  return Json::Object(
      {{"level", Json::String("OFF")}, {"includeExecutionData", Json::Bool(false)}});
}

Json TracingConfigurationOf(const Json& config) {
  if (const Json* v = config.find("tracingConfiguration")) return *v;
  return Json::Object({{"enabled", Json::Bool(false)}});
}

Error FromStore(Error e) {
  if (e.code == store::errc::kStoreFailure || e.code == store::errc::kLeaseLost)
    return MakeError("InternalFailure", std::move(e.message));
  if (e.code == store::errc::kInvalidArgument)
    return MakeError("ValidationException", std::move(e.message));
  return e;
}

}  // namespace wharf::api::sfn
