// Loading the AWS-recorded conformance cases (../shared/conformance/aws-recorded, see its
// README.md): the index, one case's files, which cases the replay can run, the Lambda functions a
// case needs as real wharf functions, and the engine history turned into the recorded shapes.
// Thread-safety: plain functions over values.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/result.h"
#include "tasks/function_runner.h"

namespace wharf::conformance {

// One line of index.json.
struct CaseEntry {
  std::string name;  // the folder, e.g. "base__test_wait_timestamppath_Z"
  std::string area;
  std::string status;
  std::vector<std::string> needs;
};

Result<std::vector<CaseEntry>> ParseIndex(const Json& index);
Result<std::vector<CaseEntry>> LoadIndex(const std::string& root);

// The needs this replay provides: plain ASL plus these (README "needs").
bool IsSupportedNeed(std::string_view need);
// The needs of `entry` that the replay cannot provide; empty when the case is eligible.
std::vector<std::string> UnsupportedNeeds(const CaseEntry& entry);

// One case's files, parsed.
struct Case {
  CaseEntry entry;
  std::string dir;
  std::string definition_text;  // definition.json, as written
  Json input;                   // input.json
  Json expected;                // expected.json
  Json info;                    // case.json
};
Result<Case> LoadCase(const std::string& root, const CaseEntry& entry);
Result<std::string> ReadFile(const std::string& path);

// The function name of a Lambda ARN: "arn:aws:lambda:us-east-1:111111111111:function:NAME" (a
// version or alias suffix is dropped); a plain name is returned as is.
std::string FunctionNameFromArn(std::string_view arn);

// The Lambda functions of case.json's `lambda` list as wharf functions keyed by function name:
//   echo     -> ["cat"] (returns its event)
//   constant -> prints `value` as JSON (WHARF_CONSTANT in the environment)
//   raise    -> prints {"errorType","errorMessage"} on stdout and exits 1, which the function
//               contract turns into that error and cause.
Result<std::map<std::string, tasks::FunctionSpec>> BuildFunctions(const Json& info);

// The types of history events given as HistoryEvent::ToJson() objects.
std::vector<std::string> HistoryTypes(const std::vector<Json>& events);

// The `states` of expected.json rebuilt from history events (HistoryEvent::ToJson() objects):
// one {name, type, enteredInput, exitedOutput?, assignedVariables?} per *StateEntered event, in
// order, the exits paired with entries by name in FIFO order; inputs and outputs parsed from the
// JSON text of the event details.
Json StatesFromHistory(const std::vector<Json>& events);

}  // namespace wharf::conformance
