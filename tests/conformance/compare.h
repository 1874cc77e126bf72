// The comparator of the AWS-recorded conformance replay: decides whether a value wharf produced
// matches what AWS recorded, undoing the normalisation LocalStack's snapshot tool applied to the
// recording (see ../shared/conformance/aws-recorded/README.md, "Comparing results"):
//   1. key order is ignored;  2. numbers compare numerically;
//   3. ISO-8601 timestamps in engine values become the word "date";
//   4. with placeholders allowed, an expected string that is exactly one token (`<...>` or a bare
//      word) matches any value, and `<...>` inside a string matches any substring;
//   plus the test-specific regex transformers, which are applied to the engine value's JSON text.
// Every comparison returns the first difference as a short text ("$.a[2]: expected 1, got 2"),
// or std::nullopt when the values match.
// Thread-safety: all functions are pure; a Normalizer is immutable after Create.
#pragma once

#include <optional>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/result.h"

namespace wharf::conformance {

// Replaces every substring that matches the snapshot tool's ISO-8601 regex with "date" (rule 3).
std::string ReplaceIsoDates(std::string_view text);
bool ContainsIsoDate(std::string_view text);

// True when `pattern` matches `text`, where every `<...>` token in `pattern` matches any
// substring (possibly empty) and every other character matches itself.
bool MatchTokenPattern(std::string_view pattern, std::string_view text);

// True when `s` is exactly one angle-bracket token, e.g. "<uuid:1>".
bool IsAngleToken(std::string_view s);

// Lambda's error object as AWS prints it in a Cause: {"errorMessage", "errorType", "requestId",
// "stackTrace"}. Returns the errorType and errorMessage when `text` is such an object (parsed, or
// read field by field when a transformer left it invalid JSON).
struct LambdaError {
  std::string error_type;
  std::string error_message;
};
std::optional<LambdaError> ParseLambdaError(std::string_view text);
// True when the expected text is an AWS Lambda error object with a stack trace or request id:
// only its errorType and errorMessage are compared (README "Caveats").
bool IsRecordedLambdaError(std::string_view text);

// The matching rules for one comparison.
struct MatchRules {
  // Expected values may hold tokens (expected.json `placeholders` / `placeholders_in_states`).
  bool placeholders = false;
  // Bare words that stand for a whole value: the defaults plus the `transformers` replacements.
  std::set<std::string, std::less<>> bare_words;
  // Also require the same number form: AWS prints 1.0 and 1 differently (README rule 2, optional).
  bool number_form = false;
};

// The default bare words of the snapshot tool: date, timestamp, snf_role_arn, RequestId.
std::set<std::string, std::less<>> DefaultBareWords();

// Compares an expected (recorded, normalised) value with an actual (engine, normalised) value.
// `path` names the root in the message ("$", "output", ...).
std::optional<std::string> CompareJson(const Json& expected, const Json& actual,
                                       const MatchRules& rules, const std::string& path = "$");

// Brings engine values into the recorded form: applies the case's regex transformers to the
// value's JSON text (as the snapshot tool did to its whole dump), then replaces ISO-8601
// timestamps in strings with "date".
class Normalizer {
 public:
  Normalizer() = default;
  // `transformers` is expected.json's `transformers` array (or null). Bad regexes are errors.
  static Result<Normalizer> Create(const Json& transformers);

  Json Apply(const Json& actual) const;
  std::string ApplyToString(const std::string& actual) const;

  // Bare words the transformers introduced (for MatchRules::bare_words).
  const std::vector<std::string>& bare_words() const { return bare_words_; }

 private:
  struct RegexRule {
    std::regex re;
    std::string replacement;
  };
  std::vector<RegexRule> regexes_;
  std::vector<std::string> bare_words_;
};

// Compares the sequence of history event types; reports the first index that differs.
std::optional<std::string> CompareHistoryTypes(const std::vector<std::string>& expected,
                                               const std::vector<std::string>& actual);

// Compares expected.json `states` with the states of the engine's history (both arrays of
// {name, type, enteredInput, exitedOutput?, assignedVariables?}) as a multiset per state name:
// every expected entry must match a distinct actual entry of the same name, and the counts must
// agree. `assignedVariables` values are JSON text; an expected object value was parsed from text.
std::optional<std::string> CompareStatesMultiset(const Json& expected, const Json& actual,
                                                 const MatchRules& rules);

// Compares a recorded `cause` with the engine's cause string. `cause_is_json`: the recorded cause
// is an object parsed from JSON text; the engine's text is parsed and only errorType and
// errorMessage are compared.
std::optional<std::string> CompareCause(const Json& expected, bool cause_is_json,
                                        const std::string& actual, const MatchRules& rules);

}  // namespace wharf::conformance
