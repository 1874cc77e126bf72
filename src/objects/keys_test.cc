// ValidateKey: what a key may hold, and the message for each refusal.
#include <string>

#include <gtest/gtest.h>

#include "objects/keys.h"
#include "objects/object_store.h"

namespace wharf::objects {
namespace {

void ExpectValid(std::string_view key) {
  Status s = ValidateKey(key);
  EXPECT_TRUE(s.ok()) << QuoteKey(key) << ": " << (s.ok() ? "" : s.error().message);
}

// The key is refused with kInvalidKey, and the message contains `fragment`.
void ExpectInvalid(std::string_view key, std::string_view fragment) {
  Status s = ValidateKey(key);
  ASSERT_FALSE(s.ok()) << QuoteKey(key) << " was accepted";
  EXPECT_EQ(s.error().code, errc::kInvalidKey);
  EXPECT_NE(s.error().message.find(fragment), std::string::npos)
      << "message: " << s.error().message << "\nwanted: " << fragment;
}

TEST(ValidateKey, AcceptsAnyUtf8PathLikeKey) {
  ExpectValid("a");
  ExpectValid("inbox/2024/report final (v2).csv");
  ExpectValid("#?%&=+;,:@!$'()*[]{}<>|^`~\"");
  ExpectValid("%2e%2e/%2e%2e/etc/passwd");   // a literal key: nothing decodes it
  ExpectValid("..\\..\\windows\\system32");  // backslashes are ordinary characters
  ExpectValid("a/..b/c..");                  // dots inside a segment are fine
  ExpectValid("...");
  ExpectValid(".hidden/.profile");
  ExpectValid("données/日本語/😀.txt");
  ExpectValid("tab\there\nnewline\x7f");  // control characters are valid UTF-8 (S3 allows them)
  ExpectValid("folder/");                 // a folder marker
  ExpectValid("\xF4\x8F\xBF\xBF");        // U+10FFFF, the last code point
  ExpectValid("\xEF\xBF\xBD");            // U+FFFD
  ExpectValid(std::string(1024, 'k'));
  ExpectValid(std::string(300, 'x') + "/y");  // a segment past NAME_MAX: keys are not paths
  std::string multibyte;
  for (int i = 0; i < 256; ++i) multibyte += "日";  // 768 bytes
  ExpectValid(multibyte);
}

TEST(ValidateKey, RefusesLengthAndNul) {
  ExpectInvalid("", "the key is empty");
  ExpectInvalid(std::string(1025, 'k'), "1025 bytes long; the limit is 1024");
  std::string four_byte;
  for (int i = 0; i < 257; ++i) four_byte += "😀";  // 1,028 bytes in 257 characters
  ExpectInvalid(four_byte, "1028 bytes long");
  ExpectInvalid(std::string("a\0b", 3), "a NUL byte at offset 1");
}

TEST(ValidateKey, RefusesInvalidUtf8NamingTheByte) {
  ExpectInvalid("ab\x80", "a continuation byte 0x80 without a lead byte at byte 2");
  ExpectInvalid("\xFF", "byte 0xFF, which UTF-8 never uses");
  ExpectInvalid("\xF8\x88\x80\x80\x80", "byte 0xF8");  // a 5-byte form (RFC 2279, gone)
  ExpectInvalid("x\xE2\x82", "a sequence cut short");
  ExpectInvalid("\xE2(x", "a sequence cut short");
  // Overlong forms: '.' as 2 bytes (the classic "..%c0%ae" trick), '/' as 2 and 3 bytes, NUL.
  ExpectInvalid("\xC0\xAE\xC0\xAE/x", "an overlong encoding of U+002E at byte 0");
  ExpectInvalid("a\xC0\xAF..", "an overlong encoding of U+002F at byte 1");
  ExpectInvalid("\xE0\x80\xAF", "an overlong encoding of U+002F");
  ExpectInvalid("\xC0\x80", "an overlong encoding of U+0000");
  ExpectInvalid("\xF0\x82\x82\xAC", "an overlong encoding of U+20AC");
  // UTF-16 surrogates have no place in UTF-8 (RFC 3629 §3), alone or paired (CESU-8).
  ExpectInvalid("\xED\xA0\x80", "a UTF-16 surrogate U+D800");
  ExpectInvalid("x\xED\xBF\xBF", "a UTF-16 surrogate U+DFFF at byte 1");
  ExpectInvalid("\xED\xA0\xBD\xED\xB8\x80", "a UTF-16 surrogate U+D83D");
  ExpectInvalid("\xF4\x90\x80\x80", "U+110000, past U+10FFFF");
}

TEST(ValidateKey, RefusesPathsThatAreNotNormalRelativePaths) {
  ExpectInvalid("/abs", "starts with '/'");
  ExpectInvalid("/", "starts with '/'");
  ExpectInvalid("..", "a '..' segment at byte 0");
  ExpectInvalid("../x", "a '..' segment at byte 0");
  ExpectInvalid("a/../../x", "a '..' segment at byte 2");
  ExpectInvalid("a/..", "a '..' segment at byte 2");
  ExpectInvalid("./a", "a '.' segment at byte 0");
  ExpectInvalid("a/./b", "a '.' segment at byte 2");
  ExpectInvalid("a/.", "a '.' segment");
  ExpectInvalid("a//b", "an empty segment ('//') at byte 1");
  ExpectInvalid("a//", "an empty segment");
}

TEST(ValidateKey, MessageQuotesTheKeyWithInvalidBytesEscaped) {
  Status s = ValidateKey("bad\xFFkey/日");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("'bad\\xFFkey/日'"), std::string::npos) << s.error().message;
  EXPECT_EQ(QuoteKey(std::string(250, 'a')), "'" + std::string(200, 'a') + "...'");
  EXPECT_EQ(QuoteKey("it's\\"), "'it\\x27s\\x5C'");
}

TEST(FindUtf8Problem, AcceptsEveryScalarValueAtItsBoundaries) {
  for (uint32_t cp :
       {0x1u, 0x7Fu, 0x80u, 0x7FFu, 0x800u, 0xD7FFu, 0xE000u, 0xFFFFu, 0x10000u, 0x10FFFFu}) {
    std::string s;
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xE0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      s += static_cast<char>(0xF0 | (cp >> 18));
      s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
    EXPECT_FALSE(FindUtf8Problem(s).has_value()) << std::hex << cp;
  }
}

}  // namespace
}  // namespace wharf::objects
