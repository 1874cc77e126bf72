// SftpHandler fed with SFTP packets over a real LocalObjectStore in a temporary folder: every
// request OpenSSH's client sends, uploads committed only on close, reads in any order, escapes
// refused, and the status codes and messages of failures.
#include "ingest/sftp_handler.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "ingest/sftp_protocol.h"
#include "objects/objects_testing.h"

namespace wharf::ingest {
namespace sftp {
// For gtest's messages: the status code's number.
void PrintTo(StatusCode code, std::ostream* os) { *os << static_cast<int>(code); }
}  // namespace sftp

namespace {

using objects::testing::CountTemp;
using objects::testing::Md5Hex;
using objects::testing::TempDir;
using sftp::PacketWriter;
using sftp::Reader;
using sftp::StatusCode;

// --- the handler, fed with packets ---------------------------------------------------------

struct Reply {
  uint8_t type = 0;
  uint32_t id = 0;
  std::string body;  // after the id
  StatusCode status() const {
    Reader in(body);
    uint32_t code = 99;
    EXPECT_EQ(type, sftp::kStatus);
    EXPECT_TRUE(in.U32(&code));
    return static_cast<StatusCode>(code);
  }
  std::string message() const {
    Reader in(body);
    uint32_t code;
    std::string_view text;
    if (type != sftp::kStatus || !in.U32(&code) || !in.String(&text)) return "";
    return std::string(text);
  }
  std::string String() const {  // HANDLE and DATA
    Reader in(body);
    std::string_view s;
    EXPECT_TRUE(in.String(&s)) << "type " << int(type);
    return std::string(s);
  }
};

class SftpHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = objects::testing::OpenStore(dir_.path() + "/objects");
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(*opened);
    alice_.name = "alice";
    alice_.home = "alice/";
    info_.server_id = "s-0123456789abcdef0";
    info_.session_id = "0123456789abcdef";
    info_.client_ip = "127.0.0.1";
    Connect(alice_);
  }

  void Connect(const UserConfig& user) {
    handler_.reset();
    session_ = std::make_unique<FileSession>(*store_, user, info_);
    handler_ = std::make_unique<SftpHandler>(*session_, SftpHandlerOptions{dir_.path()});
    std::string out;
    std::string init;
    PacketWriter(init, sftp::kInit).U32(3);
    ASSERT_TRUE(handler_->Handle(std::string_view(init).substr(4), out).ok());
    version_ = out;
  }

  Reply Request(uint8_t type, const std::function<void(PacketWriter&)>& fill = {}) {
    std::string packet;
    {
      PacketWriter w(packet, type);
      w.U32(++id_);
      if (fill) fill(w);
    }
    std::string out;
    Status handled = handler_->Handle(std::string_view(packet).substr(4), out);
    EXPECT_TRUE(handled.ok()) << handled.error().message;
    size_t used = 0;
    std::string error;
    auto reply = sftp::NextPacket(out, 1 << 30, &used, &error);
    Reply r;
    if (!reply) {
      ADD_FAILURE() << "no reply to request type " << int(type);
      return r;
    }
    EXPECT_EQ(used, out.size()) << "one reply per request";
    Reader in(*reply);
    EXPECT_TRUE(in.U8(&r.type) && in.U32(&r.id));
    EXPECT_EQ(r.id, id_);
    r.body = std::string(reply->substr(5));
    return r;
  }

  Reply Path(uint8_t type, std::string_view path) {
    return Request(type, [&](PacketWriter& w) { w.String(path); });
  }

  Reply Open(std::string_view path, uint32_t flags) {
    return Request(sftp::kOpen,
                   [&](PacketWriter& w) { w.String(path).U32(flags).Attrs(sftp::Attributes{}); });
  }

  std::string OpenOk(std::string_view path, uint32_t flags) {
    Reply r = Open(path, flags);
    EXPECT_EQ(r.type, sftp::kHandle) << r.message();
    return r.type == sftp::kHandle ? r.String() : "";
  }

  Reply Write(const std::string& handle, uint64_t offset, std::string_view data) {
    return Request(sftp::kWrite,
                   [&](PacketWriter& w) { w.String(handle).U64(offset).String(data); });
  }

  Reply Read(const std::string& handle, uint64_t offset, uint32_t length) {
    return Request(sftp::kRead, [&](PacketWriter& w) { w.String(handle).U64(offset).U32(length); });
  }

  Reply Close(const std::string& handle) {
    return Request(sftp::kClose, [&](PacketWriter& w) { w.String(handle); });
  }

  Reply Extended(std::string_view name, const std::function<void(PacketWriter&)>& fill = {}) {
    return Request(sftp::kExtended, [&](PacketWriter& w) {
      w.String(name);
      if (fill) fill(w);
    });
  }

  void Put(const std::string& key, std::string_view bytes) {
    auto put = objects::testing::PutBytes(*store_, key, bytes);
    ASSERT_TRUE(put.ok()) << put.error().message;
  }

  std::string Get(const std::string& key) {
    auto got = objects::testing::GetBytes(*store_, key);
    return got.ok() ? *got : "<" + got.error().code + ">";
  }

  std::vector<std::string> EventKinds() {
    auto events = store_->ReadEvents(1000, 0);
    std::vector<std::string> kinds;
    if (events.ok()) {
      for (const auto& e : *events) kinds.push_back(e.kind);
    }
    return kinds;
  }

  static std::string Bytes(size_t n, uint32_t seed) {
    std::string s(n, '\0');
    for (size_t i = 0; i < n; ++i) {
      seed = seed * 1664525u + 1013904223u;
      s[i] = static_cast<char>(seed >> 24);
    }
    return s;
  }

  TempDir dir_;
  std::unique_ptr<objects::LocalObjectStore> store_;
  UserConfig alice_;
  SessionInfo info_;
  std::unique_ptr<FileSession> session_;
  std::unique_ptr<SftpHandler> handler_;
  std::string version_;
  uint32_t id_ = 0;
};

constexpr uint32_t kWriteNew = sftp::kOpenWrite | sftp::kOpenCreate | sftp::kOpenTruncate;

TEST_F(SftpHandlerTest, InitAnswersVersion3WithTheExtensions) {
  size_t used = 0;
  std::string error;
  auto packet = sftp::NextPacket(version_, kSftpMaxPacket, &used, &error);
  ASSERT_TRUE(packet);
  Reader in(*packet);
  uint8_t type;
  uint32_t version;
  ASSERT_TRUE(in.U8(&type) && in.U32(&version));
  EXPECT_EQ(type, sftp::kVersion);
  EXPECT_EQ(version, 3u);
  std::vector<std::string> names;
  std::string_view name, data;
  while (in.String(&name) && in.String(&data)) names.emplace_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"posix-rename@openssh.com", "statvfs@openssh.com",
                                             "limits@openssh.com"}));
}

TEST_F(SftpHandlerTest, RequestsBeforeInitAndBrokenPacketsEndTheSession) {
  FileSession session(*store_, alice_, info_);
  SftpHandler fresh(session);
  std::string packet, out;
  PacketWriter(packet, sftp::kStat).U32(1).String("/");
  Status s = fresh.Handle(std::string_view(packet).substr(4), out);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("before INIT"), std::string::npos) << s.error().message;
  EXPECT_FALSE(handler_->Handle(std::string_view("\x11\x00", 2), out).ok());  // no request id
}

TEST_F(SftpHandlerTest, AnUploadIsStoredWhenItsHandleCloses) {
  std::string data = Bytes(1024 * 1024 + 77, 1);
  std::string h = OpenOk("/in.bin", kWriteNew);
  for (size_t at = 0; at < data.size(); at += kSftpMaxData) {
    Reply r = Write(h, at, std::string_view(data).substr(at, kSftpMaxData));
    ASSERT_EQ(r.status(), StatusCode::kOk) << r.message();
  }
  EXPECT_EQ(Get("alice/in.bin"), "<NoSuchKey>") << "nothing is visible before the close";
  Reply stat = Request(sftp::kFstat, [&](PacketWriter& w) { w.String(h); });
  ASSERT_EQ(stat.type, sftp::kAttrs);
  Reader attrs(stat.body);
  sftp::Attributes a;
  ASSERT_TRUE(attrs.Attrs(&a));
  EXPECT_EQ(a.size, data.size());
  EXPECT_EQ(Close(h).status(), StatusCode::kOk);
  EXPECT_EQ(Md5Hex(Get("alice/in.bin")), Md5Hex(data));
  EXPECT_EQ(handler_->open_handles(), 0u);
  auto kinds = EventKinds();
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "SFTP Server File Upload Completed"),
            kinds.end());
}

TEST_F(SftpHandlerTest, AWriteAnywhereButTheEndIsRefusedAndNothingIsStored) {
  std::string h = OpenOk("/gap.bin", kWriteNew);
  EXPECT_EQ(Write(h, 0, "abc").status(), StatusCode::kOk);
  Reply gap = Write(h, 10, "xyz");
  EXPECT_EQ(gap.status(), StatusCode::kFailure);
  EXPECT_NE(gap.message().find("write at offset 10 refused"), std::string::npos) << gap.message();
  EXPECT_NE(gap.message().find("at offset 3"), std::string::npos) << gap.message();
  EXPECT_EQ(Write(h, 3, "def").status(), StatusCode::kFailure) << "the upload is over";
  EXPECT_EQ(Close(h).status(), StatusCode::kFailure);
  EXPECT_EQ(Get("alice/gap.bin"), "<NoSuchKey>");
  EXPECT_EQ(CountTemp(dir_.path() + "/objects"), 0u);
}

TEST_F(SftpHandlerTest, ASessionThatEndsWithAnOpenUploadStoresNothing) {
  std::string h = OpenOk("/cut.bin", kWriteNew);
  EXPECT_EQ(Write(h, 0, Bytes(600 * 1024, 2)).status(), StatusCode::kOk);
  handler_->Close();
  EXPECT_EQ(Get("alice/cut.bin"), "<NoSuchKey>");
  EXPECT_EQ(CountTemp(dir_.path() + "/objects"), 0u);
  auto events = store_->ReadEvents(1000, 0);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].kind, "SFTP Server File Upload Failed");
  EXPECT_NE((*events)[0].payload.find("PARTIAL_UPLOAD"), std::string::npos);
}

TEST_F(SftpHandlerTest, ReadsInOrderBackwardsAndFarAhead) {
  std::string data = Bytes(12 * 1024 * 1024 + 5, 3);
  Put("alice/big.bin", data);
  std::string h = OpenOk("/big.bin", sftp::kOpenRead);
  Reply first = Read(h, 0, 100000);
  ASSERT_EQ(first.type, sftp::kData);
  EXPECT_EQ(first.String(), data.substr(0, 100000));
  Reply capped = Read(h, 100000, 4 * 1024 * 1024);  // more than a packet may carry
  EXPECT_EQ(capped.String(), data.substr(100000, kSftpMaxData));
  EXPECT_EQ(Read(h, 10, 20).String(), data.substr(10, 20)) << "a re-read from what is kept";
  EXPECT_EQ(Read(h, 9 * 1024 * 1024, 1000).String(), data.substr(9 * 1024 * 1024, 1000))
      << "far ahead: the object is opened again there";
  EXPECT_EQ(Read(h, 5, 10).String(), data.substr(5, 10)) << "far behind: opened again";
  EXPECT_EQ(Read(h, data.size() - 3, 100).String(), data.substr(data.size() - 3));
  EXPECT_EQ(Read(h, data.size(), 100).status(), StatusCode::kEof);
  EXPECT_EQ(Close(h).status(), StatusCode::kOk);
  EXPECT_EQ(Read(h, 0, 1).status(), StatusCode::kFailure);  // closed
}

// A download's window fills, keeps its last 2 MiB and fills again, several times over: every
// byte of the file must come back, whatever the order the reads of a group arrive in, and a
// re-read up to a megabyte and a half behind must still find its bytes.
TEST_F(SftpHandlerTest, ReadsServeEveryByteAcrossTheWindowsTurns) {
  std::string data = Bytes(12 * 1024 * 1024 + 5, 4);
  Put("alice/turns.bin", data);
  std::string h = OpenOk("/turns.bin", sftp::kOpenRead);
  constexpr size_t kRequest = 32 * 1024, kGroup = 16;
  std::string got(data.size(), '\0');
  size_t served = 0;
  for (size_t group = 0; group * kRequest * kGroup < data.size(); ++group) {
    for (size_t i = kGroup; i-- > 0;) {  // the group's last request first
      size_t offset = (group * kGroup + i) * kRequest;
      if (offset >= data.size()) continue;
      Reply r = Read(h, offset, kRequest);
      ASSERT_EQ(r.type, sftp::kData) << "at " << offset;
      std::string bytes = r.String();
      ASSERT_EQ(bytes.size(), std::min(kRequest, data.size() - offset)) << "at " << offset;
      got.replace(offset, bytes.size(), bytes);
      served = std::max(served, offset + bytes.size());
    }
    if (served > 3 * 1024 * 1024) {
      size_t behind = served - 3 * 1024 * 1024 / 2;
      ASSERT_EQ(Read(h, behind, 1000).String(), data.substr(behind, 1000)) << "at " << behind;
    }
  }
  EXPECT_TRUE(got == data) << "the bytes served differ from the file's";
  EXPECT_EQ(Read(h, data.size(), 1).status(), StatusCode::kEof);
  EXPECT_EQ(Close(h).status(), StatusCode::kOk);
}

TEST_F(SftpHandlerTest, PathsResolveInsideTheHomeAndEscapesAreRefused) {
  Reply root = Path(sftp::kRealpath, ".");
  ASSERT_EQ(root.type, sftp::kName);
  Reader in(root.body);
  uint32_t count;
  std::string_view name;
  ASSERT_TRUE(in.U32(&count) && in.String(&name));
  EXPECT_EQ(count, 1u);
  EXPECT_EQ(name, "/");
  Reply dotted = Path(sftp::kRealpath, "/a/./b/../c");
  Reader in2(dotted.body);
  ASSERT_TRUE(in2.U32(&count) && in2.String(&name));
  EXPECT_EQ(name, "/a/c");

  Put("bob/secret.txt", "bob's");
  Reply up = Path(sftp::kRealpath, "/../..");
  EXPECT_EQ(up.status(), StatusCode::kPermissionDenied);
  EXPECT_FALSE(up.message().empty());
  EXPECT_EQ(Path(sftp::kStat, "../bob/secret.txt").status(), StatusCode::kPermissionDenied);
  EXPECT_EQ(Open("/../bob/secret.txt", sftp::kOpenRead).status(), StatusCode::kPermissionDenied);
  EXPECT_EQ(Open("../../etc/y", kWriteNew).status(), StatusCode::kPermissionDenied);
  EXPECT_EQ(Path(sftp::kOpendir, "/..").status(), StatusCode::kPermissionDenied);
  EXPECT_EQ(Path(sftp::kMkdir, "../outside").status(), StatusCode::kPermissionDenied);
  EXPECT_EQ(Open(std::string("a\0b", 3), kWriteNew).status(), StatusCode::kPermissionDenied);
  EXPECT_EQ(Open("a\\..\\..\\b", kWriteNew).status(), StatusCode::kPermissionDenied);
  // An absolute path is absolute in the user's view.
  EXPECT_EQ(Path(sftp::kStat, "/etc/passwd").status(), StatusCode::kNoSuchFile);
  EXPECT_EQ(Get("bob/secret.txt"), "bob's");
}

TEST_F(SftpHandlerTest, FoldersListInPagesWithLongNames) {
  ASSERT_EQ(Request(sftp::kMkdir, [](PacketWriter& w) { w.String("/d").Attrs(sftp::Attributes{}); })
                .status(),
            StatusCode::kOk);
  for (int i = 0; i < 150; ++i) Put(fmt::format("alice/d/f{:03}.txt", i), "12345");
  Put("alice/d/sub/x", "x");
  Reply open = Path(sftp::kOpendir, "/d");
  ASSERT_EQ(open.type, sftp::kHandle) << open.message();
  std::string h = open.String();
  std::vector<std::string> names, longs;
  for (int round = 0; round < 10; ++round) {
    Reply r = Request(sftp::kReaddir, [&](PacketWriter& w) { w.String(h); });
    if (r.type == sftp::kStatus) {
      EXPECT_EQ(r.status(), StatusCode::kEof);
      break;
    }
    ASSERT_EQ(r.type, sftp::kName);
    Reader in(r.body);
    uint32_t count = 0;
    ASSERT_TRUE(in.U32(&count));
    EXPECT_LE(count, 100u);
    for (uint32_t i = 0; i < count; ++i) {
      std::string_view name, longname;
      sftp::Attributes a;
      ASSERT_TRUE(in.String(&name) && in.String(&longname) && in.Attrs(&a));
      names.emplace_back(name);
      longs.emplace_back(longname);
    }
  }
  ASSERT_EQ(names.size(), 151u);
  EXPECT_EQ(names[0], "f000.txt");
  EXPECT_EQ(names[150], "sub");
  EXPECT_EQ(longs[0].rfind("-rw-r--r--    1 alice    alice           5 ", 0), 0u) << longs[0];
  EXPECT_EQ(longs[0].substr(longs[0].size() - 9), " f000.txt");
  EXPECT_EQ(longs[150].rfind("drwxr-xr-x", 0), 0u) << longs[150];
  EXPECT_EQ(Close(h).status(), StatusCode::kOk);
  EXPECT_EQ(Path(sftp::kOpendir, "/d/f000.txt").status(), StatusCode::kFailure);  // a file
  EXPECT_EQ(Path(sftp::kOpendir, "/nothing").status(), StatusCode::kNoSuchFile);
}

TEST_F(SftpHandlerTest, StatRemoveRmdirAndTheirErrors) {
  Put("alice/f.txt", "abc");
  Reply stat = Path(sftp::kLstat, "/f.txt");
  ASSERT_EQ(stat.type, sftp::kAttrs);
  Reader in(stat.body);
  sftp::Attributes a;
  ASSERT_TRUE(in.Attrs(&a));
  EXPECT_EQ(a.size, 3u);
  EXPECT_EQ(a.permissions, 0100644u);
  EXPECT_EQ(Path(sftp::kStat, "/missing").status(), StatusCode::kNoSuchFile);
  EXPECT_EQ(Path(sftp::kRemove, "/missing").status(), StatusCode::kNoSuchFile);
  Put("alice/full/x", "x");
  Reply not_empty = Path(sftp::kRmdir, "/full");
  EXPECT_EQ(not_empty.status(), StatusCode::kFailure);
  EXPECT_NE(not_empty.message().find("not empty"), std::string::npos) << not_empty.message();
  EXPECT_EQ(Path(sftp::kRemove, "/f.txt").status(), StatusCode::kOk);
  EXPECT_EQ(Get("alice/f.txt"), "<NoSuchKey>");

  UserConfig reader = alice_;
  reader.permissions = PermissionSet::None();
  reader.permissions.Add(Permission::kList);
  reader.permissions.Add(Permission::kRead);
  Connect(reader);
  Reply denied = Path(sftp::kRemove, "/full/x");
  EXPECT_EQ(denied.status(), StatusCode::kPermissionDenied);
  EXPECT_NE(denied.message().find("may not delete"), std::string::npos) << denied.message();
  EXPECT_EQ(Open("/new", kWriteNew).status(), StatusCode::kPermissionDenied);
  Reply ro = Path(sftp::kStat, "/full/x");
  Reader in2(ro.body);
  ASSERT_TRUE(in2.Attrs(&a));
  EXPECT_EQ(a.permissions, 0100444u);
}

TEST_F(SftpHandlerTest, RenameKeepsTargetsAndPosixRenameReplacesThem) {
  Put("alice/a", "A");
  Put("alice/b", "B");
  Reply plain = Request(sftp::kRename, [](PacketWriter& w) { w.String("/a").String("/b"); });
  EXPECT_EQ(plain.status(), StatusCode::kFailure);
  EXPECT_EQ(Get("alice/b"), "B");
  Reply posix =
      Extended("posix-rename@openssh.com", [](PacketWriter& w) { w.String("/a").String("/b"); });
  EXPECT_EQ(posix.status(), StatusCode::kOk) << posix.message();
  EXPECT_EQ(Get("alice/b"), "A");
  EXPECT_EQ(Get("alice/a"), "<NoSuchKey>");
  EXPECT_EQ(Request(sftp::kRename, [](PacketWriter& w) { w.String("/b").String("/c"); }).status(),
            StatusCode::kOk);
  EXPECT_EQ(Get("alice/c"), "A");
  EXPECT_EQ(
      Request(sftp::kRename, [](PacketWriter& w) { w.String("/c").String("/../c"); }).status(),
      StatusCode::kPermissionDenied);
}

TEST_F(SftpHandlerTest, LimitsAndStatvfs) {
  Reply limits = Extended("limits@openssh.com");
  ASSERT_EQ(limits.type, sftp::kExtendedReply);
  Reader in(limits.body);
  uint64_t packet, read, write, handles;
  ASSERT_TRUE(in.U64(&packet) && in.U64(&read) && in.U64(&write) && in.U64(&handles));
  EXPECT_EQ(read, kSftpMaxData);
  EXPECT_EQ(write, kSftpMaxData);
  EXPECT_GE(packet, read + 1024);
  EXPECT_EQ(handles, kSftpMaxHandles);

  UserConfig quota = alice_;
  quota.quota_bytes = 4096 * 10;
  quota.permissions = PermissionSet::None();
  Connect(quota);
  Reply fs = Extended("statvfs@openssh.com", [](PacketWriter& w) { w.String("/"); });
  ASSERT_EQ(fs.type, sftp::kExtendedReply) << fs.message();
  Reader v(fs.body);
  uint64_t f[11];
  for (uint64_t& x : f) ASSERT_TRUE(v.U64(&x));
  EXPECT_EQ(v.remaining(), 0u);
  EXPECT_GT(f[1], 0u);                 // f_frsize
  EXPECT_LE(f[2] * f[1], 4096u * 10);  // f_blocks capped at the quota
  EXPECT_EQ(f[9] & 1, 1u);             // read-only: may not upload
  EXPECT_EQ(Extended("statvfs@openssh.com", [](PacketWriter& w) { w.String("/.."); }).status(),
            StatusCode::kPermissionDenied);
}

TEST_F(SftpHandlerTest, WhatIsNotServedIsUnsupported) {
  EXPECT_EQ(Path(sftp::kReadlink, "/x").status(), StatusCode::kOpUnsupported);
  EXPECT_EQ(Request(sftp::kSymlink, [](PacketWriter& w) { w.String("/x").String("/y"); }).status(),
            StatusCode::kOpUnsupported);
  Reply ext = Extended("hardlink@openssh.com");
  EXPECT_EQ(ext.status(), StatusCode::kOpUnsupported);
  EXPECT_NE(ext.message().find("hardlink@openssh.com"), std::string::npos);
  EXPECT_EQ(Request(77).status(), StatusCode::kOpUnsupported);
  EXPECT_EQ(Request(sftp::kStat).status(), StatusCode::kBadMessage);  // no path
}

TEST_F(SftpHandlerTest, SetstatIsAcceptedAndOpenFlagsAreChecked) {
  Put("alice/f", "abc");
  auto setstat = [&](std::string_view path) {
    sftp::Attributes a;
    a.flags = sftp::kAttrAcModTime | sftp::kAttrPermissions;
    a.mtime = 1;
    a.permissions = 0600;
    return Request(sftp::kSetstat, [&](PacketWriter& w) { w.String(path).Attrs(a); });
  };
  EXPECT_EQ(setstat("/f").status(), StatusCode::kOk);
  EXPECT_EQ(setstat("/missing").status(), StatusCode::kNoSuchFile);
  EXPECT_EQ(Open("/f", sftp::kOpenRead | sftp::kOpenWrite).status(), StatusCode::kOpUnsupported);
  EXPECT_EQ(Open("/f", sftp::kOpenWrite | sftp::kOpenAppend).status(), StatusCode::kOpUnsupported);
  EXPECT_EQ(Open("/f", kWriteNew | sftp::kOpenExclusive).status(), StatusCode::kFailure);
  EXPECT_EQ(Open("/missing", sftp::kOpenWrite).status(), StatusCode::kNoSuchFile);
  EXPECT_EQ(Open("/missing", sftp::kOpenRead).status(), StatusCode::kNoSuchFile);
  std::string h = OpenOk("/f", sftp::kOpenWrite);  // no TRUNC: the file is replaced whole
  EXPECT_EQ(
      Request(sftp::kFsetstat, [&](PacketWriter& w) { w.String(h).Attrs(sftp::Attributes{}); })
          .status(),
      StatusCode::kOk);
  EXPECT_EQ(Write(h, 0, "x").status(), StatusCode::kOk);
  EXPECT_EQ(Close(h).status(), StatusCode::kOk);
  EXPECT_EQ(Get("alice/f"), "x");
}

}  // namespace
}  // namespace wharf::ingest
