#include "events/target_input.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace wharf::events {
namespace {

constexpr const char* kValidation = "ValidationException";

Error Invalid(std::string message) { return MakeError(kValidation, std::move(message)); }

enum class Reserved { kNone, kRuleArn, kRuleName, kIngestionTime, kEvent, kEventJson };

Reserved ReservedVariable(std::string_view name) {
  if (name == "aws.events.rule-arn") return Reserved::kRuleArn;
  if (name == "aws.events.rule-name") return Reserved::kRuleName;
  if (name == "aws.events.event.ingestion-time") return Reserved::kIngestionTime;
  if (name == "aws.events.event") return Reserved::kEvent;
  if (name == "aws.events.event.json") return Reserved::kEventJson;
  return Reserved::kNone;
}

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
}

bool StartsWithAws(std::string_view key) {
  return key.size() >= 3 && std::tolower(static_cast<unsigned char>(key[0])) == 'a' &&
         std::tolower(static_cast<unsigned char>(key[1])) == 'w' &&
         std::tolower(static_cast<unsigned char>(key[2])) == 's';
}

// A JSON string's characters without its quotes.
std::string EscapedForString(std::string_view text) {
  std::string quoted = Json::String(std::string(text)).Dump();
  return quoted.substr(1, quoted.size() - 2);
}

Result<asl::JsonPath> ParseEventPath(std::string_view text, const std::string& field) {
  if (text.size() > kMaxInputPathBytes)
    return Invalid(fmt::format("{}: a path has at most {} characters", field, kMaxInputPathBytes));
  if (text.empty() || text[0] != '$' || (text.size() > 1 && text[1] != '.' && text[1] != '['))
    return Invalid(
        fmt::format("{}: '{}' is not a JSON path into the event; it starts with $, as "
                    "in $.detail.file-path",
                    field, text));
  auto path = asl::JsonPath::Parse(text);
  if (!path.ok()) return Invalid(fmt::format("{}: {}", field, path.error().message));
  return std::move(*path);
}

// The value a path finds in `event`, or nullopt when it finds nothing.
std::optional<Json> Find(const asl::JsonPath& path, const Json& event) {
  auto found = path.EvaluateOn(event);
  if (!found.ok()) return std::nullopt;
  return std::move(*found);
}

struct Piece {
  std::string text;   // literal text before the placeholder
  int variable = -1;  // index into the variables, or -1 for a reserved one
  Reserved reserved = Reserved::kNone;
  bool placeholder = false;  // false: the last piece, text only
  bool in_string = false;    // inside a JSON string of the template
};
using Variables = std::vector<std::pair<std::string, asl::JsonPath>>;

// Splits `text` into literal pieces and placeholders, tracking JSON strings.
Result<std::vector<Piece>> ParseTemplate(std::string_view text, const Variables& variables) {
  std::vector<Piece> pieces;
  Piece current;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && in_string && i + 1 < text.size()) {
      current.text += c;
      current.text += text[++i];
      continue;
    }
    if (c == '"') in_string = !in_string;
    if (c == '<') {
      size_t end = i + 1;
      while (end < text.size() && IsNameChar(text[end])) ++end;
      if (end < text.size() && text[end] == '>' && end > i + 1) {
        std::string_view name = text.substr(i + 1, end - i - 1);
        Reserved reserved = ReservedVariable(name);
        int index = -1;
        for (size_t v = 0; v < variables.size(); ++v)
          if (variables[v].first == name) index = static_cast<int>(v);
        if (reserved != Reserved::kNone || index >= 0) {
          current.placeholder = true;
          current.variable = index;
          current.reserved = reserved;
          current.in_string = in_string;
          pieces.push_back(std::move(current));
          current = Piece();
          i = end;
          continue;
        }
      }
    }
    current.text += c;
  }
  pieces.push_back(std::move(current));
  return pieces;
}

// For a JSON-object template: no placeholder as a key, and valid JSON whatever the values.
Status CheckJsonTemplate(const std::vector<Piece>& pieces) {
  std::string probe;
  for (size_t p = 0; p < pieces.size(); ++p) {
    const auto& piece = pieces[p];
    probe += piece.text;
    if (!piece.placeholder) continue;
    // What follows the placeholder (within its string, then after it) tells whether it is a key.
    std::string_view next = p + 1 < pieces.size() ? std::string_view(pieces[p + 1].text) : "";
    size_t at = 0;
    if (piece.in_string) {
      while (at < next.size() && next[at] != '"') at += next[at] == '\\' ? 2 : 1;
      ++at;
    }
    while (at < next.size() && std::isspace(static_cast<unsigned char>(next[at]))) ++at;
    if (at < next.size() && next[at] == ':')
      return Invalid(
          "InputTransformer.InputTemplate: a placeholder cannot be used as an object "
          "key");
    probe += piece.in_string ? "" : "null";
  }
  auto parsed = Json::Parse(probe);
  if (!parsed.ok())
    return Invalid(
        fmt::format("InputTransformer.InputTemplate: a template that starts with '{{' "
                    "must be a JSON object once its placeholders are filled: {}",
                    parsed.error().message));
  return {};
}

}  // namespace

struct TargetInput::Impl {
  enum class Mode { kEvent, kConstant, kPath, kTemplate };
  Mode mode = Mode::kEvent;
  std::string constant;
  asl::JsonPath path;
  Variables variables;
  std::vector<Piece> pieces;
  bool json_template = false;  // the template is a JSON object
};

TargetInput::TargetInput() : impl_(std::make_shared<Impl>()) {}

Result<TargetInput> TargetInput::Compile(const TargetInputSpec& spec) {
  int set = spec.input.has_value() + spec.input_path.has_value() + spec.transformer.has_value();
  if (set > 1)
    return Invalid("a target takes at most one of Input, InputPath and InputTransformer");
  auto impl = std::make_shared<Impl>();
  if (spec.input) {
    if (spec.input->size() > kMaxInputBytes)
      return Invalid(fmt::format("Input: at most {} characters", kMaxInputBytes));
    auto parsed = Json::Parse(*spec.input);
    if (!parsed.ok()) return Invalid("Input: not valid JSON: " + parsed.error().message);
    impl->mode = Impl::Mode::kConstant;
    impl->constant = parsed->Dump();
  } else if (spec.input_path) {
    WHARF_TRY(impl->path, ParseEventPath(*spec.input_path, "InputPath"));
    impl->mode = Impl::Mode::kPath;
  } else if (spec.transformer) {
    const auto& t = *spec.transformer;
    if (t.paths.size() > kMaxInputPaths)
      return Invalid(fmt::format("InputTransformer.InputPathsMap: at most {} variables, got {}",
                                 kMaxInputPaths, t.paths.size()));
    for (const auto& [key, text] : t.paths) {
      std::string field = "InputTransformer.InputPathsMap." + key;
      if (key.empty() || key.size() > 256 ||
          !std::all_of(key.begin(), key.end(), [](char c) { return IsNameChar(c); }))
        return Invalid(
            fmt::format("{}: a variable's name has 1 to 256 letters, digits, '_', '-' "
                        "or '.'",
                        field));
      if (StartsWithAws(key))
        return Invalid(fmt::format("{}: names that start with 'aws' are reserved", field));
      for (const auto& [other, path] : impl->variables)
        if (other == key) return Invalid(fmt::format("{}: defined twice", field));
      WHARF_TRY(asl::JsonPath path, ParseEventPath(text, field));
      impl->variables.emplace_back(key, std::move(path));
    }
    if (t.input_template.empty())
      return Invalid("InputTransformer.InputTemplate: is required and may not be empty");
    if (t.input_template.size() > kMaxInputTemplateBytes)
      return Invalid(fmt::format("InputTransformer.InputTemplate: at most {} characters",
                                 kMaxInputTemplateBytes));
    WHARF_TRY(impl->pieces, ParseTemplate(t.input_template, impl->variables));
    size_t first = t.input_template.find_first_not_of(" \t\r\n");
    impl->json_template = first != std::string::npos && t.input_template[first] == '{';
    if (impl->json_template) WHARF_TRY_STATUS(CheckJsonTemplate(impl->pieces));
    impl->mode = Impl::Mode::kTemplate;
  }
  return TargetInput(std::move(impl));
}

std::string TargetInput::Render(const Json& event, const DeliveryContext& context) const {
  const Impl& impl = *impl_;
  switch (impl.mode) {
    case Impl::Mode::kEvent:
      return event.Dump();
    case Impl::Mode::kConstant:
      return impl.constant;
    case Impl::Mode::kPath: {
      std::optional<Json> found = Find(impl.path, event);
      return found ? found->Dump() : "null";
    }
    case Impl::Mode::kTemplate:
      break;
  }
  std::vector<std::optional<Json>> values(impl.variables.size());
  for (size_t v = 0; v < impl.variables.size(); ++v)
    values[v] = Find(impl.variables[v].second, event);
  std::string out;
  for (const Piece& piece : impl.pieces) {
    out += piece.text;
    if (!piece.placeholder) continue;
    std::optional<Json> value;
    switch (piece.reserved) {
      case Reserved::kRuleArn:
        value = Json::String(context.rule_arn);
        break;
      case Reserved::kRuleName:
        value = Json::String(context.rule_name);
        break;
      case Reserved::kIngestionTime:
        value = Json::String(context.ingestion_time);
        break;
      case Reserved::kEvent: {
        std::vector<JsonMember> members;
        if (event.is_object())
          for (const auto& [k, v] : event.as_object())
            if (k != "detail") members.emplace_back(k, v);
        out += Json::Object(std::move(members)).Dump();  // not escaped, as EventBridge does
        continue;
      }
      case Reserved::kEventJson:
        out += event.Dump();  // not escaped
        continue;
      case Reserved::kNone:
        value = values[static_cast<size_t>(piece.variable)];
        break;
    }
    if (piece.in_string) {
      if (!value) continue;
      out += value->is_string() ? EscapedForString(value->as_string())
                                : EscapedForString(value->Dump());
    } else if (!impl.json_template && value && value->is_string()) {
      out += value->as_string();  // free text: a string's characters
    } else {
      out += value ? value->Dump() : "null";
    }
  }
  return out;
}

}  // namespace wharf::events
