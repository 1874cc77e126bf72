#include "api/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <strings.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace wharf::api {
namespace sigv4 {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kTerminator = "aws4_request";
constexpr char kHex[] = "0123456789ABCDEF";
constexpr char kLowerHex[] = "0123456789abcdef";

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

std::string Hex(const unsigned char* data, size_t n) {
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kLowerHex[data[i] >> 4];
    out[2 * i + 1] = kLowerHex[data[i] & 0xf];
  }
  return out;
}

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The query string's parameters, split and percent-decoded, in order.
std::vector<std::pair<std::string, std::string>> QueryParams(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  if (query.empty()) return params;
  for (std::string_view piece : Split(query, '&')) {
    if (piece.empty()) continue;
    size_t eq = piece.find('=');
    std::string_view name = piece.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
    params.emplace_back(PercentDecode(name), PercentDecode(value));
  }
  return params;
}

std::pair<std::string_view, std::string_view> SplitTarget(std::string_view target) {
  size_t q = target.find('?');
  if (q == std::string_view::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

const std::string* FindHeader(const std::vector<std::pair<std::string, std::string>>& headers,
                              std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (n.size() == name.size() && strncasecmp(n.data(), name.data(), n.size()) == 0) return &v;
  }
  return nullptr;
}

const std::string* FindParam(const std::vector<std::pair<std::string, std::string>>& params,
                             std::string_view name) {
  for (const auto& [n, v] : params) {
    if (n == name) return &v;
  }
  return nullptr;
}

Error Incomplete(std::string message) {
  return MakeError("IncompleteSignatureException", std::move(message));
}

Error Invalid(std::string message) {
  return MakeError("InvalidSignatureException", std::move(message));
}

// Credential = <access key>/<YYYYMMDD>/<region>/<service>/aws4_request
Status ParseCredential(std::string_view credential, ParsedAuth& auth) {
  std::vector<std::string_view> parts = Split(credential, '/');
  if (parts.size() != 5) {
    return Incomplete(
        "Credential must have exactly 5 slash-delimited elements, e.g. "
        "keyid/date/region/service/term, got '" +
        std::string(credential) + "'");
  }
  auth.access_key_id = std::string(parts[0]);
  auth.date = std::string(parts[1]);
  auth.region = std::string(parts[2]);
  auth.service = std::string(parts[3]);
  auth.terminator = std::string(parts[4]);
  return {};
}

std::vector<std::string> ParseSignedHeaders(std::string_view list) {
  std::vector<std::string> names;
  for (std::string_view name : Split(list, ';')) {
    if (!name.empty()) names.push_back(ToLower(Trim(name)));
  }
  return names;
}

std::string Join(const std::vector<std::string>& names, char sep) {
  std::string out;
  for (const std::string& n : names) {
    if (!out.empty()) out += sep;
    out += n;
  }
  return out;
}

}  // namespace

std::string UriEncode(std::string_view s, bool keep_slash) {
  // "URI-encode each byte ... except the unreserved characters: 'A'-'Z', 'a'-'z', '0'-'9', '-',
  // '.', '_', and '~'. The space character is a reserved character and must be encoded as "%20"
  // (and not as "+"). Letters in the hexadecimal value must be uppercase."
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~' || (keep_slash && c == '/')) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = HexValue(s[i + 1]);
      int lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::string CanonicalUri(std::string_view wire_path, PathRules rules) {
  if (wire_path.empty()) return "/";
  if (rules == PathRules::kS3) {
    // S3: the path is URI-encoded once and not normalised. Decoding first makes the result
    // independent of how the client chose to escape characters that need no escape.
    return UriEncode(PercentDecode(wire_path), /*keep_slash=*/true);
  }
  // "Normalize URI paths according to RFC 3986. Remove redundant and relative path components."
  // Empty segments go too: "//example//" becomes "/example/".
  std::vector<std::string_view> segments;
  for (std::string_view seg : Split(wire_path, '/')) {
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
      continue;
    }
    segments.push_back(seg);
  }
  // "Each path segment must be URI-encoded twice": the wire form is already encoded once.
  std::string out = "/";
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out += '/';
    out += UriEncode(segments[i], /*keep_slash=*/false);
  }
  if (!segments.empty() && wire_path.back() == '/') out += '/';
  return out;
}

std::string CanonicalQuery(std::string_view wire_query, bool presigned) {
  // "URI-encode each parameter name and value ... Sort the parameter names by character code
  // point in ascending order. Parameters with duplicate names should be sorted by value. ...
  // Build the canonical query string by starting with the first parameter name in the sorted
  // list. For each parameter, append the URI-encoded parameter name, followed by the equals sign
  // character (=), followed by the URI-encoded parameter value. Use an empty string for
  // parameters that have no value. Append the ampersand character (&) after each parameter
  // value, except for the last value in the list."
  std::vector<std::pair<std::string, std::string>> encoded;
  for (const auto& [name, value] : QueryParams(wire_query)) {
    if (presigned && name == "X-Amz-Signature") continue;
    encoded.emplace_back(UriEncode(name, false), UriEncode(value, false));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string CanonicalHeaders(const std::vector<std::pair<std::string, std::string>>& headers,
                             const std::vector<std::string>& signed_headers) {
  // "CanonicalHeaders = CanonicalHeadersEntry0 + ... ; CanonicalHeadersEntry =
  // Lowercase(HeaderName) + ':' + Trimall(HeaderValue) + '\n'. Trimall removes leading and
  // trailing whitespace and converts sequential spaces to a single space." A header that appears
  // more than once has its values joined with commas, in the order they arrived.
  std::string out;
  for (const std::string& name : signed_headers) {
    out += name;
    out += ':';
    bool first = true;
    for (const auto& [n, v] : headers) {
      if (n.size() != name.size() || strncasecmp(n.data(), name.data(), n.size()) != 0) continue;
      if (!first) out += ',';
      first = false;
      bool space = false;
      for (char c : Trim(v)) {
        if (IsSpace(c)) {
          space = true;
          continue;
        }
        if (space) out += ' ';
        space = false;
        out += c;
      }
    }
    out += '\n';
  }
  return out;
}

std::string HexSha256(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return Hex(md, len);
}

std::string CanonicalRequest(const SigV4Request& request,
                             const std::vector<std::string>& signed_headers,
                             std::string_view payload_hash, PathRules rules, bool presigned) {
  auto [path, query] = SplitTarget(request.target);
  std::string out = request.method;
  out += '\n';
  out += CanonicalUri(path, rules);
  out += '\n';
  out += CanonicalQuery(query, presigned);
  out += '\n';
  out += CanonicalHeaders(request.headers, signed_headers);
  out += '\n';
  out += Join(signed_headers, ';');
  out += '\n';
  out += payload_hash;
  return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  std::string out(kAlgorithm);
  out += '\n';
  out += amz_date;
  out += '\n';
  out += scope;
  out += '\n';
  out += HexSha256(canonical_request);
  return out;
}

std::string SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service) {
  std::string k_date = Hmac("AWS4" + std::string(secret), date);
  std::string k_region = Hmac(k_date, region);
  std::string k_service = Hmac(k_region, service);
  return Hmac(k_service, kTerminator);
}

std::string Signature(std::string_view signing_key, std::string_view string_to_sign) {
  std::string mac = Hmac(signing_key, string_to_sign);
  return Hex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
}

std::string FormatAmzDate(TimePoint t) {
  std::time_t secs =
      std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(t));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::optional<TimePoint> ParseAmzDate(std::string_view s) {
  // YYYYMMDD'T'HHMMSS'Z'
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  for (size_t i : {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14}) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
  }
  auto num = [&](size_t pos, size_t len) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  tm.tm_hour = num(9, 2);
  tm.tm_min = num(11, 2);
  tm.tm_sec = num(13, 2);
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60) {
    return std::nullopt;
  }
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::optional<TimePoint> ParseHttpDate(std::string_view s) {
  // IMF-fixdate = day-name "," SP date1 SP time-of-day SP GMT, e.g. "Sun, 30 Aug 2015 12:36:00 GMT"
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::string text(Trim(s));
  char day_name[4] = {};
  char month[4] = {};
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  char zone[4] = {};
  if (std::sscanf(text.c_str(), "%3s, %d %3s %d %d:%d:%d %3s", day_name, &day, month, &year, &hour,
                  &minute, &second, zone) != 8 ||
      std::strcmp(zone, "GMT") != 0) {
    return std::nullopt;
  }
  int mon = -1;
  for (int i = 0; i < 12; ++i) {
    if (std::strcmp(month, kMonths[i]) == 0) mon = i;
  }
  if (mon < 0 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

Result<ParsedAuth> ParseAuth(const SigV4Request& request) {
  ParsedAuth auth;
  const std::string* header = FindHeader(request.headers, "Authorization");
  auto [path, query] = SplitTarget(request.target);
  std::vector<std::pair<std::string, std::string>> params = QueryParams(query);

  if (header != nullptr) {
    // Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...
    std::string_view value = Trim(*header);
    size_t space = value.find(' ');
    std::string_view algorithm = value.substr(0, space);
    if (algorithm != kAlgorithm) {
      return Incomplete("Unsupported AWS 'algorithm': '" + std::string(algorithm) +
                        "'. Authorization=" + std::string(value));
    }
    std::string_view rest = space == std::string_view::npos ? "" : value.substr(space + 1);
    std::string cred_value, headers_value, signature_value;
    bool has_cred = false, has_headers = false, has_signature = false;
    for (std::string_view part : Split(rest, ',')) {
      part = Trim(part);
      size_t eq = part.find('=');
      if (eq == std::string_view::npos) continue;
      std::string_view key = Trim(part.substr(0, eq));
      std::string_view val = Trim(part.substr(eq + 1));
      if (key == "Credential") {
        cred_value = val;
        has_cred = true;
      } else if (key == "SignedHeaders") {
        headers_value = val;
        has_headers = true;
      } else if (key == "Signature") {
        signature_value = val;
        has_signature = true;
      }
    }
    const std::string* x_amz_date = FindHeader(request.headers, "X-Amz-Date");
    const std::string* date = FindHeader(request.headers, "Date");
    std::string missing;
    if (!has_cred) missing += "Authorization header requires 'Credential' parameter. ";
    if (!has_signature) missing += "Authorization header requires 'Signature' parameter. ";
    if (!has_headers) missing += "Authorization header requires 'SignedHeaders' parameter. ";
    if (x_amz_date == nullptr && date == nullptr) {
      missing +=
          "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
    }
    if (!missing.empty()) return Incomplete(missing + "Authorization=" + std::string(value));
    WHARF_TRY_STATUS(ParseCredential(cred_value, auth));
    auth.signed_headers = ParseSignedHeaders(headers_value);
    auth.signature = signature_value;
    if (x_amz_date != nullptr) {
      auth.amz_date = std::string(Trim(*x_amz_date));
      if (!ParseAmzDate(auth.amz_date)) {
        return Incomplete("Date must be in ISO-8601 'basic format'. Got '" + auth.amz_date +
                          "'. See http://en.wikipedia.org/wiki/ISO_8601");
      }
    } else {
      // "If you use the Date header, ... the string to sign uses the ISO 8601 basic format."
      std::optional<TimePoint> t = ParseHttpDate(*date);
      if (!t) {
        return Incomplete(
            "Date header must be an RFC 7231 date (Sun, 30 Aug 2015 12:36:00 GMT). "
            "Got '" +
            *date + "'");
      }
      auth.amz_date = FormatAmzDate(*t);
    }
    return auth;
  }

  const std::string* algorithm = FindParam(params, "X-Amz-Algorithm");
  const std::string* credential = FindParam(params, "X-Amz-Credential");
  const std::string* signature = FindParam(params, "X-Amz-Signature");
  const std::string* signed_headers = FindParam(params, "X-Amz-SignedHeaders");
  const std::string* amz_date = FindParam(params, "X-Amz-Date");
  if (algorithm == nullptr && credential == nullptr && signature == nullptr) {
    return MakeError("MissingAuthenticationTokenException",
                     "Request is missing Authentication Token");
  }
  // The presigned form: every X-Amz-* parameter is required.
  if (algorithm == nullptr || credential == nullptr || signature == nullptr ||
      signed_headers == nullptr || amz_date == nullptr) {
    return Incomplete(
        "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', "
        "'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders'. Re-examine the query-string "
        "parameters.");
  }
  if (*algorithm != kAlgorithm) {
    return Incomplete("Unsupported AWS 'algorithm': '" + *algorithm + "'");
  }
  auth.presigned = true;
  WHARF_TRY_STATUS(ParseCredential(*credential, auth));
  auth.signed_headers = ParseSignedHeaders(*signed_headers);
  auth.signature = *signature;
  auth.amz_date = *amz_date;
  if (!ParseAmzDate(auth.amz_date)) {
    return Incomplete("Date must be in ISO-8601 'basic format'. Got '" + auth.amz_date +
                      "'. See http://en.wikipedia.org/wiki/ISO_8601");
  }
  if (const std::string* expires = FindParam(params, "X-Amz-Expires")) {
    // "X-Amz-Expires: the minimum value you can set is 1, and the maximum is 604800 (seven days)."
    int64_t n = -1;
    if (!expires->empty() && expires->size() <= 7 &&
        std::all_of(expires->begin(), expires->end(),
                    [](char c) { return c >= '0' && c <= '9'; })) {
      n = std::stoll(*expires);
    }
    if (n < 1 || n > 604800) {
      return Incomplete(
          "X-Amz-Expires must be a number of seconds from 1 to 604800 (a week), got '" + *expires +
          "'");
    }
    auth.expires_seconds = n;
  }
  return auth;
}

}  // namespace sigv4

namespace {

using namespace sigv4;  // NOLINT(google-build-using-namespace): this file's own helpers

// "Signature expired: 20150830T123600Z is now earlier than 20150830T124100Z (20150830T125600Z -
// 15 min.)", AWS's message for a request whose date lies too far in the past; and the mirror
// image for one too far in the future.
Status CheckDate(const ParsedAuth& auth, const Clock& clock, const SigV4Options& options) {
  TimePoint signed_at = *ParseAmzDate(auth.amz_date);
  TimePoint now = clock.Now();
  auto skew = options.max_skew;
  std::string skew_text = std::to_string(skew.count() / 60) + " min.";
  if (signed_at > now + skew) {
    return Invalid("Signature not yet current: " + auth.amz_date + " is still later than " +
                   FormatAmzDate(now + skew) + " (" + FormatAmzDate(now) + " + " + skew_text + ")");
  }
  if (auth.expires_seconds) {
    // A presigned request is valid from its date until X-Amz-Expires seconds later.
    auto expires = std::chrono::seconds(*auth.expires_seconds);
    if (signed_at + expires < now) {
      return Invalid("Signature expired: " + auth.amz_date + " is now earlier than " +
                     FormatAmzDate(now - expires) + " (" + FormatAmzDate(now) + " - " +
                     std::to_string(*auth.expires_seconds) + " sec.)");
    }
    return {};
  }
  if (signed_at < now - skew) {
    return Invalid("Signature expired: " + auth.amz_date + " is now earlier than " +
                   FormatAmzDate(now - skew) + " (" + FormatAmzDate(now) + " - " + skew_text + ")");
  }
  return {};
}

Status CheckScope(const ParsedAuth& auth, const SigV4Options& options) {
  if (auth.date != auth.amz_date.substr(0, 8)) {
    return Invalid(
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
        "from HTTP: '" +
        auth.date + "' != '" + auth.amz_date.substr(0, 8) + "', from '" + auth.amz_date + "'.");
  }
  if (!options.region.empty() && auth.region != options.region) {
    return Invalid("Credential should be scoped to a valid region, not '" + auth.region + "'. ");
  }
  if (!options.service.empty() && auth.service != options.service) {
    return Invalid("Credential should be scoped to correct service: '" + options.service + "'. ");
  }
  if (auth.terminator != kTerminator) {
    return Invalid("Credential should be scoped with a valid terminator: 'aws4_request', not '" +
                   auth.terminator + "'. ");
  }
  // "The host header must be included as a signed header."
  if (std::find(auth.signed_headers.begin(), auth.signed_headers.end(), "host") ==
      auth.signed_headers.end()) {
    return Incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  return {};
}

Result<std::string> PayloadHash(const SigV4Request& request, const SigV4Options& options) {
  std::string body_hash = HexSha256(request.body);
  const std::string* claimed = FindHeader(request.headers, "x-amz-content-sha256");
  if (claimed == nullptr) return body_hash;
  std::string value(Trim(*claimed));
  if (value == "UNSIGNED-PAYLOAD" && options.allow_unsigned_payload) return value;
  if (ToLower(value) == body_hash) return value;
  return MakeError("XAmzContentSHA256Mismatch",
                   "The provided 'x-amz-content-sha256' header does not match what was computed.");
}

}  // namespace

Result<SigV4Identity> VerifySigV4(const SigV4Request& request, const SecretLookup& secrets,
                                  const Clock& clock, const SigV4Options& options) {
  WHARF_TRY(ParsedAuth auth, ParseAuth(request));
  WHARF_TRY_STATUS(CheckScope(auth, options));
  WHARF_TRY_STATUS(CheckDate(auth, clock, options));

  // wharf issues no temporary credentials, so any session token is one it cannot recognise.
  auto [path, query] = SplitTarget(request.target);
  std::optional<std::string> secret = secrets ? secrets(auth.access_key_id) : std::nullopt;
  if (!secret || FindHeader(request.headers, "X-Amz-Security-Token") != nullptr ||
      FindParam(QueryParams(query), "X-Amz-Security-Token") != nullptr) {
    return MakeError("UnrecognizedClientException",
                     "The security token included in the request is invalid.");
  }

  WHARF_TRY(std::string payload_hash, PayloadHash(request, options));
  std::string canonical = CanonicalRequest(request, auth.signed_headers, payload_hash,
                                           options.path_rules, auth.presigned);
  std::string scope =
      auth.date + "/" + auth.region + "/" + auth.service + "/" + std::string(kTerminator);
  std::string to_sign = StringToSign(auth.amz_date, scope, canonical);
  std::string expected =
      Signature(SigningKey(*secret, auth.date, auth.region, auth.service), to_sign);

  std::string given = ToLower(auth.signature);
  if (given.size() != expected.size() ||
      CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0) {
    // AWS adds the canonical request and string to sign so a client can find its mistake; neither
    // reveals anything about the secret.
    return Invalid(
        "The request signature we calculated does not match the signature you provided. Check "
        "your AWS Secret Access Key and signing method. Consult the service documentation for "
        "details.\n\nThe Canonical String for this request should have been\n'" +
        canonical + "'\n\nThe String-to-Sign should have been\n'" + to_sign + "'\n");
  }
  return SigV4Identity{auth.access_key_id, auth.region, auth.service};
}

void SignSigV4(SigV4Request& request, std::string_view access_key_id, std::string_view secret,
               std::string_view region, std::string_view service, TimePoint now,
               PathRules path_rules) {
  auto& headers = request.headers;
  std::erase_if(headers, [](const auto& h) {
    std::string n = ToLower(h.first);
    return n == "authorization" || n == "x-amz-date";
  });
  std::string amz_date = FormatAmzDate(now);
  headers.emplace_back("X-Amz-Date", amz_date);

  std::vector<std::string> names;
  for (const auto& [n, v] : headers) {
    std::string lower = ToLower(n);
    if (lower == "host" || lower == "content-type" || lower.rfind("x-amz-", 0) == 0) {
      names.push_back(lower);
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());

  std::string date = amz_date.substr(0, 8);
  std::string scope = date + "/" + std::string(region) + "/" + std::string(service) + "/" +
                      std::string(kTerminator);
  std::string canonical =
      CanonicalRequest(request, names, HexSha256(request.body), path_rules, false);
  std::string signature = Signature(SigningKey(secret, date, region, service),
                                    StringToSign(amz_date, scope, canonical));
  headers.emplace_back("Authorization", std::string(kAlgorithm) +
                                            " Credential=" + std::string(access_key_id) + "/" +
                                            scope + ", SignedHeaders=" + Join(names, ';') +
                                            ", Signature=" + signature);
}

}  // namespace wharf::api
