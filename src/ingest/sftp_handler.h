// SftpHandler: the SFTP version 3 requests of one session, answered through its FileSession, so
// that paths, permissions, quotas and events are the same as for every other protocol. The SSH
// connection (sftp_server.cc) feeds it the packets the client sends and writes back what it
// appends to `out`; the handler itself knows nothing of SSH, and its tests feed it packets.
//
// Requests: everything OpenSSH's client sends (INIT, REALPATH, STAT, LSTAT, FSTAT, SETSTAT,
// FSETSTAT, OPEN, READ, WRITE, CLOSE, OPENDIR, READDIR, REMOVE, MKDIR, RMDIR, RENAME) and the
// extensions posix-rename@openssh.com, statvfs@openssh.com and limits@openssh.com; anything
// else (READLINK, SYMLINK, other extensions) is answered SSH_FX_OP_UNSUPPORTED.
//
// Files: an open for reading is a FileSession download, an open for writing an upload. Objects
// are stored whole, so writes must come in order, each at the end of what was written (what every
// client does for a put); a write elsewhere is refused with SSH_FX_FAILURE and a message saying
// so, and the upload is given up. Closing a write handle commits the file (Finish(true)); a
// session that ends with a write handle open gives the upload up (Finish(false)): nothing is
// stored and "Upload Failed" is recorded. Reads may come in any order: the last 2 MiB read are
// kept for re-requests, a read up to 8 MiB ahead skips forward, and anything else reopens the
// object at that offset. SETSTAT and FSETSTAT accept and ignore what they are given (times,
// modes): the store keeps neither.
//
// Errors: kNotFound -> SSH_FX_NO_SUCH_FILE; kAccessDenied and kInvalidPath (an escape above "/",
// a bad name) -> SSH_FX_PERMISSION_DENIED; kNotSupported -> SSH_FX_OP_UNSUPPORTED; everything
// else -> SSH_FX_FAILURE. Every status carries the FileSession's message.
//
// Thread-safety: one connection's thread uses a handler, like its FileSession.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "ingest/file_session.h"
#include "ingest/sftp_protocol.h"

namespace wharf::ingest {

// Sizes of the protocol, as announced by limits@openssh.com: OpenSSH's client then moves
// kSftpMaxData bytes per READ and WRITE (its own cap is 256 KiB - 1 KiB).
inline constexpr uint32_t kSftpMaxPacket = 256 * 1024 + 4096;  // what the server accepts
inline constexpr uint32_t kSftpMaxData = 256 * 1024 - 1024;
inline constexpr uint32_t kSftpMaxHandles = 256;

struct SftpHandlerOptions {
  // The folder whose file system statvfs@openssh.com reports (the data folder); "": it reports
  // no space (zeros), with only the user's quota if there is one.
  std::string statvfs_path;
};

class SftpHandler {
 public:
  // REQUIRES: `session` outlives the handler.
  SftpHandler(FileSession& session, SftpHandlerOptions options = {});
  ~SftpHandler();  // Close()

  // Answers one packet (its type and fields, as NextPacket returns it), appending the reply to
  // `out`. An error means the client broke the protocol (a request before INIT, a packet too
  // short to hold its request id) and the connection must end.
  Status Handle(std::string_view packet, std::string& out);

  // Gives up the uploads still open and ends the downloads (the session is over).
  void Close();

  size_t open_handles() const { return handles_.size(); }

  struct HandleState;  // an open file or folder (sftp_handler.cc)

 private:
  void Reply(std::string& out, uint32_t id, sftp::StatusCode code, std::string_view message);
  void ReplyError(std::string& out, uint32_t id, const Error& error);
  HandleState* Find(std::string_view handle_bytes);
  std::string AddHandle(std::unique_ptr<HandleState> handle);

  void Open(sftp::Reader& in, uint32_t id, std::string& out);
  void Read(sftp::Reader& in, uint32_t id, std::string& out);
  void Write(sftp::Reader& in, uint32_t id, std::string& out);
  void CloseHandle(sftp::Reader& in, uint32_t id, std::string& out);
  void OpenDir(sftp::Reader& in, uint32_t id, std::string& out);
  void ReadDir(sftp::Reader& in, uint32_t id, std::string& out);
  void StatPath(sftp::Reader& in, uint32_t id, std::string& out);
  void StatHandle(sftp::Reader& in, uint32_t id, std::string& out);
  void SetStat(sftp::Reader& in, uint32_t id, bool by_handle, std::string& out);
  void RealPath(sftp::Reader& in, uint32_t id, std::string& out);
  void Extended(sftp::Reader& in, uint32_t id, std::string& out);
  void Statvfs(std::string_view path, uint32_t id, std::string& out);

  sftp::Attributes AttributesOf(const FileInfo& info) const;

  FileSession& session_;
  SftpHandlerOptions options_;
  bool initialized_ = false;
  uint32_t next_handle_ = 1;
  std::map<std::string, std::unique_ptr<HandleState>, std::less<>> handles_;
};

}  // namespace wharf::ingest
