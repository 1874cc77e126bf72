// AWS Signature Version 4: verifies the signature of an incoming request (Authorization header or
// presigned query string), and signs requests for wharf's own clients and tests.
//
// The rules follow AWS's "Create a signed AWS API request" (IAM user guide, Signature Version 4);
// each step quotes the rule it implements. Errors carry AWS's error names in `Error::code`
// (`MissingAuthenticationTokenException`, `IncompleteSignatureException`,
// `InvalidSignatureException`, `UnrecognizedClientException`) and AWS's messages, so the HTTP
// layer can pass them to clients as they are.
//
// Thread-safety: every function is pure apart from the Clock and the secret lookup it is given;
// both must be safe to call from the calling thread.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace wharf::api {

// One request as it arrived: `target` is the request-target exactly as on the wire (path, then
// "?" and the query string, still percent-encoded); headers in arrival order, names in any case.
struct SigV4Request {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;
};

// How the canonical URI is formed. AWS: "Each path segment must be URI-encoded twice (except for
// Amazon S3 which only gets URI-encoded once)" and S3 does not normalise the path.
enum class PathRules { kDefault, kS3 };

struct SigV4Options {
  // The region and service the credential scope must name; empty accepts any.
  std::string region;
  std::string service;
  PathRules path_rules = PathRules::kDefault;
  // How far the request's date may lie from now (AWS: 15 minutes).
  std::chrono::seconds max_skew = std::chrono::minutes(15);
  // Accept `x-amz-content-sha256: UNSIGNED-PAYLOAD` (S3 does; other services do not).
  bool allow_unsigned_payload = false;
};

// Returns the secret access key of an access key id, or nothing for an unknown key.
using SecretLookup = std::function<std::optional<std::string>(std::string_view access_key_id)>;

// Who signed a request that verified.
struct SigV4Identity {
  std::string access_key_id;
  std::string region;
  std::string service;
};

// Verifies the request's signature. Returns the signer, or an Error whose code is the AWS error
// name. Check order, as AWS: form of the Authorization/query parameters, credential scope, date
// against `clock`, access key, payload hash, signature (compared in constant time).
Result<SigV4Identity> VerifySigV4(const SigV4Request& request, const SecretLookup& secrets,
                                  const Clock& clock, const SigV4Options& options);

// Signs `request` in place with the Authorization-header form: adds `X-Amz-Date` (and, when
// `session_token` is not empty, `X-Amz-Security-Token`) and `Authorization`. Signs `host`,
// `x-amz-*` and `content-type` headers. REQUIRES: a Host header.
void SignSigV4(SigV4Request& request, std::string_view access_key_id, std::string_view secret,
               std::string_view region, std::string_view service, TimePoint now,
               PathRules path_rules = PathRules::kDefault);

// The steps, exposed for tests and diagnostics.
namespace sigv4 {

// UriEncode as AWS defines it: every byte except A-Z a-z 0-9 - . _ ~ becomes %XY (upper-case hex);
// "/" too unless `keep_slash`.
std::string UriEncode(std::string_view s, bool keep_slash);
// Decodes %XY escapes; other bytes (including '+') are kept as they are.
std::string PercentDecode(std::string_view s);

// CanonicalURI from the wire path (without the query).
std::string CanonicalUri(std::string_view wire_path, PathRules rules);

// CanonicalQueryString from the wire query (without "?"), leaving out `X-Amz-Signature` when
// `presigned`.
std::string CanonicalQuery(std::string_view wire_query, bool presigned);

// The canonical headers block ("name:value\n" per signed header) for `signed_headers` (lower
// case, sorted), from the request's headers.
std::string CanonicalHeaders(const std::vector<std::pair<std::string, std::string>>& headers,
                             const std::vector<std::string>& signed_headers);

std::string HexSha256(std::string_view data);

// CanonicalRequest = Method \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n
// SignedHeaders \n HashedPayload.
std::string CanonicalRequest(const SigV4Request& request,
                             const std::vector<std::string>& signed_headers,
                             std::string_view payload_hash, PathRules rules, bool presigned);

// StringToSign = "AWS4-HMAC-SHA256" \n RequestDateTime \n CredentialScope \n Hex(SHA256(CR)).
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);

// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"),
// returned as 32 raw bytes.
std::string SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service);

// Hex(HMAC(signing_key, string_to_sign)).
std::string Signature(std::string_view signing_key, std::string_view string_to_sign);

// ISO 8601 basic format, as X-Amz-Date: 20150830T123600Z.
std::string FormatAmzDate(TimePoint t);
std::optional<TimePoint> ParseAmzDate(std::string_view s);
// RFC 7231 IMF-fixdate, as the Date header: Sun, 30 Aug 2015 12:36:00 GMT.
std::optional<TimePoint> ParseHttpDate(std::string_view s);

// What a request claims about its signature, from the Authorization header or the query string.
struct ParsedAuth {
  bool presigned = false;
  std::string access_key_id;
  std::string date;  // YYYYMMDD of the credential scope
  std::string region;
  std::string service;
  std::string terminator;  // "aws4_request"
  std::vector<std::string> signed_headers;
  std::string signature;
  std::string amz_date;                    // the request time, ISO 8601 basic
  std::optional<int64_t> expires_seconds;  // X-Amz-Expires of a presigned request
};

// Reads the Authorization header or the X-Amz-* query parameters. Errors:
// MissingAuthenticationTokenException when neither is present, IncompleteSignatureException when
// parts are missing or malformed.
Result<ParsedAuth> ParseAuth(const SigV4Request& request);

}  // namespace sigv4
}  // namespace wharf::api
