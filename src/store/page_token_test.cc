#include "store/page_token.h"

#include <gtest/gtest.h>

#include "store/state_store.h"

namespace wharf::store {
namespace {

TEST(PageToken, RoundTripsKeysWithAnyBytes) {
  uint64_t f = QueryFingerprint({"a", "b"});
  std::vector<std::string> key = {"name.with.dots", "", std::string("\0\xff", 2)};
  auto back = DecodePageToken(EncodePageToken(f, key), f, 3);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, key);
  auto ints = DecodeIntPageToken(EncodePageToken(f, {"-5", "123"}), f, 2);
  ASSERT_TRUE(ints.ok());
  EXPECT_EQ(*ints, (std::vector<int64_t>{-5, 123}));
}

TEST(PageToken, RefusesOtherQueriesAndGarbage) {
  uint64_t f = QueryFingerprint({"a", "b"});
  EXPECT_NE(f, QueryFingerprint({"ab", ""}));
  std::string token = EncodePageToken(f, {"x"});
  EXPECT_EQ(DecodePageToken(token, QueryFingerprint({"a", "c"}), 1).error().code,
            errc::kInvalidToken);
  EXPECT_FALSE(DecodePageToken(token, f, 2).ok());
  EXPECT_FALSE(DecodePageToken("", f, 1).ok());
  EXPECT_FALSE(DecodePageToken(token + "z", f, 1).ok());
  EXPECT_FALSE(DecodeIntPageToken(EncodePageToken(f, {"12a"}), f, 1).ok());
}

}  // namespace
}  // namespace wharf::store
