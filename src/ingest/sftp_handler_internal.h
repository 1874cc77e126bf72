// What sftp_handler.cc (dispatch, folders, attributes, extensions) and sftp_handler_files.cc
// (files: open, read, write, close) share: the state of an open handle. Not for use elsewhere.
//
// Thread-safety: as SftpHandler's.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/memory.h"
#include "ingest/file_session.h"
#include "ingest/sftp_handler.h"

namespace wharf::ingest {

struct SftpHandler::HandleState {
  enum class Kind { kRead, kWrite, kDirectory };
  Kind kind = Kind::kRead;
  std::string path;  // canonical virtual path

  // kRead: the download gives the bytes from `position` on; window[0, window_size) holds the
  // bytes just before. A buffer of its own pages (PageBuffer), as big as the file up to a limit,
  // given back when the handle closes.
  std::unique_ptr<Download> download;
  int64_t position = 0;
  PageBuffer window;
  size_t window_size = 0;
  int64_t served_to = 0;  // the end of the farthest range answered

  // kWrite: bytes not yet given to the upload, and the offset the next write must have.
  std::unique_ptr<Upload> upload;
  std::string pending;
  int64_t next_offset = 0;
  std::optional<Error> failed;  // the upload is over: every later request gets this

  // kDirectory: the page being answered and the token of the next.
  std::vector<DirectoryEntry> entries;
  size_t next_entry = 0;
  std::string next_token;
};

}  // namespace wharf::ingest
