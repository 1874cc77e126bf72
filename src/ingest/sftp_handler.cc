// SFTP v3 requests answered through a FileSession (see sftp_handler.h).
#include "ingest/sftp_handler.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "ingest/sftp_handler_internal.h"
#include "ingest/users.h"

namespace wharf::ingest {

using sftp::Attributes;
using sftp::PacketWriter;
using sftp::Reader;
using sftp::StatusCode;

namespace {

constexpr size_t kNamesPerReply = 100;  // entries in one READDIR answer

uint32_t UnixSeconds(TimePoint t) {
  int64_t s = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  return static_cast<uint32_t>(std::clamp<int64_t>(s, 0, std::numeric_limits<uint32_t>::max()));
}

uint32_t NowSeconds() { return UnixSeconds(std::chrono::system_clock::now()); }

const char* TypeName(uint8_t type) {
  switch (type) {
    case sftp::kOpen:
      return "OPEN";
    case sftp::kClose:
      return "CLOSE";
    case sftp::kRead:
      return "READ";
    case sftp::kWrite:
      return "WRITE";
    case sftp::kLstat:
      return "LSTAT";
    case sftp::kFstat:
      return "FSTAT";
    case sftp::kSetstat:
      return "SETSTAT";
    case sftp::kFsetstat:
      return "FSETSTAT";
    case sftp::kOpendir:
      return "OPENDIR";
    case sftp::kReaddir:
      return "READDIR";
    case sftp::kRemove:
      return "REMOVE";
    case sftp::kMkdir:
      return "MKDIR";
    case sftp::kRmdir:
      return "RMDIR";
    case sftp::kRealpath:
      return "REALPATH";
    case sftp::kStat:
      return "STAT";
    case sftp::kRename:
      return "RENAME";
    case sftp::kReadlink:
      return "READLINK";
    case sftp::kSymlink:
      return "SYMLINK";
    case sftp::kExtended:
      return "EXTENDED";
    default:
      return "unknown";
  }
}

}  // namespace

SftpHandler::SftpHandler(FileSession& session, SftpHandlerOptions options)
    : session_(session), options_(std::move(options)) {}

SftpHandler::~SftpHandler() { Close(); }

// --- replies -------------------------------------------------------------------------------

void SftpHandler::Reply(std::string& out, uint32_t id, StatusCode code, std::string_view message) {
  PacketWriter(out, sftp::kStatus)
      .U32(id)
      .U32(static_cast<uint32_t>(code))
      .String(message)
      .String("en");
}

void SftpHandler::ReplyError(std::string& out, uint32_t id, const Error& error) {
  StatusCode code = StatusCode::kFailure;
  if (error.code == kNotFound) {
    code = StatusCode::kNoSuchFile;
  } else if (error.code == kAccessDenied || error.code == kInvalidPath) {
    code = StatusCode::kPermissionDenied;
  } else if (error.code == kNotSupported) {
    code = StatusCode::kOpUnsupported;
  }
  Reply(out, id, code, error.message);
}

Attributes SftpHandler::AttributesOf(const FileInfo& info) const {
  const PermissionSet& p = session_.user().permissions;
  Attributes a;
  a.flags = sftp::kAttrSize | sftp::kAttrUidGid | sftp::kAttrPermissions | sftp::kAttrAcModTime;
  if (info.type == EntryType::kDirectory) {
    bool writable = p.Has(Permission::kUpload) || p.Has(Permission::kMkdir);
    a.permissions = sftp::kModeDirectory | (writable ? 0755 : 0555);
  } else {
    a.permissions = sftp::kModeRegular | (p.Has(Permission::kUpload) ? 0644 : 0444);
    a.size = static_cast<uint64_t>(info.size);
  }
  a.mtime = info.modified == TimePoint{} ? NowSeconds() : UnixSeconds(info.modified);
  a.atime = a.mtime;
  return a;
}

SftpHandler::HandleState* SftpHandler::Find(std::string_view handle_bytes) {
  auto it = handles_.find(handle_bytes);
  return it == handles_.end() ? nullptr : it->second.get();
}

std::string SftpHandler::AddHandle(std::unique_ptr<HandleState> handle) {
  uint32_t n = next_handle_++;
  std::string bytes;
  for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<char>(n >> (24 - 8 * i)));
  handles_[bytes] = std::move(handle);
  return bytes;
}

// --- dispatch ------------------------------------------------------------------------------

Status SftpHandler::Handle(std::string_view packet, std::string& out) {
  Reader in(packet);
  uint8_t type = 0;
  if (!in.U8(&type)) return MakeError("ProtocolError", "an empty SFTP packet");
  if (type == sftp::kInit) {
    if (initialized_) return MakeError("ProtocolError", "a second SFTP INIT");
    uint32_t version = 0;
    if (!in.U32(&version)) return MakeError("ProtocolError", "an SFTP INIT without a version");
    initialized_ = true;
    // Version 3 whatever the client offers (OpenSSH offers 3; later versions are not served).
    PacketWriter(out, sftp::kVersion)
        .U32(3)
        .String(sftp::kPosixRename)
        .String("1")
        .String(sftp::kStatvfs)
        .String("2")
        .String(sftp::kLimits)
        .String("1");
    return {};
  }
  if (!initialized_) {
    return MakeError("ProtocolError",
                     fmt::format("SFTP request type {} before INIT", static_cast<int>(type)));
  }
  uint32_t id = 0;
  if (!in.U32(&id)) {
    return MakeError("ProtocolError",
                     fmt::format("an SFTP {} request without a request id", TypeName(type)));
  }

  auto bad = [&] {
    Reply(out, id, StatusCode::kBadMessage,
          fmt::format("malformed {} request: a field is missing or too long", TypeName(type)));
  };
  auto path_op = [&](auto op) {
    std::string_view path;
    if (!in.String(&path)) return bad();
    Status done = op(path);
    if (done.ok()) return Reply(out, id, StatusCode::kOk, "");
    ReplyError(out, id, done.error());
  };

  switch (type) {
    case sftp::kOpen:
      Open(in, id, out);
      break;
    case sftp::kClose:
      CloseHandle(in, id, out);
      break;
    case sftp::kRead:
      Read(in, id, out);
      break;
    case sftp::kWrite:
      Write(in, id, out);
      break;
    case sftp::kLstat:
    case sftp::kStat:
      StatPath(in, id, out);
      break;
    case sftp::kFstat:
      StatHandle(in, id, out);
      break;
    case sftp::kSetstat:
      SetStat(in, id, /*by_handle=*/false, out);
      break;
    case sftp::kFsetstat:
      SetStat(in, id, /*by_handle=*/true, out);
      break;
    case sftp::kOpendir:
      OpenDir(in, id, out);
      break;
    case sftp::kReaddir:
      ReadDir(in, id, out);
      break;
    case sftp::kRemove:
      path_op([&](std::string_view p) { return session_.Remove(p); });
      break;
    case sftp::kMkdir:  // the attributes (a mode) are ignored: the store keeps none
      path_op([&](std::string_view p) { return session_.MakeDirectory(p); });
      break;
    case sftp::kRmdir:
      path_op([&](std::string_view p) { return session_.RemoveDirectory(p); });
      break;
    case sftp::kRealpath:
      RealPath(in, id, out);
      break;
    case sftp::kRename: {
      std::string_view from, to;
      if (!in.String(&from) || !in.String(&to)) {
        bad();
        break;
      }
      // SFTP v3 rename fails when the target exists (draft-02 §6.5).
      Status done = session_.Rename(from, to, /*replace=*/false);
      if (done.ok()) {
        Reply(out, id, StatusCode::kOk, "");
      } else {
        ReplyError(out, id, done.error());
      }
      break;
    }
    case sftp::kExtended:
      Extended(in, id, out);
      break;
    case sftp::kReadlink:
    case sftp::kSymlink:
      Reply(out, id, StatusCode::kOpUnsupported,
            "the store has no symbolic links: READLINK and SYMLINK are not supported");
      break;
    default:
      Reply(out, id, StatusCode::kOpUnsupported,
            fmt::format("SFTP request type {} is not supported", static_cast<int>(type)));
  }
  return {};
}

// --- folders and attributes ----------------------------------------------------------------

void SftpHandler::OpenDir(Reader& in, uint32_t id, std::string& out) {
  std::string_view path;
  if (!in.String(&path)) return Reply(out, id, StatusCode::kBadMessage, "malformed OPENDIR");
  if (handles_.size() >= kSftpMaxHandles) {
    return Reply(out, id, StatusCode::kFailure,
                 fmt::format("too many open handles: a session may hold {}", kSftpMaxHandles));
  }
  auto resolved = session_.Resolve(path);
  if (!resolved.ok()) return ReplyError(out, id, resolved.error());
  auto page = session_.List(path);
  if (!page.ok()) return ReplyError(out, id, page.error());
  auto h = std::make_unique<HandleState>();
  h->kind = HandleState::Kind::kDirectory;
  h->path = resolved->path;
  h->entries = std::move(page->entries);
  h->next_token = std::move(page->next_token);
  std::string bytes = AddHandle(std::move(h));
  PacketWriter(out, sftp::kHandle).U32(id).String(bytes);
}

void SftpHandler::ReadDir(Reader& in, uint32_t id, std::string& out) {
  std::string_view handle_bytes;
  if (!in.String(&handle_bytes))
    return Reply(out, id, StatusCode::kBadMessage, "malformed READDIR");
  HandleState* h = Find(handle_bytes);
  if (h == nullptr || h->kind != HandleState::Kind::kDirectory) {
    return Reply(out, id, StatusCode::kFailure, "READDIR on a handle that is not a folder");
  }
  while (h->next_entry >= h->entries.size()) {
    if (h->next_token.empty()) return Reply(out, id, StatusCode::kEof, "");
    auto page = session_.List(h->path, h->next_token);
    if (!page.ok()) return ReplyError(out, id, page.error());
    h->entries = std::move(page->entries);
    h->next_entry = 0;
    h->next_token = std::move(page->next_token);
  }
  size_t count = std::min(kNamesPerReply, h->entries.size() - h->next_entry);
  int64_t now = NowSeconds();
  PacketWriter reply(out, sftp::kName);
  reply.U32(id).U32(static_cast<uint32_t>(count));
  for (size_t i = 0; i < count; ++i) {
    const DirectoryEntry& e = h->entries[h->next_entry++];
    FileInfo info;
    info.type = e.type;
    if (e.type == EntryType::kFile) {
      info.size = e.meta.size;
      info.modified = e.meta.last_modified;
    }
    Attributes a = AttributesOf(info);
    reply.String(e.name).String(sftp::LongName(e.name, a, session_.user().name, now)).Attrs(a);
  }
}

void SftpHandler::StatPath(Reader& in, uint32_t id, std::string& out) {
  std::string_view path;
  if (!in.String(&path)) return Reply(out, id, StatusCode::kBadMessage, "malformed STAT");
  auto info = session_.Stat(path);
  if (!info.ok()) return ReplyError(out, id, info.error());
  PacketWriter(out, sftp::kAttrs).U32(id).Attrs(AttributesOf(*info));
}

void SftpHandler::StatHandle(Reader& in, uint32_t id, std::string& out) {
  std::string_view handle_bytes;
  if (!in.String(&handle_bytes)) return Reply(out, id, StatusCode::kBadMessage, "malformed FSTAT");
  HandleState* h = Find(handle_bytes);
  if (h == nullptr) return Reply(out, id, StatusCode::kFailure, "FSTAT of an unknown handle");
  FileInfo info;
  switch (h->kind) {
    case HandleState::Kind::kRead:
      info.size = h->download->meta().size;
      info.modified = h->download->meta().last_modified;
      break;
    case HandleState::Kind::kWrite:
      info.size = h->next_offset;  // what the upload holds so far
      break;
    case HandleState::Kind::kDirectory:
      info.type = EntryType::kDirectory;
      break;
  }
  PacketWriter(out, sftp::kAttrs).U32(id).Attrs(AttributesOf(info));
}

// Times and modes are accepted and ignored: the store keeps neither (a client that preserves
// times with `put -p` must not fail for it).
void SftpHandler::SetStat(Reader& in, uint32_t id, bool by_handle, std::string& out) {
  std::string_view target;
  Attributes attrs;
  if (!in.String(&target) || !in.Attrs(&attrs)) {
    return Reply(out, id, StatusCode::kBadMessage, "malformed SETSTAT");
  }
  if (by_handle) {
    if (Find(target) == nullptr) {
      return Reply(out, id, StatusCode::kFailure, "FSETSTAT of an unknown handle");
    }
    return Reply(out, id, StatusCode::kOk, "");
  }
  auto info = session_.Stat(target);
  if (!info.ok() && info.error().code != kAccessDenied) return ReplyError(out, id, info.error());
  Reply(out, id, StatusCode::kOk, "");
}

void SftpHandler::RealPath(Reader& in, uint32_t id, std::string& out) {
  std::string_view path;
  if (!in.String(&path)) return Reply(out, id, StatusCode::kBadMessage, "malformed REALPATH");
  // Canonical, whether or not it exists (OpenSSH's client checks with STAT where it matters).
  auto resolved = session_.Resolve(path);
  if (!resolved.ok()) return ReplyError(out, id, resolved.error());
  PacketWriter(out, sftp::kName)
      .U32(id)
      .U32(1)
      .String(resolved->path)
      .String(resolved->path)
      .Attrs(Attributes{});
}

// --- extensions ----------------------------------------------------------------------------

void SftpHandler::Extended(Reader& in, uint32_t id, std::string& out) {
  std::string_view name;
  if (!in.String(&name)) return Reply(out, id, StatusCode::kBadMessage, "malformed EXTENDED");
  if (name == sftp::kPosixRename) {
    std::string_view from, to;
    if (!in.String(&from) || !in.String(&to)) {
      return Reply(out, id, StatusCode::kBadMessage, "malformed posix-rename@openssh.com");
    }
    Status done = session_.Rename(from, to, /*replace=*/true);
    if (!done.ok()) return ReplyError(out, id, done.error());
    return Reply(out, id, StatusCode::kOk, "");
  }
  if (name == sftp::kStatvfs) {
    std::string_view path;
    if (!in.String(&path)) {
      return Reply(out, id, StatusCode::kBadMessage, "malformed statvfs@openssh.com");
    }
    return Statvfs(path, id, out);
  }
  if (name == sftp::kLimits) {
    PacketWriter(out, sftp::kExtendedReply)
        .U32(id)
        .U64(kSftpMaxPacket)
        .U64(kSftpMaxData)
        .U64(kSftpMaxData)
        .U64(kSftpMaxHandles);
    return;
  }
  Reply(out, id, StatusCode::kOpUnsupported,
        fmt::format("the SFTP extension \"{}\" is not supported", name));
}

// statvfs@openssh.com (OpenSSH's PROTOCOL §4.4), what `df` shows: the file system of the data
// folder, capped at the user's byte and file quotas; read-only for a user who may not upload.
void SftpHandler::Statvfs(std::string_view path, uint32_t id, std::string& out) {
  auto resolved = session_.Resolve(path);
  if (!resolved.ok()) return ReplyError(out, id, resolved.error());
  uint64_t block = 4096, blocks = 0, free_blocks = 0, files = 0, free_files = 0, fsid = 0;
  struct statvfs fs {};
  if (!options_.statvfs_path.empty() && ::statvfs(options_.statvfs_path.c_str(), &fs) == 0) {
    block = fs.f_frsize ? fs.f_frsize : 4096;
    blocks = fs.f_blocks;
    free_blocks = fs.f_bavail;
    files = fs.f_files;
    free_files = fs.f_favail;
    fsid = fs.f_fsid;
  }
  const UserConfig& user = session_.user();
  if (user.quota_bytes) {
    uint64_t quota_blocks = static_cast<uint64_t>(*user.quota_bytes) / block;
    blocks = blocks ? std::min(blocks, quota_blocks) : quota_blocks;
    free_blocks = free_blocks ? std::min(free_blocks, quota_blocks) : quota_blocks;
  }
  if (user.quota_files) {
    auto quota = static_cast<uint64_t>(*user.quota_files);
    files = files ? std::min(files, quota) : quota;
    free_files = free_files ? std::min(free_files, quota) : quota;
  }
  constexpr uint64_t kReadOnly = 0x1, kNoSuid = 0x2;
  uint64_t flags = kNoSuid | (user.permissions.Has(Permission::kUpload) ? 0 : kReadOnly);
  PacketWriter(out, sftp::kExtendedReply)
      .U32(id)
      .U64(block)        // f_bsize
      .U64(block)        // f_frsize
      .U64(blocks)       // f_blocks
      .U64(free_blocks)  // f_bfree
      .U64(free_blocks)  // f_bavail
      .U64(files)        // f_files
      .U64(free_files)   // f_ffree
      .U64(free_files)   // f_favail
      .U64(fsid)         // f_fsid
      .U64(flags)        // f_flag
      .U64(255);         // f_namemax: one segment
}

}  // namespace wharf::ingest
