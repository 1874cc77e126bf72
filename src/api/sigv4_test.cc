#include "api/sigv4.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace wharf::api {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kKeyId = "AKIDEXAMPLE";
constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

// 20150830T123600Z, the time every vector of the suite was signed at.
TimePoint SuiteTime() { return *sigv4::ParseAmzDate("20150830T123600Z"); }

SecretLookup SuiteSecrets() {
  return [](std::string_view id) -> std::optional<std::string> {
    if (id == kKeyId) return std::string(kSecret);
    return std::nullopt;
  };
}

SigV4Options SuiteOptions(const std::string& case_name = "") {
  SigV4Options options;
  options.region = "us-east-1";
  options.service = "service";
  // The suite's *-unnormalized cases are signed the way S3 signs.
  if (case_name.ends_with("-unnormalized")) options.path_rules = PathRules::kS3;
  return options;
}

fs::path VectorDir() { return fs::path(WHARF_SOURCE_DIR) / "src/api/testdata/sigv4"; }

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Parses the suite's request files: "METHOD TARGET HTTP/1.1", then "Name:value" lines, a blank
// line and the body. The target may hold raw spaces and UTF-8, as the suite writes it.
struct ParsedFile {
  SigV4Request request;
  std::string body;
};

ParsedFile ParseRequestFile(const std::string& text) {
  ParsedFile out;
  size_t line_end = text.find('\n');
  std::string first = text.substr(0, line_end);
  size_t sp = first.find(' ');
  size_t version = first.rfind(" HTTP/");
  out.request.method = first.substr(0, sp);
  out.request.target = first.substr(sp + 1, version - sp - 1);
  size_t pos = line_end + 1;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) break;
    size_t colon = line.find(':');
    out.request.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  out.body = pos < text.size() ? text.substr(pos) : "";
  return out;
}

std::vector<std::string> CasesWith(const std::string& file) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(VectorDir())) {
    if (entry.is_directory() && fs::exists(entry.path() / file)) {
      names.push_back(entry.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string AuthorizationOf(const SigV4Request& request) {
  for (const auto& [n, v] : request.headers) {
    if (n == "Authorization") return v;
  }
  return "";
}

// The header form: each vector's request, with the Authorization header AWS computed for it,
// verifies. A signature over HMAC-SHA256 matches only when our canonical request and string to
// sign are byte for byte those AWS signed, so this checks all three.
TEST(SigV4Suite, HeaderSignedRequestsVerify) {
  std::vector<std::string> cases = CasesWith("header-signed-request.txt");
  ASSERT_GE(cases.size(), 20u) << "vectors missing under " << VectorDir();
  VirtualClock clock(SuiteTime());
  for (const std::string& name : cases) {
    SCOPED_TRACE(name);
    ParsedFile file = ParseRequestFile(ReadFile(VectorDir() / name / "header-signed-request.txt"));
    file.request.body = file.body;
    Result<SigV4Identity> id = VerifySigV4(file.request, SuiteSecrets(), clock, SuiteOptions(name));
    ASSERT_TRUE(id.ok()) << id.error().code << ": " << id.error().message;
    EXPECT_EQ(id->access_key_id, kKeyId);
    EXPECT_EQ(id->region, "us-east-1");
    EXPECT_EQ(id->service, "service");
  }
}

// The query (presigned) form: canonical request, string to sign and signature match the suite's
// files exactly, and the request verifies.
TEST(SigV4Suite, PresignedRequestsMatchCanonicalRequestStringToSignAndSignature) {
  std::vector<std::string> cases = CasesWith("query-canonical-request.txt");
  ASSERT_GE(cases.size(), 5u);
  VirtualClock clock(SuiteTime());
  for (const std::string& name : cases) {
    SCOPED_TRACE(name);
    fs::path dir = VectorDir() / name;
    ParsedFile file = ParseRequestFile(ReadFile(dir / "query-signed-request.txt"));
    file.request.body = file.body;
    Result<sigv4::ParsedAuth> auth = sigv4::ParseAuth(file.request);
    ASSERT_TRUE(auth.ok()) << auth.error().message;
    ASSERT_TRUE(auth->presigned);

    std::string canonical =
        sigv4::CanonicalRequest(file.request, auth->signed_headers, sigv4::HexSha256(file.body),
                                SuiteOptions(name).path_rules, true);
    EXPECT_EQ(canonical, ReadFile(dir / "query-canonical-request.txt"));
    std::string sts =
        sigv4::StringToSign(auth->amz_date, "20150830/us-east-1/service/aws4_request", canonical);
    EXPECT_EQ(sts, ReadFile(dir / "query-string-to-sign.txt"));
    std::string signature =
        sigv4::Signature(sigv4::SigningKey(kSecret, "20150830", "us-east-1", "service"), sts);
    EXPECT_EQ(signature, auth->signature);

    Result<SigV4Identity> id = VerifySigV4(file.request, SuiteSecrets(), clock, SuiteOptions(name));
    EXPECT_TRUE(id.ok()) << id.error().code << ": " << id.error().message;
  }
}

// Our signer produces the suite's Authorization header for the requests whose signed headers are
// the ones it chooses (host, x-amz-*, content-type).
TEST(SigV4Suite, SignerReproducesAuthorizationHeaders) {
  for (const char* name : {"get-vanilla-query", "get-vanilla-query-order-key-case", "get-utf8",
                           "get-space-normalized", "post-vanilla", "get-vanilla-utf8-query"}) {
    SCOPED_TRACE(name);
    ParsedFile file = ParseRequestFile(ReadFile(VectorDir() / name / "header-signed-request.txt"));
    std::string expected = AuthorizationOf(file.request);
    SigV4Request unsigned_request = file.request;
    SignSigV4(unsigned_request, kKeyId, kSecret, "us-east-1", "service", SuiteTime());
    EXPECT_EQ(AuthorizationOf(unsigned_request), expected);
  }
}

// A request of our own, signed at the suite's time, for the failure cases.
SigV4Request SignedPost(TimePoint at, std::string_view secret = kSecret,
                        std::string_view key = kKeyId) {
  SigV4Request request;
  request.method = "POST";
  request.target = "/";
  request.headers = {{"Host", "localhost:8080"},
                     {"Content-Type", "application/x-amz-json-1.0"},
                     {"X-Amz-Target", "AWSStepFunctions.ListStateMachines"}};
  request.body = "{}";
  SignSigV4(request, key, secret, "us-east-1", "service", at);
  return request;
}

TEST(SigV4Verify, OwnSignatureVerifies) {
  VirtualClock clock(SuiteTime());
  Result<SigV4Identity> id =
      VerifySigV4(SignedPost(SuiteTime()), SuiteSecrets(), clock, SuiteOptions());
  ASSERT_TRUE(id.ok()) << id.error().message;
}

TEST(SigV4Verify, WrongSecretIsInvalidSignature) {
  VirtualClock clock(SuiteTime());
  Result<SigV4Identity> id =
      VerifySigV4(SignedPost(SuiteTime(), "not-the-secret"), SuiteSecrets(), clock, SuiteOptions());
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code, "InvalidSignatureException");
  EXPECT_TRUE(id.error().message.starts_with(
      "The request signature we calculated does not match the signature you provided. Check your "
      "AWS Secret Access Key and signing method. Consult the service documentation for details."))
      << id.error().message;
  // AWS shows the canonical request it expected, so a client can find its mistake.
  EXPECT_NE(id.error().message.find("host;x-amz-date;x-amz-target"), std::string::npos);
}

TEST(SigV4Verify, ChangedBodyIsInvalidSignature) {
  VirtualClock clock(SuiteTime());
  SigV4Request request = SignedPost(SuiteTime());
  request.body = "{\"maxResults\":1}";
  Result<SigV4Identity> id = VerifySigV4(request, SuiteSecrets(), clock, SuiteOptions());
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code, "InvalidSignatureException");
}

TEST(SigV4Verify, UnknownKeyIsUnrecognizedClient) {
  VirtualClock clock(SuiteTime());
  Result<SigV4Identity> id = VerifySigV4(SignedPost(SuiteTime(), kSecret, "AKIDUNKNOWN"),
                                         SuiteSecrets(), clock, SuiteOptions());
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code, "UnrecognizedClientException");
  EXPECT_EQ(id.error().message, "The security token included in the request is invalid.");
}

TEST(SigV4Verify, StaleDateIsSignatureExpired) {
  VirtualClock clock(SuiteTime() + 16min);  // now 12:52, the request says 12:36
  Result<SigV4Identity> id =
      VerifySigV4(SignedPost(SuiteTime()), SuiteSecrets(), clock, SuiteOptions());
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code, "InvalidSignatureException");
  EXPECT_EQ(id.error().message,
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z "
            "(20150830T125200Z - 15 min.)");
}

TEST(SigV4Verify, DateWithinFifteenMinutesIsAccepted) {
  VirtualClock clock(SuiteTime() + 14min);
  EXPECT_TRUE(VerifySigV4(SignedPost(SuiteTime()), SuiteSecrets(), clock, SuiteOptions()).ok());
  VirtualClock earlier(SuiteTime() - 14min);
  EXPECT_TRUE(VerifySigV4(SignedPost(SuiteTime()), SuiteSecrets(), earlier, SuiteOptions()).ok());
}

TEST(SigV4Verify, FutureDateIsNotYetCurrent) {
  VirtualClock clock(SuiteTime() - 16min);
  Result<SigV4Identity> id =
      VerifySigV4(SignedPost(SuiteTime()), SuiteSecrets(), clock, SuiteOptions());
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code, "InvalidSignatureException");
  EXPECT_EQ(id.error().message,
            "Signature not yet current: 20150830T123600Z is still later than 20150830T123500Z "
            "(20150830T122000Z + 15 min.)");
}

TEST(SigV4Verify, NoAuthenticationIsMissingToken) {
  VirtualClock clock(SuiteTime());
  SigV4Request request;
  request.method = "POST";
  request.target = "/";
  request.headers = {{"Host", "localhost"}};
  Result<SigV4Identity> id = VerifySigV4(request, SuiteSecrets(), clock, SuiteOptions());
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code, "MissingAuthenticationTokenException");
}

TEST(SigV4Verify, AuthorizationWithoutPartsIsIncomplete) {
  VirtualClock clock(SuiteTime());
  SigV4Request request;
  request.method = "POST";
  request.target = "/";
  request.headers = {{"Host", "localhost"},
                     {"X-Amz-Date", "20150830T123600Z"},
                     {"Authorization",
                      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/"
                      "service/aws4_request"}};
  Result<SigV4Identity> id = VerifySigV4(request, SuiteSecrets(), clock, SuiteOptions());
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code, "IncompleteSignatureException");
  EXPECT_EQ(id.error().message,
            "Authorization header requires 'Signature' parameter. Authorization header requires "
            "'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 "
            "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request");

  request.headers[2].second = "Bearer abc";
  id = VerifySigV4(request, SuiteSecrets(), clock, SuiteOptions());
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code, "IncompleteSignatureException");
}

TEST(SigV4Verify, ScopeMustNameTheRegionAndService) {
  VirtualClock clock(SuiteTime());
  SigV4Options options = SuiteOptions();
  options.region = "eu-west-1";
  Result<SigV4Identity> id = VerifySigV4(SignedPost(SuiteTime()), SuiteSecrets(), clock, options);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().message, "Credential should be scoped to a valid region, not 'us-east-1'. ");
  options = SuiteOptions();
  options.service = "states";
  id = VerifySigV4(SignedPost(SuiteTime()), SuiteSecrets(), clock, options);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().message, "Credential should be scoped to correct service: 'states'. ");
  // Empty options accept any region and service.
  options.region.clear();
  options.service.clear();
  EXPECT_TRUE(VerifySigV4(SignedPost(SuiteTime()), SuiteSecrets(), clock, options).ok());
}

TEST(SigV4Verify, SessionTokenIsNotRecognized) {
  VirtualClock clock(SuiteTime());
  SigV4Request request = SignedPost(SuiteTime());
  request.headers.emplace_back("X-Amz-Security-Token", "FQoGZXIvYXdzE");
  Result<SigV4Identity> id = VerifySigV4(request, SuiteSecrets(), clock, SuiteOptions());
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code, "UnrecognizedClientException");

  ParsedFile presigned = ParseRequestFile(
      ReadFile(VectorDir() / "get-vanilla-query-order-key-case/query-signed-request.txt"));
  ASSERT_TRUE(VerifySigV4(presigned.request, SuiteSecrets(), clock, SuiteOptions()).ok());
  presigned.request.target += "&X-Amz-Security-Token=FQoGZXIvYXdzE";
  id = VerifySigV4(presigned.request, SuiteSecrets(), clock, SuiteOptions());
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code, "UnrecognizedClientException");
}

TEST(SigV4Verify, ContentSha256HeaderMustMatchTheBody) {
  VirtualClock clock(SuiteTime());
  SigV4Request request = SignedPost(SuiteTime());
  request.headers.emplace_back("x-amz-content-sha256", sigv4::HexSha256("other"));
  Result<SigV4Identity> id = VerifySigV4(request, SuiteSecrets(), clock, SuiteOptions());
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code, "XAmzContentSHA256Mismatch");
}

// "Date" instead of "X-Amz-Date": the string to sign carries the date in ISO 8601 basic format.
TEST(SigV4Verify, DateHeaderInsteadOfXAmzDate) {
  VirtualClock clock(SuiteTime());
  SigV4Request request;
  request.method = "GET";
  request.target = "/";
  request.headers = {{"Host", "example.amazonaws.com"}, {"Date", "Sun, 30 Aug 2015 12:36:00 GMT"}};
  std::vector<std::string> names = {"date", "host"};
  std::string canonical =
      sigv4::CanonicalRequest(request, names, sigv4::HexSha256(""), PathRules::kDefault, false);
  std::string sts =
      sigv4::StringToSign("20150830T123600Z", "20150830/us-east-1/service/aws4_request", canonical);
  std::string signature =
      sigv4::Signature(sigv4::SigningKey(kSecret, "20150830", "us-east-1", "service"), sts);
  request.headers.emplace_back(
      "Authorization",
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
      "SignedHeaders=date;host, Signature=" +
          signature);
  Result<SigV4Identity> id = VerifySigV4(request, SuiteSecrets(), clock, SuiteOptions());
  EXPECT_TRUE(id.ok()) << id.error().message;
}

TEST(SigV4Verify, PresignedRequestExpires) {
  ParsedFile file = ParseRequestFile(
      ReadFile(VectorDir() / "get-vanilla-query-order-key-case/query-signed-request.txt"));
  // The same request with X-Amz-Expires=60 is no longer signed right, but it must fail on the
  // date first.
  file.request.target += "&X-Amz-Expires=60";
  VirtualClock clock(SuiteTime() + 61s);
  Result<SigV4Identity> id = VerifySigV4(file.request, SuiteSecrets(), clock, SuiteOptions());
  ASSERT_FALSE(id.ok());
  EXPECT_TRUE(id.error().message.starts_with("Signature expired: 20150830T123600Z"))
      << id.error().message;
}

TEST(SigV4Steps, CanonicalUriEncodesTwiceExceptForS3) {
  using sigv4::CanonicalUri;
  EXPECT_EQ(CanonicalUri("", PathRules::kDefault), "/");
  EXPECT_EQ(CanonicalUri("/example space/", PathRules::kDefault), "/example%20space/");
  // The wire form is already encoded once; AWS encodes it again for every service but S3.
  EXPECT_EQ(CanonicalUri("/a%20b", PathRules::kDefault), "/a%2520b");
  EXPECT_EQ(CanonicalUri("/a%20b", PathRules::kS3), "/a%20b");
  EXPECT_EQ(CanonicalUri("//a/./b/../c//", PathRules::kDefault), "/a/c/");
  EXPECT_EQ(CanonicalUri("//a/./b/../c//", PathRules::kS3), "//a/./b/../c//");
}

TEST(SigV4Steps, CanonicalQuerySortsAndEncodes) {
  using sigv4::CanonicalQuery;
  EXPECT_EQ(CanonicalQuery("b=2&a=1&a=0&c", false), "a=0&a=1&b=2&c=");
  EXPECT_EQ(CanonicalQuery("x=a%20b&y=a+b&z=%7e", false), "x=a%20b&y=a%2Bb&z=~");
  EXPECT_EQ(CanonicalQuery("X-Amz-Signature=abc&a=1", true), "a=1");
}

TEST(SigV4Steps, CanonicalHeadersTrimAndJoin) {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Host", "h"}, {"My-Header", "  a   b\t c "}, {"my-header", "d"}};
  EXPECT_EQ(sigv4::CanonicalHeaders(headers, {"host", "my-header"}), "host:h\nmy-header:a b c,d\n");
}

TEST(SigV4Steps, Dates) {
  EXPECT_EQ(sigv4::FormatAmzDate(SuiteTime()), "20150830T123600Z");
  EXPECT_EQ(sigv4::ParseHttpDate("Sun, 30 Aug 2015 12:36:00 GMT"), SuiteTime());
  EXPECT_FALSE(sigv4::ParseHttpDate("Sun, 30 Aug 2015 12:36:00 CET"));
  EXPECT_FALSE(sigv4::ParseAmzDate("2015-08-30T12:36:00Z"));
  EXPECT_FALSE(sigv4::ParseAmzDate("20151330T123600Z"));
}

}  // namespace
}  // namespace wharf::api
