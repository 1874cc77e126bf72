// SfnService: the state machine actions (Create, Update, Describe, List, Delete,
// ValidateStateMachineDefinition). Machines and their revisions live in the StateStore; what the
// store has no column for (loggingConfiguration, tracingConfiguration, encryptionConfiguration,
// tags) is kept in the row's `config` JSON object, holding only the members the caller gave.
#include <utility>
#include <vector>

#include "api/sfn_request.h"
#include "api/sfn_service.h"

namespace wharf::api {

using sfn::Length;

namespace {

constexpr Length kDefinitionLength{1, 1024 * 1024};
constexpr Length kArnLength{1, 256};

Error InvalidDefinition(const Error& parse) {
  std::string code =
      parse.code == "UnsupportedFeature" ? "UNSUPPORTED_FEATURE" : "SCHEMA_VALIDATION_FAILED";
  return MakeError("InvalidDefinition",
                   "Invalid State Machine Definition: '" + code + ": " + parse.message + "'");
}

Error NotInEnum(std::string_view value, std::string_view member, std::string_view values) {
  return sfn::ValidationError("Value '" + std::string(value) + "' at '" + std::string(member) +
                              "' failed to satisfy constraint: Member must satisfy enum value "
                              "set: [" +
                              std::string(values) + "]");
}

Result<std::optional<store::MachineType>> TypeMember(const Json& request) {
  WHARF_TRY(std::optional<std::string> type, sfn::OptionalString(request, "type", Length{1, 32}));
  if (!type) return std::optional<store::MachineType>();
  auto parsed = store::ParseMachineType(*type);
  if (!parsed) return NotInEnum(*type, "type", "STANDARD, EXPRESS");
  return std::optional<store::MachineType>(*parsed);
}

// An IAM role ARN: only its form is checked (wharf runs no IAM).
Status CheckRoleArn(std::string_view role) {
  if (role.rfind("arn:", 0) != 0)
    return MakeError("InvalidArn", "Invalid Arn: 'Invalid ARN prefix: " + std::string(role) + "'");
  return {};
}

// loggingConfiguration: level ALL|ERROR|FATAL|OFF (default OFF), includeExecutionData (default
// false), destinations. Returned with the defaults filled in, as DescribeStateMachine shows it.
Result<Json> LoggingConfiguration(const Json& given) {
  std::string level = "OFF";
  if (const Json* l = given.find("level"); l && !l->is_null()) {
    if (!l->is_string())
      return sfn::ValidationError(
          "Value at 'loggingConfiguration.level' failed to satisfy constraint: Member must be a "
          "string");
    level = l->as_string();
    if (level != "ALL" && level != "ERROR" && level != "FATAL" && level != "OFF")
      return NotInEnum(level, "loggingConfiguration.level", "ALL, ERROR, FATAL, OFF");
  }
  WHARF_TRY(std::optional<bool> include, sfn::OptionalBool(given, "includeExecutionData"));
  WHARF_TRY(std::optional<Json> destinations, sfn::OptionalArray(given, "destinations"));
  if (level != "OFF" && (!destinations || destinations->size() == 0))
    return MakeError("InvalidLoggingConfiguration",
                     "Invalid Logging Configuration: a log level other than OFF needs at least "
                     "one destination");
  std::vector<JsonMember> m;
  m.emplace_back("level", Json::String(level));
  m.emplace_back("includeExecutionData", Json::Bool(include.value_or(false)));
  if (destinations) m.emplace_back("destinations", *destinations);
  return Json::Object(std::move(m));
}

Result<Json> TracingConfiguration(const Json& given) {
  WHARF_TRY(std::optional<bool> enabled, sfn::OptionalBool(given, "enabled"));
  return Json::Object({{"enabled", Json::Bool(enabled.value_or(false))}});
}

Status CheckTags(const Json& tags) {
  for (const Json& tag : tags.as_array()) {
    if (!tag.is_object())
      return sfn::ValidationError(
          "Value at 'tags' failed to satisfy constraint: Member must be a list of objects with "
          "'key' and 'value'");
    WHARF_TRY(std::string key, sfn::RequiredString(tag, "key", Length{1, 128}));
    WHARF_TRY(std::optional<std::string> value, sfn::OptionalString(tag, "value", Length{0, 256}));
    (void)key;
    (void)value;
  }
  return {};
}

// The config members a request sets, checked and with defaults filled in, applied over `base`.
Result<Json> ApplyConfig(const Json& request, Json base, bool* any) {
  WHARF_TRY(std::optional<Json> logging, sfn::OptionalObject(request, "loggingConfiguration"));
  WHARF_TRY(std::optional<Json> tracing, sfn::OptionalObject(request, "tracingConfiguration"));
  WHARF_TRY(std::optional<Json> encryption,
            sfn::OptionalObject(request, "encryptionConfiguration"));
  if (logging) {
    WHARF_TRY(Json normalized, LoggingConfiguration(*logging));
    base = base.Set("loggingConfiguration", std::move(normalized));
  }
  if (tracing) {
    WHARF_TRY(Json normalized, TracingConfiguration(*tracing));
    base = base.Set("tracingConfiguration", std::move(normalized));
  }
  if (encryption) base = base.Set("encryptionConfiguration", *encryption);
  if (any) *any = logging || tracing || encryption;
  return base;
}

Json ConfigObject(const store::StateMachine& m) { return sfn::MachineConfig(m.config); }

// CreateStateMachine's idempotency check "is based on the state machine name, definition, type,
// LoggingConfiguration, TracingConfiguration, and EncryptionConfiguration" (API reference):
// the role and the tags do not count.
bool SameForCreate(const store::StateMachine& a, const store::StateMachine& b) {
  if (a.definition != b.definition || a.type != b.type) return false;
  Json ca = ConfigObject(a), cb = ConfigObject(b);
  for (std::string_view member :
       {"loggingConfiguration", "tracingConfiguration", "encryptionConfiguration"}) {
    const Json* va = ca.find(member);
    const Json* vb = cb.find(member);
    if ((va == nullptr) != (vb == nullptr) || (va && *va != *vb)) return false;
  }
  return true;
}

}  // namespace

Result<store::StateMachine> SfnService::FindMachine(const Json& request) const {
  WHARF_TRY(std::string arn, sfn::RequiredString(request, "stateMachineArn", kArnLength));
  WHARF_TRY(sfn::Arn parsed, sfn::ParseArn(arn, "stateMachine"));
  (void)parsed;
  return store_->GetStateMachine(arn);
}

Result<Json> SfnService::CreateStateMachine(const Json& request) const {
  WHARF_TRY(std::string name, sfn::RequiredString(request, "name", Length{0, 4096}));
  WHARF_TRY_STATUS(sfn::CheckName(name));
  WHARF_TRY(std::string definition, sfn::RequiredString(request, "definition", kDefinitionLength));
  WHARF_TRY(std::string role, sfn::RequiredString(request, "roleArn", kArnLength));
  WHARF_TRY_STATUS(CheckRoleArn(role));
  WHARF_TRY(std::optional<store::MachineType> type, TypeMember(request));
  WHARF_TRY(Json config, ApplyConfig(request, Json::EmptyObject(), nullptr));
  WHARF_TRY(std::optional<Json> tags, sfn::OptionalArray(request, "tags"));
  if (tags) {
    WHARF_TRY_STATUS(CheckTags(*tags));
    config = config.Set("tags", *tags);
  }
  WHARF_TRY(std::optional<bool> publish, sfn::OptionalBool(request, "publish"));
  (void)publish;  // versions are not kept; the machine itself is what a version would be
  WHARF_TRY(std::optional<std::string> version_description,
            sfn::OptionalString(request, "versionDescription", Length{0, 256}));
  (void)version_description;

  auto parsed = asl::ParseDefinition(definition);
  if (!parsed.ok()) return InvalidDefinition(parsed.error());

  store::StateMachine row;
  row.arn = StateMachineArn(name);
  row.name = name;
  row.definition = std::move(definition);
  row.type = type.value_or(store::MachineType::kStandard);
  row.role_arn = std::move(role);
  row.config = config.Dump();
  auto put = store_->PutStateMachine(row, store::PutMode::kCreate, clock().Now());
  store::StateMachine stored;
  if (put.ok()) {
    stored = std::move(put->machine);
  } else {
    if (put.error().code != store::errc::kStateMachineAlreadyExists) return put.error();
    auto existing = store_->GetStateMachine(row.arn);
    if (!existing.ok() || !SameForCreate(*existing, row)) return put.error();
    stored = std::move(*existing);
  }
  return Json::Object({{"stateMachineArn", Json::String(stored.arn)},
                       {"creationDate", sfn::EpochSeconds(stored.created)}});
}

Result<Json> SfnService::UpdateStateMachine(const Json& request) const {
  WHARF_TRY(std::string arn, sfn::RequiredString(request, "stateMachineArn", kArnLength));
  WHARF_TRY(sfn::Arn parsed_arn, sfn::ParseArn(arn, "stateMachine"));
  (void)parsed_arn;
  WHARF_TRY(std::optional<std::string> definition,
            sfn::OptionalString(request, "definition", kDefinitionLength));
  WHARF_TRY(std::optional<std::string> role, sfn::OptionalString(request, "roleArn", kArnLength));
  if (role) WHARF_TRY_STATUS(CheckRoleArn(*role));
  WHARF_TRY(std::optional<bool> publish, sfn::OptionalBool(request, "publish"));
  (void)publish;
  bool config_given = false;
  // Checked before the machine is read, so a malformed request fails the same way either way.
  WHARF_TRY(Json probe, ApplyConfig(request, Json::EmptyObject(), &config_given));
  (void)probe;
  if (!definition && !role && !config_given)
    return MakeError("MissingRequiredParameter",
                     "Either the definition, the role ARN, the LoggingConfiguration, the "
                     "EncryptionConfiguration or the TracingConfiguration must be specified");
  if (definition) {
    auto parsed = asl::ParseDefinition(*definition);
    if (!parsed.ok()) return InvalidDefinition(parsed.error());
  }
  WHARF_TRY(store::StateMachine current, store_->GetStateMachine(arn));
  WHARF_TRY(Json config, ApplyConfig(request, ConfigObject(current), nullptr));
  store::StateMachine row = current;
  if (definition) row.definition = std::move(*definition);
  if (role) row.role_arn = std::move(*role);
  row.config = config.Dump();
  WHARF_TRY(store::PutStateMachineResult put,
            store_->PutStateMachine(row, store::PutMode::kUpdate, clock().Now()));
  return Json::Object({{"updateDate", sfn::EpochSeconds(put.machine.updated)},
                       {"revisionId", Json::String(put.machine.revision_id)}});
}

Result<Json> SfnService::DescribeStateMachine(const Json& request) const {
  WHARF_TRY(store::StateMachine m, FindMachine(request));
  Json config = ConfigObject(m);
  std::vector<JsonMember> out;
  out.emplace_back("stateMachineArn", Json::String(m.arn));
  out.emplace_back("name", Json::String(m.name));
  out.emplace_back("status", Json::String("ACTIVE"));
  out.emplace_back("definition", Json::String(m.definition));
  out.emplace_back("roleArn", Json::String(m.role_arn.empty() ? DefaultRoleArn() : m.role_arn));
  out.emplace_back("type", Json::String(store::MachineTypeName(m.type)));
  out.emplace_back("creationDate", sfn::EpochSeconds(m.created));
  out.emplace_back("loggingConfiguration", sfn::LoggingConfigurationOf(config));
  out.emplace_back("tracingConfiguration", sfn::TracingConfigurationOf(config));
  if (const Json* e = config.find("encryptionConfiguration"))
    out.emplace_back("encryptionConfiguration", *e);
  out.emplace_back("revisionId", Json::String(m.revision_id));
  return Json::Object(std::move(out));
}

Result<Json> SfnService::ListStateMachines(const Json& request) const {
  WHARF_TRY(int limit, sfn::MaxResults(request));
  WHARF_TRY(std::string token, sfn::NextToken(request));
  WHARF_TRY(store::Page<store::StateMachine> page, store_->ListStateMachines(limit, token));
  JsonArray items;
  items.reserve(page.items.size());
  for (const store::StateMachine& m : page.items) {
    items.push_back(Json::Object({{"stateMachineArn", Json::String(m.arn)},
                                  {"name", Json::String(m.name)},
                                  {"type", Json::String(store::MachineTypeName(m.type))},
                                  {"creationDate", sfn::EpochSeconds(m.created)}}));
  }
  std::vector<JsonMember> out;
  out.emplace_back("stateMachines", Json::Array(std::move(items)));
  if (!page.next_token.empty()) out.emplace_back("nextToken", Json::String(page.next_token));
  return Json::Object(std::move(out));
}

Result<Json> SfnService::DeleteStateMachine(const Json& request) const {
  WHARF_TRY(std::string arn, sfn::RequiredString(request, "stateMachineArn", kArnLength));
  WHARF_TRY(sfn::Arn parsed, sfn::ParseArn(arn, "stateMachine"));
  (void)parsed;
  // DeleteStateMachine has no "does not exist" error in the API reference: deleting a machine
  // that is gone succeeds, so a repeated delete is harmless.
  Status deleted = store_->DeleteStateMachine(arn);
  if (!deleted.ok() && deleted.error().code != store::errc::kStateMachineDoesNotExist)
    return deleted.error();
  return Json::EmptyObject();
}

Result<Json> SfnService::ValidateDefinition(const Json& request) const {
  WHARF_TRY(std::string definition, sfn::RequiredString(request, "definition", kDefinitionLength));
  WHARF_TRY(std::optional<store::MachineType> type, TypeMember(request));
  (void)type;
  auto parsed = asl::ParseDefinition(definition);
  if (parsed.ok())
    return Json::Object({{"result", Json::String("OK")},
                         {"diagnostics", Json::EmptyArray()},
                         {"truncated", Json::Bool(false)}});
  std::vector<JsonMember> d;
  d.emplace_back("severity", Json::String("ERROR"));
  d.emplace_back("code", Json::String(parsed.error().code == "UnsupportedFeature"
                                          ? "UNSUPPORTED_FEATURE"
                                          : "SCHEMA_VALIDATION_FAILED"));
  d.emplace_back("message", Json::String(parsed.error().message));
  return Json::Object({{"result", Json::String("FAIL")},
                       {"diagnostics", Json::Array({Json::Object(std::move(d))})},
                       {"truncated", Json::Bool(false)}});
}

}  // namespace wharf::api
