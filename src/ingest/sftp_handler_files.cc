// SFTP files: OPEN, READ, WRITE and CLOSE through FileSession uploads and downloads (see
// sftp_handler.h).
#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "ingest/sftp_handler.h"
#include "ingest/sftp_handler_internal.h"
#include "ingest/users.h"

namespace wharf::ingest {

using sftp::Attributes;
using sftp::PacketWriter;
using sftp::Reader;
using sftp::StatusCode;

namespace {

constexpr size_t kReadChunk = 256 * 1024;       // what one Download::ReadInto asks for
constexpr size_t kUploadFlush = 256 * 1024;     // bytes gathered before Upload::Write
constexpr size_t kReadKeep = 2 * 1024 * 1024;   // bytes kept behind a download for re-reads
constexpr size_t kWindowBytes = 2 * kReadKeep;  // a download's window at most
constexpr int64_t kReadSkip = 8 * 1024 * 1024;  // farthest a read may jump ahead unreopened
// A read that needs more bytes starts less than kSftpMaxData before the window's end, so the
// kReadKeep bytes kept when the window is full still hold it.
static_assert(kSftpMaxData <= kReadKeep && kReadKeep + kReadChunk <= kWindowBytes);

}  // namespace

void SftpHandler::Close() {
  for (auto& [bytes, h] : handles_) {
    if (h->upload) (void)h->upload->Finish(false);
    if (h->download) h->download->Finish(h->served_to >= h->download->meta().size);
  }
  handles_.clear();
}

void SftpHandler::Open(Reader& in, uint32_t id, std::string& out) {
  std::string_view path;
  uint32_t flags = 0;
  Attributes attrs;
  if (!in.String(&path) || !in.U32(&flags) || !in.Attrs(&attrs)) {
    return Reply(out, id, StatusCode::kBadMessage, "malformed OPEN request");
  }
  if (handles_.size() >= kSftpMaxHandles) {
    return Reply(out, id, StatusCode::kFailure,
                 fmt::format("too many open handles: a session may hold {}", kSftpMaxHandles));
  }
  bool read = flags & sftp::kOpenRead;
  bool write = flags & sftp::kOpenWrite;
  if (read && write) {
    return Reply(out, id, StatusCode::kOpUnsupported,
                 "opening a file for reading and writing at once is not supported: files are "
                 "uploaded whole, from the start, and read as stored");
  }
  if (!read && !write) {
    return Reply(out, id, StatusCode::kFailure, "OPEN without the READ or WRITE flag");
  }
  auto resolved = session_.Resolve(path);
  if (!resolved.ok()) return ReplyError(out, id, resolved.error());

  auto h = std::make_unique<HandleState>();
  h->path = resolved->path;
  if (read) {
    auto download = session_.OpenDownload(path, 0);
    if (!download.ok()) return ReplyError(out, id, download.error());
    h->kind = HandleState::Kind::kRead;
    h->download = std::move(*download);
    h->window.Reserve(static_cast<size_t>(
        std::clamp<int64_t>(h->download->meta().size, 1, static_cast<int64_t>(kWindowBytes))));
  } else {
    if (flags & sftp::kOpenAppend) {
      return Reply(out, id, StatusCode::kOpUnsupported,
                   "appending is not supported: files are uploaded whole, from the start");
    }
    // CREAT and EXCL need to know whether the file exists; a user who may not list is told
    // by the upload itself.
    if (!(flags & sftp::kOpenCreate) || (flags & sftp::kOpenExclusive)) {
      auto info = session_.Stat(path);
      bool exists = info.ok() && info->type == EntryType::kFile;
      if (!info.ok() && info.error().code != kNotFound && info.error().code != kAccessDenied) {
        return ReplyError(out, id, info.error());
      }
      if (!(flags & sftp::kOpenCreate) && !info.ok() && info.error().code == kNotFound) {
        return ReplyError(out, id, info.error());
      }
      if ((flags & sftp::kOpenExclusive) && exists) {
        return Reply(out, id, StatusCode::kFailure,
                     "a file " + resolved->path + " exists (OPEN with EXCL)");
      }
    }
    // Without TRUNC a POSIX open would keep the old bytes past those written; here the upload
    // replaces the file whole, which is what every client that writes from the start expects.
    auto upload = session_.OpenUpload(path, 0);
    if (!upload.ok()) return ReplyError(out, id, upload.error());
    h->kind = HandleState::Kind::kWrite;
    h->upload = std::move(*upload);
  }
  std::string bytes = AddHandle(std::move(h));
  PacketWriter(out, sftp::kHandle).U32(id).String(bytes);
}

void SftpHandler::Read(Reader& in, uint32_t id, std::string& out) {
  std::string_view handle_bytes;
  uint64_t offset64 = 0;
  uint32_t length = 0;
  if (!in.String(&handle_bytes) || !in.U64(&offset64) || !in.U32(&length)) {
    return Reply(out, id, StatusCode::kBadMessage, "malformed READ request");
  }
  HandleState* h = Find(handle_bytes);
  if (h == nullptr || h->kind != HandleState::Kind::kRead) {
    return Reply(out, id, StatusCode::kFailure, "READ on a handle that is not open for reading");
  }
  int64_t size = h->download->meta().size;
  if (offset64 >= static_cast<uint64_t>(size)) return Reply(out, id, StatusCode::kEof, "");
  auto offset = static_cast<int64_t>(offset64);
  int64_t want = std::min<int64_t>(std::min<uint32_t>(length, kSftpMaxData), size - offset);

  // Behind what is kept, or far ahead: read the object again from `offset`.
  int64_t kept_from = h->position - static_cast<int64_t>(h->window_size);
  if (offset < kept_from || offset > h->position + kReadSkip) {
    auto again = session_.OpenDownload(h->path, offset);
    if (!again.ok()) return ReplyError(out, id, again.error());
    h->download = std::move(*again);
    h->position = offset;
    h->window_size = 0;
  }
  while (h->position < offset + want) {
    size_t room = h->window.size() - h->window_size;
    if (room < kReadChunk && h->window_size > kReadKeep) {  // full: keep the last kReadKeep
      std::memmove(h->window.data(), h->window.data() + (h->window_size - kReadKeep), kReadKeep);
      h->window_size = kReadKeep;
      room = h->window.size() - kReadKeep;
    }
    auto got = h->download->ReadInto(h->window.data() + h->window_size, std::min(room, kReadChunk));
    if (!got.ok()) return ReplyError(out, id, got.error());
    if (*got == 0) break;  // the object ended early
    h->window_size += *got;
    h->position += static_cast<int64_t>(*got);
  }
  kept_from = h->position - static_cast<int64_t>(h->window_size);
  if (offset >= h->position) return Reply(out, id, StatusCode::kEof, "");
  int64_t n = std::min(want, h->position - offset);
  PacketWriter(out, sftp::kData)
      .U32(id)
      .String(std::string_view(h->window.data() + (offset - kept_from), static_cast<size_t>(n)));
  h->served_to = std::max(h->served_to, offset + n);
}

void SftpHandler::Write(Reader& in, uint32_t id, std::string& out) {
  std::string_view handle_bytes, data;
  uint64_t offset = 0;
  if (!in.String(&handle_bytes) || !in.U64(&offset) || !in.String(&data)) {
    return Reply(out, id, StatusCode::kBadMessage, "malformed WRITE request");
  }
  HandleState* h = Find(handle_bytes);
  if (h == nullptr || h->kind != HandleState::Kind::kWrite) {
    return Reply(out, id, StatusCode::kFailure, "WRITE on a handle that is not open for writing");
  }
  if (h->failed) return Reply(out, id, StatusCode::kFailure, h->failed->message);
  if (offset != static_cast<uint64_t>(h->next_offset)) {
    (void)h->upload->Finish(false);
    h->failed = MakeError(
        kNotSupported,
        fmt::format("write at offset {} refused: files are stored whole, so they are written "
                    "from the start and in order, and the next write had to be at offset {}; "
                    "the upload of {} is given up and nothing is stored",
                    offset, h->next_offset, h->path));
    return Reply(out, id, StatusCode::kFailure, h->failed->message);
  }
  h->next_offset += static_cast<int64_t>(data.size());
  if (h->pending.empty() && data.size() >= kUploadFlush) {
    Status wrote = h->upload->Write(data);
    if (!wrote.ok()) {
      h->failed = wrote.error();
      return ReplyError(out, id, wrote.error());
    }
    return Reply(out, id, StatusCode::kOk, "");
  }
  h->pending += data;
  if (h->pending.size() >= kUploadFlush) {
    Status wrote = h->upload->Write(h->pending);
    h->pending.clear();
    if (!wrote.ok()) {
      h->failed = wrote.error();
      return ReplyError(out, id, wrote.error());
    }
  }
  Reply(out, id, StatusCode::kOk, "");
}

void SftpHandler::CloseHandle(Reader& in, uint32_t id, std::string& out) {
  std::string_view handle_bytes;
  if (!in.String(&handle_bytes)) return Reply(out, id, StatusCode::kBadMessage, "malformed CLOSE");
  auto it = handles_.find(handle_bytes);
  if (it == handles_.end())
    return Reply(out, id, StatusCode::kFailure, "CLOSE of an unknown handle");
  std::unique_ptr<HandleState> h = std::move(it->second);
  handles_.erase(it);
  switch (h->kind) {
    case HandleState::Kind::kDirectory:
      return Reply(out, id, StatusCode::kOk, "");
    case HandleState::Kind::kRead:
      h->download->Finish(h->served_to >= h->download->meta().size);
      return Reply(out, id, StatusCode::kOk, "");
    case HandleState::Kind::kWrite: {
      if (h->failed) return Reply(out, id, StatusCode::kFailure, h->failed->message);
      if (!h->pending.empty()) {
        Status wrote = h->upload->Write(h->pending);
        if (!wrote.ok()) return ReplyError(out, id, wrote.error());
      }
      auto stored = h->upload->Finish(true);  // the upload is committed and announced here
      if (!stored.ok()) return ReplyError(out, id, stored.error());
      return Reply(out, id, StatusCode::kOk, "");
    }
  }
}

}  // namespace wharf::ingest
