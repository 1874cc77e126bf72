// The bodies of the 18 intrinsic functions and the checks of their arguments (see
// intrinsic_functions.h). The behaviour follows the AWS-recorded executions in
// shared/conformance/aws-recorded/intrinsic_functions__* and the limits of the AWS developer guide.
#include "asl/intrinsic_functions.h"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace wharf::asl::intrinsic {
namespace {

const std::vector<FnInfo>& Functions() {
  using K = Kind;
  static const std::vector<FnInfo> kFunctions = {
      {Fn::kFormat, "States.Format", 1, kVariadic, {K::kString, K::kAny}, K::kString},
      {Fn::kStringToJson, "States.StringToJson", 1, 1, {K::kString}, K::kAny},
      {Fn::kJsonToString, "States.JsonToString", 1, 1, {K::kAny}, K::kString},
      {Fn::kArray, "States.Array", 0, kVariadic, {K::kAny}, K::kArray},
      {Fn::kArrayPartition, "States.ArrayPartition", 2, 2, {K::kArray, K::kInteger}, K::kArray},
      {Fn::kArrayContains, "States.ArrayContains", 2, 2, {K::kArray, K::kAny}, K::kBool},
      {Fn::kArrayRange,
       "States.ArrayRange",
       3,
       3,
       {K::kInteger, K::kInteger, K::kInteger},
       K::kArray},
      {Fn::kArrayGetItem, "States.ArrayGetItem", 2, 2, {K::kArray, K::kInteger}, K::kAny},
      {Fn::kArrayLength, "States.ArrayLength", 1, 1, {K::kArray}, K::kInteger},
      {Fn::kArrayUnique, "States.ArrayUnique", 1, 1, {K::kArray}, K::kArray},
      {Fn::kBase64Encode, "States.Base64Encode", 1, 1, {K::kString}, K::kString},
      {Fn::kBase64Decode, "States.Base64Decode", 1, 1, {K::kString}, K::kString},
      {Fn::kHash, "States.Hash", 2, 2, {K::kString, K::kString}, K::kString},
      {Fn::kJsonMerge, "States.JsonMerge", 3, 3, {K::kObject, K::kObject, K::kBool}, K::kObject},
      {Fn::kMathRandom,
       "States.MathRandom",
       2,
       3,
       {K::kNumber, K::kNumber, K::kNumber},
       K::kInteger},
      {Fn::kMathAdd, "States.MathAdd", 2, 2, {K::kNumber, K::kNumber}, K::kInteger},
      {Fn::kStringSplit, "States.StringSplit", 2, 2, {K::kString, K::kString}, K::kArray},
      {Fn::kUuid, "States.UUID", 0, 0, {}, K::kString},
  };
  return kFunctions;
}

}  // namespace

const FnInfo* FindFunction(std::string_view name) {
  for (const FnInfo& f : Functions()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

Kind ParamKind(const FnInfo& f, size_t i) {
  return i < f.params.size() ? f.params[i] : f.params.back();
}

const char* KindText(Kind k) {
  switch (k) {
    case Kind::kAny:
      return "a value";
    case Kind::kString:
      return "a string";
    case Kind::kNumber:
      return "a number";
    case Kind::kInteger:
      return "an integer";
    case Kind::kArray:
      return "an array";
    case Kind::kObject:
      return "a JSON object";
    case Kind::kBool:
      return "a boolean";
  }
  return "?";
}

bool Compatible(Kind param, Kind have) {
  if (param == Kind::kAny || have == Kind::kAny || param == have) return true;
  if (param == Kind::kNumber && have == Kind::kInteger) return true;
  if (param == Kind::kInteger && have == Kind::kNumber) return true;
  return false;
}

namespace {

// AWS developer guide, "Intrinsic functions": States.ArrayRange makes at most 1000 items;
// Base64Encode, Base64Decode and Hash take at most 10,000 characters.
constexpr int64_t kMaxRangeItems = 1000;
constexpr size_t kMaxInputChars = 10000;

bool IsIntegral(const Json& v) {
  if (v.is_int()) return true;
  if (!v.is_double()) return false;
  double d = v.as_double();
  return std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.2e18;
}

int64_t AsInt64(const Json& v) {
  return v.is_int() ? v.as_int() : static_cast<int64_t>(v.as_double());
}

bool Matches(Kind k, const Json& v) {
  switch (k) {
    case Kind::kAny:
      return true;
    case Kind::kString:
      return v.is_string();
    case Kind::kNumber:
      return v.is_number();
    case Kind::kInteger:
      return IsIntegral(v);
    case Kind::kArray:
      return v.is_array();
    case Kind::kObject:
      return v.is_object();
    case Kind::kBool:
      return v.is_bool();
  }
  return false;
}

// Length as Java counts it (UTF-16 code units), for the 10,000-character limits.
size_t Utf16Length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) n += (c >= 0xF0) ? 2 : 1;
  }
  return n;
}

std::string Describe(const Json& v) {
  std::string text = v.Dump();
  if (text.size() > 100) text = text.substr(0, 100) + "...";
  return text;
}

// Rounds as Java's Math.round does (half up): AWS rounds non-integer MathAdd and MathRandom
// arguments this way (recorded: 1.5 -> 2, -1.5 -> -1, -2.5 -> -2, 0.5 -> 1).
double RoundHalfUp(double d) { return std::floor(d + 0.5); }

}  // namespace

// ---- value checks shared by Parse (literal arguments) and Evaluate (all arguments) ----

// Checks argument `i` of `f` on its own; returns the problem, or an empty string.
std::string CheckArgument(const FnInfo& f, size_t i, const Json& v) {
  Kind k = ParamKind(f, i);
  if (!Matches(k, v)) {
    return "argument " + std::to_string(i + 1) + " must be " + KindText(k) + ", but it is " +
           Describe(v);
  }
  switch (f.fn) {
    case Fn::kArrayPartition:
      if (i == 1 && AsInt64(v) <= 0) {
        return "the chunk size (argument 2) must be a positive integer, but it is " + Describe(v);
      }
      break;
    case Fn::kArrayRange:
      if (i == 2 && AsInt64(v) == 0) return "the step (argument 3) must not be 0";
      break;
    case Fn::kBase64Encode:
    case Fn::kBase64Decode:
    case Fn::kHash:
      if (i == 0 && Utf16Length(v.as_string()) > kMaxInputChars) {
        return "the input string must have at most 10000 characters, but it has " +
               std::to_string(Utf16Length(v.as_string()));
      }
      if (f.fn == Fn::kHash && i == 1) {
        const std::string& a = v.as_string();
        if (a != "MD5" && a != "SHA-1" && a != "SHA-256" && a != "SHA-384" && a != "SHA-512") {
          return "the hashing algorithm must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512, "
                 "but it is " +
                 Describe(v);
        }
      }
      break;
    case Fn::kJsonMerge:
      // "Step Functions only supports the shallow merging mode" (AWS developer guide).
      if (i == 2 && v.as_bool()) {
        return "deep merging is not supported; argument 3 must be false";
      }
      break;
    default:
      break;
  }
  return "";
}

Error Failure(const FnInfo& f, std::string_view problem) {
  return MakeError("States.IntrinsicFailure",
                   "Invalid arguments in " + std::string(f.name) + ": " + std::string(problem));
}

// ---- States.Format ----

// Splits a template at its "{}" placeholders. In a string literal, \{ and \} stand for braces
// that are not placeholders (spec §Intrinsic Functions, reserved characters); `escaped` marks them.
std::vector<std::string> SplitTemplate(std::string_view text, const std::vector<bool>* escaped) {
  std::vector<std::string> pieces(1);
  for (size_t i = 0; i < text.size(); ++i) {
    bool literal = escaped && (*escaped)[i];
    if (!literal && text[i] == '{' && i + 1 < text.size() && text[i + 1] == '}' &&
        !(escaped && (*escaped)[i + 1])) {
      pieces.emplace_back();
      ++i;
    } else {
      pieces.back().push_back(text[i]);
    }
  }
  return pieces;
}

// Java's Double.toString: plain decimals for 1e-3 <= |d| < 1e7, else "1.0E10" style.
namespace {

void AppendJavaDouble(std::string& out, double d) {
  if (d == 0) {
    out.append(std::signbit(d) ? "-0.0" : "0.0");
    return;
  }
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string_view s(buf, r.ptr - buf);  // e.g. "-1.2345e+07"
  bool negative = s[0] == '-';
  if (negative) s.remove_prefix(1);
  size_t e = s.find('e');
  std::string digits;
  for (char c : s.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  int exp = std::stoi(std::string(s.substr(e + 1)));
  if (negative) out.push_back('-');
  double a = std::fabs(d);
  if (a >= 1e-3 && a < 1e7) {
    if (exp >= 0) {
      size_t int_len = static_cast<size_t>(exp) + 1;
      if (digits.size() <= int_len) {
        out.append(digits).append(int_len - digits.size(), '0').append(".0");
      } else {
        out.append(digits, 0, int_len).push_back('.');
        out.append(digits, int_len);
      }
    } else {
      out.append("0.").append(static_cast<size_t>(-exp - 1), '0').append(digits);
    }
  } else {
    out.push_back(digits[0]);
    out.push_back('.');
    out.append(digits.size() > 1 ? digits.substr(1) : "0");
    out.append("E").append(std::to_string(exp));
  }
}

// How States.Format prints a value: strings bare, containers as Java's List/Map toString
// (recorded: {"Arg1": 1, "Arg2": []} prints as {Arg1=1, Arg2=[]}).
void AppendFormatted(std::string& out, const Json& v) {
  switch (v.kind()) {
    case Json::Kind::kString:
      out.append(v.as_string());
      break;
    case Json::Kind::kDouble:
      AppendJavaDouble(out, v.as_double());
      break;
    case Json::Kind::kArray: {
      out.push_back('[');
      bool first = true;
      for (const Json& e : v.as_array()) {
        if (!first) out.append(", ");
        first = false;
        AppendFormatted(out, e);
      }
      out.push_back(']');
      break;
    }
    case Json::Kind::kObject: {
      out.push_back('{');
      bool first = true;
      for (const auto& [key, value] : v.as_object()) {
        if (!first) out.append(", ");
        first = false;
        out.append(key).push_back('=');
        AppendFormatted(out, value);
      }
      out.push_back('}');
      break;
    }
    default:
      v.DumpTo(out);
      break;
  }
}

Result<Json> Format(const FnInfo& f, const std::vector<std::string>& pieces,
                    const std::vector<Json>& args) {
  if (pieces.size() != args.size()) {
    return Failure(f, "the template has " + std::to_string(pieces.size() - 1) +
                          " placeholders but " + std::to_string(args.size() - 1) +
                          " values follow it");
  }
  std::string out = pieces[0];
  for (size_t i = 1; i < pieces.size(); ++i) {
    AppendFormatted(out, args[i]);
    out.append(pieces[i]);
  }
  return Json::String(std::move(out));
}

// ---- arrays ----

// A hash consistent with Json's operator== (numbers by value, objects by content in any order).
size_t HashJson(const Json& v) {
  auto mix = [](size_t h) { return (h ^ (h >> 31)) * 0x9E3779B97F4A7C15ull; };
  switch (v.kind()) {
    case Json::Kind::kNull:
      return 0x5a5a;
    case Json::Kind::kBool:
      return v.as_bool() ? 0x1111 : 0x2222;
    case Json::Kind::kInt:
    case Json::Kind::kDouble: {
      double d = v.as_double();
      return mix(std::hash<double>{}(d == 0 ? 0.0 : d));
    }
    case Json::Kind::kString:
      return std::hash<std::string>{}(v.as_string());
    case Json::Kind::kArray: {
      size_t h = 0xA77A;
      for (const Json& e : v.as_array()) h = mix(h * 31 + HashJson(e));
      return h;
    }
    case Json::Kind::kObject: {
      size_t h = 0x0B1E;
      for (const auto& [key, value] : v.as_object()) {
        h += mix(std::hash<std::string>{}(key)*31 + HashJson(value));  // order-free
      }
      return h;
    }
  }
  return 0;
}

Json ArrayUnique(const Json& array) {
  std::unordered_multimap<size_t, size_t> seen;  // hash -> index into `out`
  JsonArray out;
  for (const Json& e : array.as_array()) {
    size_t h = HashJson(e);
    bool dup = false;
    auto [lo, hi] = seen.equal_range(h);
    for (auto it = lo; it != hi && !dup; ++it) dup = out[it->second] == e;
    if (dup) continue;
    seen.emplace(h, out.size());
    out.push_back(e);
  }
  if (out.size() == array.size()) return array;
  return Json::Array(std::move(out));
}

Result<Json> ArrayRange(const FnInfo& f, int64_t start, int64_t end, int64_t step) {
  // Items start, start+step, ... up to and including `end` (recorded: (0, 9, 3) -> [0,3,6,9],
  // (0, 10, 3) -> [0,3,6,9], (1, 9, 9) -> [1]).
  int64_t count = 0;
  if ((step > 0 && start <= end) || (step < 0 && start >= end)) {
    count = static_cast<int64_t>((static_cast<__int128>(end) - start) / step) + 1;
  }
  if (count > kMaxRangeItems) {
    return Failure(
        f, "the range would have " + std::to_string(count) + " items; at most 1000 are allowed");
  }
  JsonArray out;
  out.reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) out.push_back(Json::Int(start + i * step));
  return Json::Array(std::move(out));
}

// ---- encodings ----

constexpr char kBase64Chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64Encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kBase64Chars[(n >> s) & 63]);
  }
  if (i < in.size()) {
    uint32_t n = uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) n |= uint8_t(in[i + 1]) << 8;
    out.push_back(kBase64Chars[(n >> 18) & 63]);
    out.push_back(kBase64Chars[(n >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kBase64Chars[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

// Decodes the basic Base64 alphabet; the '=' padding may be left out (as Java's decoder allows).
std::optional<std::string> Base64Decode(std::string_view in) {
  size_t len = in.size();
  size_t pad = 0;
  while (len > 0 && in[len - 1] == '=' && pad < 2) --len, ++pad;
  if (pad > 0 && (len + pad) % 4 != 0) return std::nullopt;
  if (len % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(len / 4 * 3 + 2);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < len; ++i) {
    char c = in[i];
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+')
      v = 62;
    else if (c == '/')
      v = 63;
    else
      return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

// Replaces byte sequences that are not UTF-8 by U+FFFD, as a Java String built from bytes does.
std::string ToValidUtf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    unsigned char c = in[i];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = n > 0 && i + n <= in.size();
    for (size_t k = 1; ok && k < n; ++k) ok = (uint8_t(in[i + k]) & 0xC0) == 0x80;
    if (ok && n > 1) {  // reject overlong forms, surrogates and code points past U+10FFFF
      uint32_t cp = c & (0x7F >> n);
      for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (uint8_t(in[i + k]) & 0x3F);
      static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
      ok = cp >= kMin[n] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    }
    if (ok) {
      out.append(in.substr(i, n));
      i += n;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  return out;
}

Result<Json> Hash(const FnInfo& f, const std::string& data, const std::string& algorithm) {
  const EVP_MD* md = algorithm == "MD5"       ? EVP_md5()
                     : algorithm == "SHA-1"   ? EVP_sha1()
                     : algorithm == "SHA-256" ? EVP_sha256()
                     : algorithm == "SHA-384" ? EVP_sha384()
                                              : EVP_sha512();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &size, md, nullptr) != 1) {
    return Failure(f, "the " + algorithm + " digest could not be computed");
  }
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return Json::String(std::move(out));
}

// ---- math ----

Result<int64_t> RoundedInt32(const FnInfo& f, size_t index, const Json& v) {
  double d = v.is_int() ? static_cast<double>(v.as_int()) : RoundHalfUp(v.as_double());
  if (!(d >= -2147483648.0 && d <= 2147483647.0)) {
    return Failure(f, "argument " + std::to_string(index + 1) +
                          " must be in the range -2147483648 to 2147483647, but it is " +
                          Describe(v));
  }
  return static_cast<int64_t>(d);
}

// java.util.Random, so that a seeded States.MathRandom is reproducible (and, should AWS seed a
// Java Random as its Java runtime suggests, the same number AWS gives).
class JavaRandom {
 public:
  explicit JavaRandom(int64_t seed)
      : seed_((static_cast<uint64_t>(seed) ^ 0x5DEECE66Dull) & kMask) {}
  int32_t Next(int bits) {
    seed_ = (seed_ * 0x5DEECE66Dull + 0xBull) & kMask;
    return static_cast<int32_t>(static_cast<int64_t>(seed_) >> (48 - bits));
  }
  int32_t NextInt(int32_t bound) {  // REQUIRES: bound > 0
    int32_t r = Next(31);
    int32_t m = bound - 1;
    if ((bound & m) == 0) return static_cast<int32_t>((int64_t{bound} * r) >> 31);
    for (int32_t u = r; static_cast<int32_t>(static_cast<uint32_t>(u) - (r = u % bound) + m) < 0;
         u = Next(31)) {
    }
    return r;
  }

 private:
  static constexpr uint64_t kMask = (uint64_t{1} << 48) - 1;
  uint64_t seed_;
};

Result<Json> MathRandom(const FnInfo& f, const std::vector<Json>& args, const Env& env) {
  // "a random number between the specified start number (inclusive) and end number (exclusive)";
  // non-integer start and end values are rounded to the nearest integer (AWS developer guide).
  WHARF_TRY(int64_t start, RoundedInt32(f, 0, args[0]));
  WHARF_TRY(int64_t end, RoundedInt32(f, 1, args[1]));
  if (end <= start) {
    return Failure(f, "the end number (" + std::to_string(end) +
                          ") must be greater than the start number (" + std::to_string(start) +
                          ")");
  }
  uint64_t bound = static_cast<uint64_t>(end - start);
  if (args.size() == 3) {
    const Json& s = args[2];
    double d = s.is_int() ? 0 : RoundHalfUp(s.as_double());
    if (!s.is_int() && !(std::fabs(d) < 9.2e18)) return Failure(f, "the seed is out of range");
    JavaRandom random(s.is_int() ? s.as_int() : static_cast<int64_t>(d));
    if (bound <= static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) {
      return Json::Int(start + random.NextInt(static_cast<int32_t>(bound)));
    }
    uint64_t r = (uint64_t(uint32_t(random.Next(32))) << 32) | uint32_t(random.Next(32));
    return Json::Int(start + static_cast<int64_t>(r % bound));
  }
  if (!env.entropy) return Failure(f, "no source of random numbers is available");
  uint64_t r = env.entropy->NextRandom();
  return Json::Int(start + static_cast<int64_t>((static_cast<unsigned __int128>(r) * bound) >> 64));
}

// ---- strings and JSON ----

// Splits on every character of `delimiters` and drops empty pieces, like Java's StringTokenizer
// (recorded: ", , ," on "," -> [" ", " "]; "This.is+a,test=string" on ".+,=" -> 5 words).
Json StringSplit(std::string_view s, std::string_view delimiters) {
  auto char_len = [](unsigned char c) -> size_t {
    return c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
  };
  std::vector<std::string_view> delims;
  for (size_t i = 0; i < delimiters.size();) {
    size_t n = std::min(char_len(delimiters[i]), delimiters.size() - i);
    delims.push_back(delimiters.substr(i, n));
    i += n;
  }
  JsonArray out;
  size_t token_start = 0;
  for (size_t i = 0; i < s.size();) {
    size_t n = std::min(char_len(s[i]), s.size() - i);
    bool is_delim = false;
    for (std::string_view d : delims) is_delim = is_delim || s.substr(i, n) == d;
    if (is_delim) {
      if (i > token_start)
        out.push_back(Json::String(std::string(s.substr(token_start, i - token_start))));
      token_start = i + n;
    }
    i += n;
  }
  if (s.size() > token_start) out.push_back(Json::String(std::string(s.substr(token_start))));
  return Json::Array(std::move(out));
}

Result<Json> StringToJson(const FnInfo& f, const std::string& s) {
  // Recorded: "" and " " both give null.
  if (s.find_first_not_of(" \t\r\n") == std::string::npos) return Json();
  auto parsed = Json::Parse(s);
  if (!parsed.ok()) {
    return Failure(f, "the string is not valid JSON (" + parsed.error().message + ")");
  }
  return std::move(parsed).value();
}

// Shallow merge: members of the second object replace those of the first with the same name.
Json JsonMerge(const Json& a, const Json& b) {
  if (b.size() == 0) return a;
  if (a.size() == 0) return b;
  std::vector<JsonMember> members = a.as_object().members();
  std::unordered_map<std::string_view, size_t> index;
  for (size_t i = 0; i < members.size(); ++i) index.emplace(members[i].first, i);
  std::vector<JsonMember> added;
  for (const auto& [key, value] : b.as_object()) {
    auto it = index.find(key);
    if (it != index.end()) {
      members[it->second].second = value;
    } else {
      added.emplace_back(key, value);
    }
  }
  for (auto& m : added) members.push_back(std::move(m));
  return Json::Object(std::move(members));
}

}  // namespace

Result<Json> Call(const FnInfo& f, std::vector<Json> a,
                  const std::vector<std::string>* format_pieces, const Env& env) {
  switch (f.fn) {
    case Fn::kFormat:
      if (format_pieces) return Format(f, *format_pieces, a);
      return Format(f, SplitTemplate(a[0].as_string(), nullptr), a);
    case Fn::kStringToJson:
      return StringToJson(f, a[0].as_string());
    case Fn::kJsonToString:
      return Json::String(a[0].Dump());
    case Fn::kArray:
      return Json::Array(std::move(a));
    case Fn::kArrayPartition: {
      const JsonArray& items = a[0].as_array();
      size_t chunk = static_cast<size_t>(std::min<int64_t>(AsInt64(a[1]), 1 << 30));
      JsonArray out;
      for (size_t i = 0; i < items.size(); i += chunk) {
        size_t stop = std::min(items.size(), i + chunk);
        out.push_back(Json::Array(JsonArray(items.begin() + i, items.begin() + stop)));
      }
      return Json::Array(std::move(out));
    }
    case Fn::kArrayContains:
      for (const Json& e : a[0].as_array()) {
        if (e == a[1]) return Json::Bool(true);
      }
      return Json::Bool(false);
    case Fn::kArrayRange:
      return ArrayRange(f, AsInt64(a[0]), AsInt64(a[1]), AsInt64(a[2]));
    case Fn::kArrayGetItem: {
      int64_t i = AsInt64(a[1]);
      if (i < 0 || static_cast<size_t>(i) >= a[0].size()) {
        return Failure(f, "the index " + std::to_string(i) + " is out of bounds for an array of " +
                              std::to_string(a[0].size()) + " items");
      }
      return *a[0].at(static_cast<size_t>(i));
    }
    case Fn::kArrayLength:
      return Json::Int(static_cast<int64_t>(a[0].size()));
    case Fn::kArrayUnique:
      return ArrayUnique(a[0]);
    case Fn::kBase64Encode:
      return Json::String(Base64Encode(a[0].as_string()));
    case Fn::kBase64Decode: {
      auto bytes = Base64Decode(a[0].as_string());
      if (!bytes) return Failure(f, "the string is not valid Base64: " + Describe(a[0]));
      return Json::String(ToValidUtf8(*bytes));
    }
    case Fn::kHash:
      return Hash(f, a[0].as_string(), a[1].as_string());
    case Fn::kJsonMerge:
      return JsonMerge(a[0], a[1]);
    case Fn::kMathRandom:
      return MathRandom(f, a, env);
    case Fn::kMathAdd: {
      // Non-integer arguments are rounded to the nearest integer; values must lie in the range
      // -2147483648..2147483647 (AWS developer guide; recorded: 1.49 + 1.5 -> 3).
      WHARF_TRY(int64_t x, RoundedInt32(f, 0, a[0]));
      WHARF_TRY(int64_t y, RoundedInt32(f, 1, a[1]));
      return Json::Int(x + y);
    }
    case Fn::kStringSplit:
      return StringSplit(a[0].as_string(), a[1].as_string());
    case Fn::kUuid:
      if (!env.entropy) return Failure(f, "no source of random UUIDs is available");
      return Json::String(env.entropy->NewUuid());
  }
  return Json();
}

}  // namespace wharf::asl::intrinsic
