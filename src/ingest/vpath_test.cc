#include "ingest/vpath.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace wharf::ingest {
namespace {

// --- resolving ---------------------------------------------------------------------------------

struct Resolved {
  std::string path;
  std::string key;
};

// The path and key, or "error: message".
std::string Resolve(std::string_view home, std::string_view cwd, std::string_view client) {
  auto v = ResolvePath(home, cwd, client);
  if (!v.ok()) {
    EXPECT_EQ(v.error().code, kInvalidPath);
    return "error: " + v.error().message;
  }
  return v->path + " -> " + v->key;
}

TEST(VpathTest, CanonicalPaths) {
  EXPECT_EQ(Resolve("alice/", "/", "/"), "/ -> alice/");
  EXPECT_EQ(Resolve("alice/", "/", ""), "/ -> alice/");
  EXPECT_EQ(Resolve("alice/", "/in", ""), "/in -> alice/in");
  EXPECT_EQ(Resolve("alice/", "/", "a.csv"), "/a.csv -> alice/a.csv");
  EXPECT_EQ(Resolve("alice/", "/in", "a.csv"), "/in/a.csv -> alice/in/a.csv");
  EXPECT_EQ(Resolve("alice/", "/in", "/a.csv"), "/a.csv -> alice/a.csv");
  EXPECT_EQ(Resolve("alice/", "/", "/a/./b//c/"), "/a/b/c -> alice/a/b/c");
  EXPECT_EQ(Resolve("alice/", "/", ".//./"), "/ -> alice/");
  EXPECT_EQ(Resolve("alice/", "/a/b", ".."), "/a -> alice/a");
  EXPECT_EQ(Resolve("alice/", "/a/b", "../../c"), "/c -> alice/c");
  EXPECT_EQ(Resolve("alice/", "/a/b", "../.."), "/ -> alice/");
  EXPECT_EQ(Resolve("alice/", "/", "a/../b"), "/b -> alice/b");
  EXPECT_EQ(Resolve("partners/acme/", "/", "in/x"), "/in/x -> partners/acme/in/x");
  // A home that is the whole store.
  EXPECT_EQ(Resolve("", "/", "/"), "/ -> ");
  EXPECT_EQ(Resolve("", "/", "in/x"), "/in/x -> in/x");
  // Names with dots, spaces and any UTF-8 are names.
  EXPECT_EQ(Resolve("alice/", "/", "..."), "/... -> alice/...");
  EXPECT_EQ(Resolve("alice/", "/", "..a/a.."), "/..a/a.. -> alice/..a/a..");
  EXPECT_EQ(Resolve("alice/", "/", " .. /x"), "/ .. /x -> alice/ .. /x");
  EXPECT_EQ(Resolve("alice/", "/", "Ünïcødé/日本語.csv"),
            "/Ünïcødé/日本語.csv -> alice/Ünïcødé/日本語.csv");
}

// Every way out of the home that a client may try (issue 4, "Users"): each is refused, or stays
// inside the home as a literal name.
TEST(VpathTest, DotDotBeyondTheRootIsRefused) {
  const std::string outside = "error: the path leads outside your home folder";
  for (const char* path : {"..", "../", "/..", "/../", "../bob", "../bob/secret.csv", "/../bob",
                           "../../etc/passwd", "/../../../../etc/passwd", "a/../..", "a/../../b",
                           "./..", "/./../x", "..//..", "//..", "a/b/../../../c", "../alice/x"}) {
    EXPECT_EQ(Resolve("alice/", "/", path), outside) << path;
    EXPECT_EQ(Resolve("", "/", path), outside) << path;  // even when home is the whole store
  }
  // Relative to a deeper folder: one level too many.
  EXPECT_EQ(Resolve("alice/", "/a/b", "../../.."), outside);
  EXPECT_EQ(Resolve("alice/", "/a/b", "../../../alice/x"), outside);
  EXPECT_EQ(Resolve("alice/", "/a", "b/../../.."), outside);
  // A current folder that itself climbs out (it never should: the servers keep it canonical).
  EXPECT_EQ(Resolve("alice/", "/..", "x"),
            "error: the current folder leads outside your home folder");
  EXPECT_EQ(Resolve("alice/", "..", "x"),
            "error: the current folder leads outside your home folder");
  // An absolute path ignores a bad current folder.
  EXPECT_EQ(Resolve("alice/", "/..", "/x"), "/x -> alice/x");
}

TEST(VpathTest, AbsolutePathsStayInsideTheHome) {
  // "/" is the home: an absolute path names a place inside it, never the store's root or the
  // server's file system.
  EXPECT_EQ(Resolve("alice/", "/in", "/etc/passwd"), "/etc/passwd -> alice/etc/passwd");
  EXPECT_EQ(Resolve("alice/", "/", "//etc//passwd"), "/etc/passwd -> alice/etc/passwd");
  EXPECT_EQ(Resolve("alice/", "/", "/alice/x"), "/alice/x -> alice/alice/x");
  EXPECT_EQ(Resolve("alice/", "/", "/bob/x"), "/bob/x -> alice/bob/x");
  EXPECT_EQ(Resolve("partners/acme/", "/", "/partners/globex/x"),
            "/partners/globex/x -> partners/acme/partners/globex/x");
  EXPECT_EQ(Resolve("alice/", "/", "/var/lib/wharf/data/objects/bob/x"),
            "/var/lib/wharf/data/objects/bob/x -> alice/var/lib/wharf/data/objects/bob/x");
  // Windows-style and URL-style absolute forms are names, not escapes.
  EXPECT_EQ(Resolve("alice/", "/", "C:/Windows"), "/C:/Windows -> alice/C:/Windows");
  EXPECT_EQ(Resolve("alice/", "/", "file:///etc/passwd"),
            "/file:/etc/passwd -> alice/file:/etc/passwd");
  // No "~" expansion: "~bob" is a name.
  EXPECT_EQ(Resolve("alice/", "/", "~bob/x"), "/~bob/x -> alice/~bob/x");
  EXPECT_EQ(Resolve("alice/", "/", "~/x"), "/~/x -> alice/~/x");
}

TEST(VpathTest, NulIsRefused) {
  const std::string nul = "error: the path contains a NUL character";
  EXPECT_EQ(Resolve("alice/", "/", std::string("a\0b", 3)), nul);
  EXPECT_EQ(Resolve("alice/", "/", std::string("x.csv\0/../../bob", 16)), nul);
  EXPECT_EQ(Resolve("alice/", "/", std::string("\0", 1)), nul);
  EXPECT_EQ(Resolve("alice/", std::string("/a\0", 3), "x"), nul);
}

TEST(VpathTest, BackslashesAreRefused) {
  const std::string backslash = "error: the path contains '\\'; folders are separated by '/'";
  for (const char* path : {"..\\..\\etc\\passwd", "a\\b", "\\", "\\..", "..\\", "a/..\\../x",
                           "C:\\Windows", "\\\\server\\share"})
    EXPECT_EQ(Resolve("alice/", "/", path), backslash) << path;
}

TEST(VpathTest, PercentEncodingIsNotDecoded) {
  // The encoded forms of "." "/" and "\" are kept as they are: literal names inside the home.
  EXPECT_EQ(Resolve("alice/", "/", "%2e%2e%2f%2e%2e%2fetc%2fpasswd"),
            "/%2e%2e%2f%2e%2e%2fetc%2fpasswd -> alice/%2e%2e%2f%2e%2e%2fetc%2fpasswd");
  EXPECT_EQ(Resolve("alice/", "/", "%2E%2E/x"), "/%2E%2E/x -> alice/%2E%2E/x");
  EXPECT_EQ(Resolve("alice/", "/", "..%2fbob"), "/..%2fbob -> alice/..%2fbob");
  EXPECT_EQ(Resolve("alice/", "/", "..%2Fbob"), "/..%2Fbob -> alice/..%2Fbob");
  EXPECT_EQ(Resolve("alice/", "/", "..%5cbob"), "/..%5cbob -> alice/..%5cbob");
  EXPECT_EQ(Resolve("alice/", "/", "%252e%252e%252f"), "/%252e%252e%252f -> alice/%252e%252e%252f");
  EXPECT_EQ(Resolve("alice/", "/", "%c0%ae%c0%ae/"), "/%c0%ae%c0%ae -> alice/%c0%ae%c0%ae");
  EXPECT_EQ(Resolve("alice/", "/", "%00"), "/%00 -> alice/%00");
}

TEST(VpathTest, InvalidUtf8IsRefused) {
  const std::string invalid = "error: the path is not valid UTF-8";
  const std::string cases[] = {
      "\xc0\xae\xc0\xae/bob",        // overlong "." ".": the classic encoded ".."
      "..\xc0\xafpasswd",            // overlong "/"
      "\xc1\x9c",                    // overlong "\"
      "\xe0\x80\xaf",                // overlong "/" in three bytes
      "\xf0\x80\x80\xaf",            // overlong "/" in four bytes
      "\xe0\x80\xae\xe0\x80\xae/x",  // overlong "." in three bytes
      "\xed\xa0\x80",                // a UTF-16 surrogate (U+D800)
      "\xed\xbf\xbf",                // U+DFFF
      "\xf4\x90\x80\x80",            // U+110000, past Unicode
      "\xf5\x80\x80\x80",            // F5 never starts a sequence
      "\xff",                        // nor does FF
      "\x80",                        // a continuation byte alone
      "a\xe2\x82",                   // a sequence cut short at the end
      "\xe2\x82/x",                  // ... and in the middle
      "\xc3",                        // a lead byte alone
      "\xc3\x28",                    // a lead byte followed by ASCII
  };
  for (const std::string& path : cases) EXPECT_EQ(Resolve("alice/", "/", path), invalid) << path;
  EXPECT_EQ(Resolve("alice/", "\xc0\xaf", "x"), invalid);
  // The edges of what is valid.
  EXPECT_EQ(Resolve("alice/", "/", "\xc2\x80"), "/\xc2\x80 -> alice/\xc2\x80");
  EXPECT_EQ(Resolve("alice/", "/", "\xed\x9f\xbf"), "/\xed\x9f\xbf -> alice/\xed\x9f\xbf");
  EXPECT_EQ(Resolve("alice/", "/", "\xf4\x8f\xbf\xbf"),
            "/\xf4\x8f\xbf\xbf -> alice/\xf4\x8f\xbf\xbf");
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("ascii"));
  EXPECT_TRUE(IsValidUtf8("\xe2\x82\xac"));  // €
}

TEST(VpathTest, UnicodeLookalikesAreNames) {
  // Fullwidth ". . /" (U+FF0E, U+FF0F), the division slash (U+2215), the one-dot leader (U+2024):
  // names, never separators or parent folders.
  EXPECT_EQ(Resolve("alice/", "/",
                    "\xef\xbc\x8e\xef\xbc\x8e\xef\xbc\x8f"
                    "bob"),
            "/\xef\xbc\x8e\xef\xbc\x8e\xef\xbc\x8f"
            "bob -> alice/\xef\xbc\x8e\xef\xbc\x8e\xef\xbc\x8f"
            "bob");
  EXPECT_EQ(Resolve("alice/", "/",
                    "..\xe2\x88\x95"
                    "bob"),
            "/..\xe2\x88\x95"
            "bob -> alice/..\xe2\x88\x95"
            "bob");
  EXPECT_EQ(Resolve("alice/", "/", "\xe2\x80\xa4\xe2\x80\xa4"),
            "/\xe2\x80\xa4\xe2\x80\xa4 -> alice/\xe2\x80\xa4\xe2\x80\xa4");
}

TEST(VpathTest, ControlCharactersAreRefused) {
  const std::string control = "error: the path contains a control character";
  for (const char* path : {"a\nb", "a\r\nRETR x", "\x1b[2J", "tab\there", "del\x7f"})
    EXPECT_EQ(Resolve("alice/", "/", path), control) << path;
}

TEST(VpathTest, TooLongIsRefused) {
  // Key + "/" (a folder's marker) must fit in 1,024 bytes.
  std::string fits(1023 - 6, 'x');  // "alice/" + 1017 = 1023
  EXPECT_TRUE(ResolvePath("alice/", "/", fits).ok());
  EXPECT_EQ(Resolve("alice/", "/", fits + "x"),
            "error: the path is too long: the store takes keys of at most 1024 bytes");
  // Segments that vanish do not count.
  EXPECT_TRUE(ResolvePath("alice/", "/", std::string(5000, '/') + "x").ok());
}

// Whatever a client sends, a resolved key is inside the home and its path is canonical.
TEST(VpathTest, RandomPathsNeverLeaveTheHome) {
  const std::string pieces[] = {
      "..",       ".", "",  "a", "bob",   "%2e", "%2f", "\\",
      "\xc0\xae", "~", " ", "…", "alice", "/",   "//",  std::string("\0", 1)};
  std::mt19937 rng(4);
  int resolved = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string path;
    int n = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < n; ++k) {
      path += pieces[rng() % std::size(pieces)];
      if (rng() % 2) path += "/";
    }
    std::string cwd = rng() % 2 ? "/" : "/a/b";
    auto v = ResolvePath("alice/", cwd, path);
    if (!v.ok()) continue;
    ++resolved;
    ASSERT_EQ(v->key.rfind("alice/", 0), 0u) << path;
    ASSERT_EQ(v->path.front(), '/');
    ASSERT_EQ(v->key, v->path == "/" ? "alice/" : "alice/" + v->path.substr(1));
    ASSERT_EQ(v->path.find("//"), std::string::npos) << path;
    ASSERT_EQ(v->path.find("/./"), std::string::npos) << path;
    ASSERT_EQ(v->path.find("/../"), std::string::npos) << path;
    ASSERT_TRUE(v->path == "/" || v->path.back() != '/') << path;
    for (std::string_view seg : {std::string_view("/.."), std::string_view("/.")}) {
      ASSERT_FALSE(v->path.size() >= seg.size() &&
                   v->path.compare(v->path.size() - seg.size(), seg.size(), seg) == 0)
          << path;
    }
    // Resolving the canonical path again gives the same.
    auto again = ResolvePath("alice/", "/", v->path);
    ASSERT_TRUE(again.ok());
    ASSERT_EQ(again->key, v->key);
  }
  EXPECT_GT(resolved, 1000);
}

TEST(VpathTest, NamesParentsAndPrefixes) {
  VirtualPath v = *ResolvePath("alice/", "/", "/in/2024/a.csv");
  EXPECT_EQ(v.Name(), "a.csv");
  EXPECT_EQ(v.DirectoryPrefix(), "alice/in/2024/a.csv/");
  VirtualPath p = v.Parent();
  EXPECT_EQ(p.path, "/in/2024");
  EXPECT_EQ(p.key, "alice/in/2024");
  EXPECT_EQ(p.DirectoryPrefix(), "alice/in/2024/");
  VirtualPath root = p.Parent().Parent();
  EXPECT_TRUE(root.is_root());
  EXPECT_EQ(root.key, "alice/");
  EXPECT_EQ(root.Name(), "");
  EXPECT_EQ(root.DirectoryPrefix(), "alice/");
  EXPECT_TRUE(root.Parent().is_root());
  VirtualPath whole = *ResolvePath("", "/", "/");
  EXPECT_EQ(whole.DirectoryPrefix(), "");
  EXPECT_EQ(ResolvePath("", "/", "x")->Parent().DirectoryPrefix(), "");

  EXPECT_EQ(VirtualPathOfKey("alice/", "alice/in/a.csv"), "/in/a.csv");
  EXPECT_EQ(VirtualPathOfKey("alice/", "alice/in/"), "/in");
  EXPECT_EQ(VirtualPathOfKey("alice/", "alice/"), std::nullopt);
  EXPECT_EQ(VirtualPathOfKey("alice/", "alice2/x"), std::nullopt);
  EXPECT_EQ(VirtualPathOfKey("alice/", "bob/x"), std::nullopt);
  EXPECT_EQ(VirtualPathOfKey("", "bob/x"), "/bob/x");
}

// --- folders over a flat key space ---------------------------------------------------------

// An in-memory ObjectStore: keys in a sorted map, List as S3 answers it (prefix, delimiter,
// max_keys, a continuation token that is the last key returned).
class MemoryStore : public objects::ObjectStore {
 public:
  void Add(const std::string& key, int64_t size = 1) {
    objects::ObjectMeta m;
    m.key = key;
    m.size = size;
    objects_[key] = m;
  }

  Result<std::unique_ptr<objects::ObjectWriter>> Put(const objects::ObjectMeta&) override {
    return Unused();
  }
  Result<std::unique_ptr<objects::ObjectReader>> Get(std::string_view,
                                                     std::optional<objects::ByteRange>) override {
    return Unused();
  }
  Result<objects::ObjectMeta> Head(std::string_view key) override {
    ++heads;
    auto it = objects_.find(std::string(key));
    if (it == objects_.end()) return MakeError(objects::errc::kNoSuchKey, "no such key");
    return it->second;
  }
  Result<objects::ListPage> List(const objects::ListQuery& q) override {
    ++lists;
    objects::ListPage page;
    int count = 0;
    auto it = q.continuation_token.empty() ? objects_.lower_bound(q.prefix)
                                           : objects_.upper_bound(q.continuation_token);
    std::string last;
    for (; it != objects_.end() && it->first.rfind(q.prefix, 0) == 0; ++it) {
      if (count == q.max_keys) {
        page.next_token = last;
        break;
      }
      const std::string& key = it->first;
      size_t cut = q.delimiter.empty() ? std::string::npos : key.find(q.delimiter, q.prefix.size());
      if (cut != std::string::npos) {
        std::string common = key.substr(0, cut + q.delimiter.size());
        if (page.common_prefixes.empty() || page.common_prefixes.back() != common) {
          page.common_prefixes.push_back(common);
          ++count;
        }
        // Skip the rest of this common prefix.
        last = common + "\xff";
        while (std::next(it) != objects_.end() && std::next(it)->first.rfind(common, 0) == 0) ++it;
        last = it->first;
        continue;
      }
      page.objects.push_back(it->second);
      last = key;
      ++count;
    }
    return page;
  }
  Status Delete(std::string_view, objects::ChangeEvents) override { return Unused(); }
  Result<objects::ObjectMeta> Copy(std::string_view, std::string_view,
                                   objects::ChangeEvents) override {
    return Unused();
  }
  Result<objects::ObjectMeta> Rename(std::string_view, std::string_view,
                                     objects::ChangeEvents) override {
    return Unused();
  }
  Status CommitEvents(std::vector<objects::ObjectEvent>) override { return Unused(); }
  Result<std::vector<objects::ObjectEvent>> ReadEvents(int, int64_t) override { return Unused(); }
  Status MarkEventsDelivered(const std::vector<int64_t>&) override { return Unused(); }

  int heads = 0;
  int lists = 0;

 private:
  static Error Unused() { return MakeError("Unused", "not used by these tests"); }
  std::map<std::string, objects::ObjectMeta> objects_;
};

class FoldersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_.Add("alice/a.csv", 10);
    store_.Add("alice/in/2024/x.csv", 20);  // "in" and "in/2024" exist through this key
    store_.Add("alice/empty/", 0);          // mkdir's marker
    store_.Add("alice/full/", 0);
    store_.Add("alice/full/f", 3);
    store_.Add("alice/abc", 1);  // not a folder "a", nor "ab"
    store_.Add("alice2/secret", 1);
    store_.Add("bob/secret", 1);
  }
  VirtualPath Path(const char* p) { return *ResolvePath("alice/", "/", p); }

  MemoryStore store_;
};

TEST_F(FoldersTest, Stat) {
  EXPECT_EQ(*Stat(store_, Path("/")), EntryType::kDirectory);
  EXPECT_EQ(*Stat(store_, Path("/a.csv")), EntryType::kFile);
  EXPECT_EQ(*Stat(store_, Path("/in")), EntryType::kDirectory);
  EXPECT_EQ(*Stat(store_, Path("/in/2024")), EntryType::kDirectory);
  EXPECT_EQ(*Stat(store_, Path("/in/2024/x.csv")), EntryType::kFile);
  EXPECT_EQ(*Stat(store_, Path("/empty")), EntryType::kDirectory);
  EXPECT_EQ(*Stat(store_, Path("/full")), EntryType::kDirectory);
  EXPECT_EQ(*Stat(store_, Path("/a")), EntryType::kMissing);
  EXPECT_EQ(*Stat(store_, Path("/ab")), EntryType::kMissing);
  EXPECT_EQ(*Stat(store_, Path("/in/20")), EntryType::kMissing);
  EXPECT_EQ(*Stat(store_, Path("/nope")), EntryType::kMissing);
  EXPECT_TRUE(*IsFolder(store_, Path("/in")));
  EXPECT_TRUE(*IsFolder(store_, Path("/empty")));
  EXPECT_FALSE(*IsFolder(store_, Path("/a.csv")));
  EXPECT_FALSE(*IsFolder(store_, Path("/ab")));
  // Another user's keys are not reachable, even where the home is a prefix of theirs.
  EXPECT_EQ(*Stat(store_, Path("/secret")), EntryType::kMissing);
  EXPECT_EQ(*Stat(store_, Path("/2/secret")), EntryType::kMissing);
}

TEST_F(FoldersTest, EmptyFolders) {
  EXPECT_TRUE(*DirectoryIsEmpty(store_, Path("/empty")));
  EXPECT_FALSE(*DirectoryIsEmpty(store_, Path("/full")));
  EXPECT_FALSE(*DirectoryIsEmpty(store_, Path("/in")));
  EXPECT_FALSE(*DirectoryIsEmpty(store_, Path("/")));
  EXPECT_TRUE(*DirectoryIsEmpty(store_, Path("/nothing")));
}

TEST_F(FoldersTest, ListDirectory) {
  auto names = [](const DirectoryPage& page) {
    std::string s;
    for (const DirectoryEntry& e : page.entries)
      s += e.name + (e.type == EntryType::kDirectory ? "/ " : " ");
    return s;
  };
  auto root = ListDirectory(store_, Path("/"));
  ASSERT_TRUE(root.ok()) << root.error().message;
  EXPECT_EQ(names(*root), "a.csv abc empty/ full/ in/ ");
  EXPECT_EQ(root->next_token, "");
  EXPECT_EQ(root->entries[0].meta.size, 10);
  EXPECT_EQ(names(*ListDirectory(store_, Path("/empty"))), "");  // the marker is not an entry
  EXPECT_EQ(names(*ListDirectory(store_, Path("/full"))), "f ");
  EXPECT_EQ(names(*ListDirectory(store_, Path("/in"))), "2024/ ");
  EXPECT_EQ(names(*ListDirectory(store_, Path("/in/2024"))), "x.csv ");

  // Page by page.
  std::string all;
  std::string token;
  int pages = 0;
  do {
    auto page = ListDirectory(store_, Path("/"), token, 2);
    ASSERT_TRUE(page.ok());
    all += names(*page);
    token = page->next_token;
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(all, "a.csv abc empty/ full/ in/ ");
  EXPECT_EQ(pages, 3);
}

TEST_F(FoldersTest, StoreErrorsPassThrough) {
  class Failing : public MemoryStore {
   public:
    Result<objects::ObjectMeta> Head(std::string_view) override {
      return MakeError(objects::errc::kStorageFailure, "disk on fire");
    }
  } failing;
  auto st = Stat(failing, Path("/a.csv"));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, objects::errc::kStorageFailure);
  EXPECT_EQ(st.error().message, "disk on fire");
}

}  // namespace
}  // namespace wharf::ingest
