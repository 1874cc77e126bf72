// Reading Step Functions requests: the members of an AWS JSON 1.0 body with AWS's checks and
// error shapes (ValidationException naming the member, InvalidArn, InvalidName), ARNs, names,
// page sizes, and the few conversions every action shares (times, store errors).
// Used by the SfnService actions (sfn_service.h); not a public API of its own.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/json.h"
#include "core/result.h"

namespace wharf::api::sfn {

// "1 validation error detected: <detail>", as AWS words a ValidationException.
Error ValidationError(std::string detail);

// Member checks. `max_length` counts bytes; AWS counts characters, which only differs for
// non-ASCII text near the limit.
struct Length {
  size_t min = 1;
  size_t max = 256;
};

// A string member that must be present: ValidationException "Value null at 'member' ... must
// not be null" when absent, "... must be a string" for another JSON type, and the length
// constraint AWS states ("Member must have length less than or equal to 80").
Result<std::string> RequiredString(const Json& request, std::string_view member, Length length);
// The same for a member that may be absent (absent and JSON null give nullopt).
Result<std::optional<std::string>> OptionalString(const Json& request, std::string_view member,
                                                  Length length);
Result<std::optional<bool>> OptionalBool(const Json& request, std::string_view member);
// An object member (loggingConfiguration, ...), or nullopt.
Result<std::optional<Json>> OptionalObject(const Json& request, std::string_view member);
// An array member (tags), or nullopt.
Result<std::optional<Json>> OptionalArray(const Json& request, std::string_view member);

// maxResults: 0..1000, where 0 (or absence) means the default page of 100 (API reference:
// "The default is 100 and the maximum allowed page size is 1000. A value of 0 uses the
// default."). Returns the store's limit (0 for the default).
Result<int> MaxResults(const Json& request);
// nextToken: 1..1024 characters, or "" when absent.
Result<std::string> NextToken(const Json& request);

// A state machine or execution name. "A name must not contain: white space, brackets < > { } [ ],
// wildcard characters ? *, special characters " # % \ ^ | ~ ` $ & , ; : /, control characters
// (U+0000-001F, U+007F-009F)" and has 1 to 80 characters (API reference, CreateStateMachine and
// StartExecution). InvalidName otherwise, naming what is wrong.
Status CheckName(std::string_view name);

// The parts of an ARN of Step Functions: arn:PARTITION:states:REGION:ACCOUNT:TYPE:NAME[:NAME2].
struct Arn {
  std::string type;   // "stateMachine", "execution", "express", ...
  std::string name;   // the machine's name
  std::string name2;  // the execution's name (execution ARNs), or a version/alias qualifier
};
// Checks the form of `arn` for a member that takes `type` ("stateMachine" or "execution"):
// InvalidArn ("Invalid Arn: 'Resource type not valid in this context: express'") otherwise.
Result<Arn> ParseArn(std::string_view arn, std::string_view type);

// Step Functions returns times as epoch seconds with a fraction.
Json EpochSeconds(TimePoint t);

// The `config` JSON object of a stored state machine ({} when empty or unreadable), and the
// members DescribeStateMachine shows from it, with AWS's defaults when unset
// ({"level":"OFF","includeExecutionData":false} and {"enabled":false}).
Json MachineConfig(std::string_view config_text);
Json LoggingConfigurationOf(const Json& config);
Json TracingConfigurationOf(const Json& config);

// The store's codes are AWS's where AWS has one; the rest become AWS's InternalFailure (a failed
// database) or ValidationException (an argument the store refused).
Error FromStore(Error e);

// Runs the handler `actions` has for `action` on `service`: the JSON protocols' common part. A
// body that is not an object is SerializationException; an action not in the table is
// UnknownOperationException, naming `service_name` ("the Step Functions action 'X'").
template <typename Service>
using ActionTable =
    std::map<std::string, Result<Json> (Service::*)(const Json&) const, std::less<>>;

template <typename Service>
Result<Json> Dispatch(const Service& service, const ActionTable<Service>& actions,
                      std::string_view service_name, std::string_view action, const Json& request) {
  if (!request.is_object())
    return MakeError("SerializationException", "The request body must be a JSON object.");
  auto it = actions.find(action);
  if (it == actions.end())
    return MakeError("UnknownOperationException", "wharf does not implement the " +
                                                      std::string(service_name) + " action '" +
                                                      std::string(action) + "'.");
  return (service.*(it->second))(request);
}

}  // namespace wharf::api::sfn
