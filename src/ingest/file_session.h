// FileSession: one logged-in user's view of the landing store, shared by the SFTP and FTP
// servers so that both behave the same: paths resolve inside the user's home (vpath.h), every
// operation checks the user's permissions and quotas (users.h), and every change commits its
// Transfer Family and S3 events with it, in the object store's transaction (transfer_events.h).
//
// Uploads: OpenUpload returns an Upload that streams into the store. Finish(true) commits the
// object with "<PROTOCOL> Server File Upload Completed" and S3 "Object Created"; Finish(false), or
// destroying the Upload unfinished (the connection was cut), stores nothing and records
// "<PROTOCOL> Server File Upload Failed" with failure-code PARTIAL_UPLOAD. An upload past the
// user's max_file_size or quota fails at the write that crosses it (kFileTooLarge,
// kQuotaExceeded) and leaves nothing.
//
// Events: every change commits, in the store's transaction that makes it, the Transfer Family
// event and the S3 events S3 would emit for the same change on an S3-backed Transfer Family server:
// an upload and a mkdir (its folder marker) "Object Created" (PutObject); a delete and an rmdir
// "Object Deleted"; a rename "Object Created" (CopyObject) for the new key and "Object Deleted" for
// the old one. An operation that fails after its path resolved (refused, missing, storage failure),
// and every download, record their Transfer Family event alone, with no object change (the store's
// CommitEvents). A path that does not
// resolve (kInvalidPath: an escape, bad UTF-8) names no file, and records no event.
//
// Folders (vpath.h): mkdir writes the folder's marker; it needs no parent folder (an S3-backed
// Transfer Family server needs none either, and neither does an upload), but no ancestor of a new
// file or folder may be a file (kNotDirectory). rmdir removes the marker of an empty folder. A
// rename moves one file, or an empty folder (its marker, in one step); a folder that holds
// anything is refused with kNotSupported, since the store has no folders to move, only keys, and
// moving them one by one would be neither atomic nor cheap.
//
// Quotas: the home's usage is counted by listing it (folder markers are not files). A session
// counts it when an upload starts, reuses the count for a second, and adds its own uploads to it;
// only users with a quota pay for the listing. Each upload is checked against the count taken when
// it started, so uploads running at the same time (in one session or several) may together pass
// the quota by what they upload meanwhile.
//
// Errors carry codes the servers map to protocol answers: kInvalidPath (vpath.h), kAccessDenied,
// kQuotaExceeded, kFileTooLarge (users.h), kNotFound, kExists, kNotEmpty, kIsDirectory,
// kNotDirectory, kNotSupported (below), objects::errc::kStorageFailure.
//
// Thread-safety: a FileSession and its Uploads/Downloads are used by one connection's thread at a
// time; many sessions may share one store. Uploads and Downloads may outlive their session (not
// the store or the user).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/project.h"
#include "core/result.h"
#include "ingest/vpath.h"
#include "objects/object_store.h"

namespace wharf::ingest {

inline constexpr char kNotFound[] = "NotFound";
inline constexpr char kExists[] = "AlreadyExists";
inline constexpr char kNotEmpty[] = "DirectoryNotEmpty";
inline constexpr char kIsDirectory[] = "IsADirectory";
inline constexpr char kNotDirectory[] = "NotADirectory";
// A folder that holds anything renamed; an upload or download at an offset the store cannot
// honour (objects are written whole).
inline constexpr char kNotSupported[] = "NotSupported";
// Upload::Finish(false): the upload was given up and nothing was stored.
inline constexpr char kUploadAborted[] = "UploadAborted";

// Who is connected, and how: what the events report.
struct SessionInfo {
  FileProtocol protocol = FileProtocol::kSftp;
  std::string server_id;   // "s-" + 17 hex digits, stable per server (Transfer Family's form)
  std::string session_id;  // unique per connection
  std::string client_ip;
  std::string bucket = "wharf-landing";  // the name S3 events and file paths report
  std::string region = "us-east-1";
  std::string account = "111111111111";
  const Clock* clock = nullptr;  // event times; nullptr: the system clock
};

struct FileInfo {
  VirtualPath path;
  EntryType type = EntryType::kFile;
  int64_t size = 0;  // files
  TimePoint modified;
};

class Upload {
 public:
  virtual ~Upload() = default;
  // Refused, and the upload failed and dropped, when the bytes would cross max_file_size or the
  // quota (kFileTooLarge, kQuotaExceeded). After a failed Write the upload is over: Finish
  // returns that error.
  virtual Status Write(std::string_view bytes) = 0;
  // Ends the writing and makes the bytes durable, not yet visible (ObjectWriter::Seal): what a
  // server does before it tells the client the upload succeeded, when it commits only once it
  // knows the client got that answer (plain FTP). Write after Seal is refused (kInvalidArgument)
  // and changes nothing. After a failed Seal the upload is over, failed and recorded as Write's
  // failures are; Finish returns that error. Finish(true) seals an upload that is not sealed.
  virtual Status Seal() = 0;
  // ok=false: the client gave up or the transfer broke (kUploadAborted). Returns the stored
  // object when ok. An Upload is finished after Finish, whatever it returned.
  virtual Result<objects::ObjectMeta> Finish(bool ok) = 0;
  virtual int64_t written() const = 0;
  virtual const VirtualPath& path() const = 0;
  // The file as Stat will show it once Finish(true) stores it: its path, the bytes written, and
  // its time, fixed now (ObjectWriter::FixModified). For a server that answers a question about a
  // sealed upload before it commits it (plain FTP, docs/ftp.md).
  virtual FileInfo Stored() = 0;
};

class Download {
 public:
  virtual ~Download() = default;
  // Reads into `into`: the bytes read, fewer than `max` only at the end, 0 past it.
  virtual Result<size_t> ReadInto(char* into, size_t max) = 0;
  // Records "<PROTOCOL> Server File Download Completed" (or Failed, PARTIAL_DOWNLOAD, when !ok)
  // with the bytes read. Destroyed unfinished, a Download records Completed when it was read to
  // the end and Failed otherwise.
  virtual void Finish(bool ok) = 0;
  virtual const objects::ObjectMeta& meta() const = 0;
};

class FileSession {
 public:
  // REQUIRES: `store` and `user` outlive the session.
  FileSession(objects::ObjectStore& store, const UserConfig& user, SessionInfo info);

  const UserConfig& user() const { return user_; }
  const SessionInfo& info() const { return info_; }
  const std::string& cwd() const { return cwd_; }  // canonical virtual path, "/" at login

  Result<VirtualPath> Resolve(std::string_view client_path) const;
  Status ChangeDirectory(std::string_view client_path);  // kNotFound / kNotDirectory
  Result<FileInfo> Stat(std::string_view client_path);   // needs kList
  // Stat of the file `upload` (one of this session's) is writing, without the store: what Stat
  // will say once the upload commits (Upload::Stored). nullopt when `client_path` names another
  // file. Needs kList.
  Result<std::optional<FileInfo>> StatUpload(Upload& upload, std::string_view client_path);
  // One page of a folder (needs kList); `token` "" for the first.
  Result<DirectoryPage> List(std::string_view client_path, const std::string& token = "");
  Status MakeDirectory(std::string_view client_path);  // kMkdir; kExists, kNotDirectory
  // kDelete; kNotFound, kNotDirectory, kNotEmpty; the home itself: kAccessDenied.
  Status RemoveDirectory(std::string_view client_path);
  Status Remove(std::string_view client_path);  // kDelete; kNotFound, kIsDirectory
  // kRename. `replace` false: kExists when the target exists (SFTP v3 rename); true: POSIX
  // rename semantics (posix-rename@openssh.com, FTP RNTO), which also needs kDelete when a file
  // is replaced. A file onto a folder: kIsDirectory; a folder onto anything: kExists; a folder
  // that is not empty: kNotSupported; the home itself: kAccessDenied. Renaming a path onto itself
  // succeeds and changes nothing (no event).
  Status Rename(std::string_view from, std::string_view to, bool replace);
  // kUpload (and kDelete when it replaces an existing file). `offset` > 0 (FTP REST + STOR,
  // SFTP writes past the start) is refused with kNotSupported: objects are written whole.
  Result<std::unique_ptr<Upload>> OpenUpload(std::string_view client_path, int64_t offset = 0);
  // kRead. `offset`: where the client resumes (FTP REST, SFTP read offsets); at or past the end,
  // the download reads nothing.
  Result<std::unique_ptr<Download>> OpenDownload(std::string_view client_path, int64_t offset = 0);

  struct Shared;  // what a session shares with its uploads and downloads (file_session_internal.h)

 private:
  objects::ObjectStore& store_;
  const UserConfig& user_;
  SessionInfo info_;
  std::string cwd_ = "/";
  std::shared_ptr<Shared> shared_;
};

}  // namespace wharf::ingest
