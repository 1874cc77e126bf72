// LocalObjectStore::List against a brute-force model of S3's ListObjectsV2 over random keys, and
// the continuation token's rules.
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "objects/objects_testing.h"

namespace wharf::objects {
namespace {

using testing::OpenStore;
using testing::PutBytes;
using testing::TempDir;

// One entry of a listing: a key, or a common prefix (marked).
struct Entry {
  std::string text;
  bool is_prefix = false;
  bool operator==(const Entry&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Entry& e) {
  return os << (e.is_prefix ? "prefix " : "key ") << e.text;
}

// The whole listing, as S3 defines it: the keys under the prefix in binary order, each key whose
// rest (after the prefix) holds the delimiter rolled up into prefix + rest-up-to-the-delimiter,
// each common prefix once, at the place of its first key.
std::vector<Entry> Model(const std::set<std::string>& keys, const std::string& prefix,
                         const std::string& delimiter) {
  std::vector<Entry> out;
  for (const std::string& key : keys) {
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    if (!delimiter.empty()) {
      size_t at = key.find(delimiter, prefix.size());
      if (at != std::string::npos) {
        Entry cp{key.substr(0, at + delimiter.size()), true};
        if (out.empty() || !(out.back() == cp)) out.push_back(cp);
        continue;
      }
    }
    out.push_back(Entry{key, false});
  }
  return out;
}

std::vector<Entry> PageEntries(const ListPage& page) {
  // Objects and prefixes interleave in key order; merge them back.
  std::vector<Entry> out;
  size_t o = 0, p = 0;
  while (o < page.objects.size() || p < page.common_prefixes.size()) {
    if (p == page.common_prefixes.size() ||
        (o < page.objects.size() && page.objects[o].key < page.common_prefixes[p])) {
      out.push_back(Entry{page.objects[o++].key, false});
    } else {
      out.push_back(Entry{page.common_prefixes[p++], true});
    }
  }
  return out;
}

class ListTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = OpenStore(dir_.path() + "/objects");
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(*store);
  }

  // Pages through the whole listing, checking each page against the model's slice.
  void CheckListing(const std::string& prefix, const std::string& delimiter, int max_keys) {
    SCOPED_TRACE("prefix '" + prefix + "' delimiter '" + delimiter + "' max_keys " +
                 std::to_string(max_keys));
    std::vector<Entry> expected = Model(keys_, prefix, delimiter);
    ListQuery q;
    q.prefix = prefix;
    q.delimiter = delimiter;
    q.max_keys = max_keys;
    size_t at = 0;
    for (int pages = 0;; ++pages) {
      ASSERT_LE(pages, 2000);
      auto page = store_->List(q);
      ASSERT_TRUE(page.ok()) << page.error().message;
      std::vector<Entry> got = PageEntries(*page);
      size_t n = std::min(expected.size() - at, static_cast<size_t>(max_keys));
      std::vector<Entry> want(expected.begin() + static_cast<ptrdiff_t>(at),
                              expected.begin() + static_cast<ptrdiff_t>(at + n));
      ASSERT_EQ(got, want) << "page " << pages;
      for (const ObjectMeta& m : page->objects)
        EXPECT_EQ(m.size, static_cast<int64_t>(m.key.size()));
      at += n;
      if (page->next_token.empty()) break;
      // A token is stable: asking again gives the same page.
      ListQuery again = q;
      again.continuation_token = page->next_token;
      q.continuation_token = page->next_token;
      ASSERT_EQ(PageEntries(*store_->List(again)), PageEntries(*store_->List(q)));
    }
    EXPECT_EQ(at, expected.size());
  }

  void Add(const std::string& key) {
    auto put = PutBytes(*store_, key, key);  // the bytes are the key: size == key length
    ASSERT_TRUE(put.ok()) << key << ": " << put.error().message;
    keys_.insert(key);
  }

  TempDir dir_;
  std::unique_ptr<LocalObjectStore> store_;
  std::set<std::string> keys_;  // std::string orders as memcmp: UTF-8 binary order
};

TEST_F(ListTest, MatchesTheModelOverRandomKeys) {
  // Segments chosen so that binary order differs from code-point-naive or locale order: ASCII,
  // Latin-1 (2 bytes), CJK (3), emoji (4), '.', '-' and ' ' (which sort before '/').
  const std::vector<std::string> segments = {"a", "b",  "a.b", "a-b", "a b", "ab", "é",
                                             "z", "日", "😀",   "Z",   "0",   "a/"};
  std::mt19937 rng(4242);
  while (keys_.size() < 700) {
    std::string key;
    int depth = 1 + static_cast<int>(rng() % 4);
    for (int d = 0; d < depth; ++d) {
      if (d > 0) key += '/';
      key += segments[rng() % segments.size()];
      if (rng() % 5 == 0) key += std::to_string(rng() % 10);
    }
    if (key.find("//") != std::string::npos || key.find("//") == 0) continue;
    if (keys_.count(key)) continue;
    Add(key);
  }
  for (std::string prefix : {"", "a", "a/", "a/b", "é", "日/", "z/a", "none", "😀/😀"}) {
    for (std::string delimiter : {"", "/", "b", "日"}) {
      for (int max_keys : {1, 3, 1000}) {
        if (max_keys == 1 && prefix.empty() && delimiter.empty()) continue;  // 700 pages: slow
        CheckListing(prefix, delimiter, max_keys);
        if (HasFatalFailure()) return;
      }
    }
  }
  CheckListing("", "", 7);
}

TEST_F(ListTest, ManyKeysUnderOnePrefixAndPastAThousand) {
  for (int i = 0; i < 1100; ++i) Add(fmt::format("dir{}/file{:04}", i % 3, i));
  Add("top");
  CheckListing("", "", 1000);
  CheckListing("", "/", 1000);
  CheckListing("dir1/", "/", 250);
  CheckListing("dir2", "", 1000);
  ListQuery q;
  q.delimiter = "/";
  auto page = store_->List(q);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->common_prefixes, (std::vector<std::string>{"dir0/", "dir1/", "dir2/"}));
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].key, "top");
  EXPECT_TRUE(page->next_token.empty());
}

TEST_F(ListTest, FolderMarkersAndTheDelimiterInThePrefix) {
  for (const char* key : {"in/", "in/a", "in/sub/", "in/sub/b", "in2", "inbox/x"}) Add(key);
  ListQuery q;
  q.prefix = "in/";
  q.delimiter = "/";
  auto page = store_->List(q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->objects.size(), 2u);  // the marker itself is an object under the prefix
  EXPECT_EQ(page->objects[0].key, "in/");
  EXPECT_EQ(page->objects[1].key, "in/a");
  EXPECT_EQ(page->common_prefixes, (std::vector<std::string>{"in/sub/"}));
  CheckListing("in", "/", 1);
}

TEST_F(ListTest, TokensAreValidatedAndSurviveChanges) {
  for (const char* key : {"a/1", "a/2", "b", "c/1", "d"}) Add(key);
  ListQuery q;
  q.delimiter = "/";
  q.max_keys = 2;
  auto first = store_->List(q);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(PageEntries(*first), (std::vector<Entry>{{"a/", true}, {"b", false}}));
  ASSERT_FALSE(first->next_token.empty());

  // Keys added before the token's place are not shown again; those after it are.
  Add("a/3");
  Add("b0");
  ListQuery next = q;
  next.continuation_token = first->next_token;
  auto second = store_->List(next);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(PageEntries(*second), (std::vector<Entry>{{"b0", false}, {"c/", true}}));
  next.continuation_token = second->next_token;
  auto third = store_->List(next);
  EXPECT_EQ(PageEntries(*third), (std::vector<Entry>{{"d", false}}));
  EXPECT_TRUE(third->next_token.empty());

  // Malformed, tampered, or from another query: InvalidToken.
  std::string token = first->next_token;
  std::string odd = token + "0";
  std::string upper = token;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  std::string kind = token;
  kind[0] = kind[0] == 'k' ? 'p' : 'k';  // "b" as a common prefix: does not end with "/"
  for (const std::string& bad : {std::string("garbage"), std::string("k"), odd, upper, kind,
                                 token.substr(0, 17), token + "zz", std::string(3000, '0')}) {
    ListQuery q2 = q;
    q2.continuation_token = bad;
    auto r = store_->List(q2);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, errc::kInvalidToken) << bad;
  }
  ListQuery other = q;
  other.continuation_token = token;
  other.delimiter = "";
  EXPECT_EQ(store_->List(other).error().code, errc::kInvalidToken);
  other.delimiter = "/";
  other.prefix = "a";
  EXPECT_EQ(store_->List(other).error().code, errc::kInvalidToken);
  // A different max_keys is fine (as S3).
  other.prefix = "";
  other.max_keys = 1000;
  EXPECT_TRUE(store_->List(other).ok());
}

}  // namespace
}  // namespace wharf::objects
