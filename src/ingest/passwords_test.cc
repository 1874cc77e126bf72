#include "ingest/passwords.h"

#include <gtest/gtest.h>

#include <string>

#include "core/project.h"

namespace wharf::ingest {
namespace {

// Hashes of "password" made by libcrypt (crypt_gensalt_rn + crypt_rn), one per accepted scheme.
constexpr char kYescrypt[] =
    "$y$j9T$UcisLRQBjER9lzyyrFoP31$eGSqap/z12uWa.RjKWI78Pl9MaMGB95.VR6okIMSOc1";
constexpr char kGostYescrypt[] =
    "$gy$j9T$F7FmG2olzoyG18zaMn/Mq1$l/x8q0c.snY2yQD5Bmv3f9fSd.Do0tiETzctiBOnp53";
constexpr char kSha512[] =
    "$6$T5e1YCJOYiEXo2T0$e1B7A.fSgDXjVxSpdfb5upSxg6j.ic7D.o594RqcHZfoZ8o42xjnQpH/"
    "SyK3vII6zZzsAxizjYbvwnzf78cno.";
constexpr char kBcrypt[] = "$2b$05$aEmMbqyadtIA2f0y3fTYlOU9M6XbzdcKN8Pi5FfWIKdCeqhxIE4Yq";
constexpr char kScrypt[] =
    "$7$CU..../....dHbqpBOEtHZqmqsujYdRf/$EwrECPWJe/yAd/ZZm.sw.p4cP.bx9Zy/2yp/ewMb39D";
// Of "secret", with 10,000 rounds.
constexpr char kSha512Rounds[] =
    "$6$rounds=10000$sOE3E0ngeqsQJTg4$hmExg5/vVf3TGxGbllVNsSHrkc8bPYPN6xnS5uc7B9f89mXoP3gCppHQqC2I"
    "rED95.7wwvf0xPZUaJ40R8gye/";

TEST(PasswordsTest, HashIsYescryptAndVerifies) {
  auto hash = HashPassword("correct horse battery staple");
  ASSERT_TRUE(hash.ok()) << hash.error().message;
  EXPECT_EQ(hash->rfind("$y$", 0), 0u) << *hash;
  // What `wharf passwd` prints is what the project file accepts.
  EXPECT_EQ(PasswordHashProblem(*hash), std::nullopt) << *hash;
  EXPECT_TRUE(CheckHashSupported(*hash).ok());
  EXPECT_TRUE(VerifyPassword("correct horse battery staple", *hash));
  EXPECT_FALSE(VerifyPassword("correct horse battery stapl", *hash));
  EXPECT_FALSE(VerifyPassword("correct horse battery staple ", *hash));
  EXPECT_FALSE(VerifyPassword("Correct horse battery staple", *hash));
  EXPECT_FALSE(VerifyPassword("", *hash));

  // A fresh salt each time: the same password never gives the same hash.
  auto again = HashPassword("correct horse battery staple");
  ASSERT_TRUE(again.ok());
  EXPECT_NE(*hash, *again);
  EXPECT_TRUE(VerifyPassword("correct horse battery staple", *again));
}

TEST(PasswordsTest, NonAsciiPasswords) {
  const std::string password = "pässwörd ✓ 密码";
  auto hash = HashPassword(password);
  ASSERT_TRUE(hash.ok());
  EXPECT_TRUE(VerifyPassword(password, *hash));
  EXPECT_FALSE(VerifyPassword("passwort ✓ 密码", *hash));
}

TEST(PasswordsTest, VerifiesEveryAcceptedScheme) {
  for (const char* hash : {kYescrypt, kGostYescrypt, kSha512, kBcrypt, kScrypt}) {
    EXPECT_TRUE(VerifyPassword("password", hash)) << hash;
    EXPECT_FALSE(VerifyPassword("Password", hash)) << hash;
    EXPECT_TRUE(CheckHashSupported(hash).ok()) << hash;
  }
  EXPECT_TRUE(VerifyPassword("secret", kSha512Rounds));
  EXPECT_FALSE(VerifyPassword("password", kSha512Rounds));
}

TEST(PasswordsTest, RefusesBadPasswords) {
  auto empty = HashPassword("");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, kPasswordError);
  EXPECT_EQ(empty.error().message, "the password is empty");
  auto nul = HashPassword(std::string("pass\0word", 9));
  ASSERT_FALSE(nul.ok());
  EXPECT_EQ(nul.error().message, "the password contains a NUL character");
  auto huge = HashPassword(std::string(kMaxPasswordBytes + 1, 'x'));
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.error().message, "the password is longer than 511 bytes");
  EXPECT_TRUE(HashPassword(std::string(kMaxPasswordBytes, 'x')).ok());

  // A NUL would cut the password short in crypt(3): "password\0anything" must not pass.
  EXPECT_FALSE(VerifyPassword(std::string("password\0anything", 17), kYescrypt));
  EXPECT_FALSE(VerifyPassword(std::string(kMaxPasswordBytes + 1, 'x'), kSha512));
}

TEST(PasswordsTest, MalformedHashesNeverVerify) {
  for (const char* hash :
       {"", "password", "*", "*0", "!", "$y$", "$6$", "$6$abc", "$y$j9T$UcisLRQBjER9lzyyrFoP31",
        "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", "$9$nope$nope"}) {
    EXPECT_FALSE(VerifyPassword("password", hash)) << hash;
    EXPECT_FALSE(VerifyPassword("", hash)) << hash;
  }
  // A hash cut short is not the hash: crypt_rn recomputes the whole one.
  std::string cut(kSha512);
  cut.pop_back();
  EXPECT_FALSE(VerifyPassword("password", cut));
  std::string longer = std::string(kSha512) + "x";
  EXPECT_FALSE(VerifyPassword("password", longer));
}

TEST(PasswordsTest, CheckHashSupported) {
  EXPECT_TRUE(CheckHashSupported(kYescrypt).ok());
  Status legacy = CheckHashSupported("$1$symVqsJs$ByiMrVqwalAPDeTMQvaSG/");
  ASSERT_FALSE(legacy.ok());
  EXPECT_EQ(legacy.error().message, "libcrypt considers the hash's method legacy (too weak)");
  Status argon = CheckHashSupported("$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA");
  ASSERT_FALSE(argon.ok());
  EXPECT_EQ(argon.error().message, "libcrypt does not recognise the hash");
}

TEST(PasswordsTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  EXPECT_FALSE(ConstantTimeEquals("ab", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0", 2), "a"));
}

}  // namespace
}  // namespace wharf::ingest
