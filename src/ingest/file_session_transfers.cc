// FileSession's uploads and downloads (see file_session.h): streamed into and out of the store,
// checked against the user's size limit and quota at every write, and announced with their
// Transfer Family and S3 events.
#include <algorithm>

#include "ingest/file_session.h"
#include "ingest/file_session_internal.h"
#include "ingest/users.h"

namespace wharf::ingest {
namespace {

Error Err(const char* code, std::string message) { return MakeError(code, std::move(message)); }

class UploadImpl final : public Upload {
 public:
  UploadImpl(std::shared_ptr<FileSession::Shared> shared, std::unique_ptr<objects::ObjectWriter> w,
             TransferRecord record, VirtualPath path, HomeUsage usage,
             std::optional<int64_t> replaced)
      : shared_(std::move(shared)),
        writer_(std::move(w)),
        record_(std::move(record)),
        path_(std::move(path)),
        usage_(usage),
        replaced_(replaced) {}

  ~UploadImpl() override {
    if (!finished_) (void)Finish(false);
  }

  Status Write(std::string_view bytes) override {
    if (finished_) {
      if (failure_) return *failure_;
      return Err(objects::errc::kInvalidArgument, "the upload of " + path_.path + " is over");
    }
    if (sealed_) {
      // Refused, and the sealed upload stays as it is.
      return Err(objects::errc::kInvalidArgument,
                 "the upload of " + path_.path + " is sealed: no more bytes can be written");
    }
    int64_t after = written_ + static_cast<int64_t>(bytes.size());
    // Refused before the bytes are written: nothing past the limit is ever stored.
    Status allowed = Users::CheckUpload(shared_->user, usage_, after, replaced_);
    if (!allowed.ok()) return Drop(allowed.error());
    Status wrote = writer_->Write(bytes);
    if (!wrote.ok()) return Drop(wrote.error());
    written_ = after;
    return {};
  }

  Status Seal() override {
    if (finished_) {
      if (failure_) return *failure_;
      return Err(objects::errc::kInvalidArgument, "the upload of " + path_.path + " is over");
    }
    Status sealed = writer_->Seal();
    if (!sealed.ok()) return Drop(sealed.error());
    sealed_ = true;
    return {};
  }

  Result<objects::ObjectMeta> Finish(bool ok) override {
    if (finished_) {
      if (failure_) return *failure_;
      return Err(objects::errc::kInvalidArgument,
                 "the upload of " + path_.path + " is already finished");
    }
    if (!ok) {
      Error given_up =
          Err(kUploadAborted, "the upload of " + path_.path + " was given up after " +
                                  std::to_string(written_) + " bytes; nothing was stored");
      record_.failure_message = "File was partially uploaded.";
      return Drop(std::move(given_up), kPartialUpload);
    }
    finished_ = true;
    FileSession::Shared& s = *shared_;
    TransferRecord record = record_;
    auto stored = writer_->Commit([&s, record](const objects::ObjectMeta& m) {
      TimePoint now = s.Now();
      TransferRecord done = record;
      done.end = now;
      done.bytes = m.size;
      done.etag = m.etag;
      return std::vector<objects::ObjectEvent>{s.Created(m, CreateReason::kPutObject, now),
                                               s.Transfer(done)};
    });
    if (!stored.ok()) {
      record_.bytes = written_;
      failure_ = s.Fail(record_, stored.error());
      return *failure_;
    }
    // The session's count of the home, if it has one, grows by what this upload added.
    if (s.usage) {
      s.usage->bytes += stored->size - replaced_.value_or(0);
      if (!replaced_) ++s.usage->files;
    }
    return stored;
  }

  int64_t written() const override { return written_; }

  const VirtualPath& path() const override { return path_; }

  FileInfo Stored() override {
    FileInfo info;
    info.path = path_;
    info.size = written_;
    info.modified = writer_->FixModified();
    return info;
  }

 private:
  // Ends the upload without storing anything and records it as failed.
  Error Drop(Error error, const char* failure_code = kUnknownError) {
    finished_ = true;
    writer_->Abort();
    record_.bytes = written_;
    failure_ = shared_->Fail(record_, std::move(error), failure_code);
    return *failure_;
  }

  std::shared_ptr<FileSession::Shared> shared_;
  std::unique_ptr<objects::ObjectWriter> writer_;
  TransferRecord record_;
  VirtualPath path_;
  HomeUsage usage_;
  std::optional<int64_t> replaced_;  // the size of the file this upload replaces
  int64_t written_ = 0;
  bool finished_ = false;
  bool sealed_ = false;
  std::optional<Error> failure_;
};

class DownloadImpl final : public Download {
 public:
  DownloadImpl(std::shared_ptr<FileSession::Shared> shared,
               std::unique_ptr<objects::ObjectReader> reader, objects::ObjectMeta meta,
               TransferRecord record)
      : shared_(std::move(shared)),
        reader_(std::move(reader)),
        meta_(std::move(meta)),
        record_(std::move(record)) {
    at_end_ = reader_ == nullptr;
  }

  ~DownloadImpl() override {
    if (!finished_) Finish(at_end_);
  }

  Result<size_t> ReadInto(char* into, size_t max) override {
    if (finished_) {
      return Err(objects::errc::kInvalidArgument,
                 "the download of " + record_.path + " is already finished");
    }
    if (at_end_ || max == 0) return size_t{0};
    WHARF_TRY(size_t got, reader_->ReadInto(into, max));
    if (got == 0) at_end_ = true;
    sent_ += static_cast<int64_t>(got);
    return got;
  }

  void Finish(bool ok) override {
    if (finished_) return;
    finished_ = true;
    reader_.reset();
    record_.bytes = sent_;
    record_.etag = meta_.etag;
    if (ok) {
      record_.end = shared_->Now();
      (void)shared_->RecordAlone(record_);
      return;
    }
    record_.failure_message = "File was partially downloaded.";
    (void)shared_->Fail(record_, Err(kPartialDownload, record_.failure_message), kPartialDownload);
  }

  const objects::ObjectMeta& meta() const override { return meta_; }

 private:
  std::shared_ptr<FileSession::Shared> shared_;
  std::unique_ptr<objects::ObjectReader> reader_;  // nullptr: nothing to read
  objects::ObjectMeta meta_;
  TransferRecord record_;
  int64_t sent_ = 0;
  bool at_end_ = false;
  bool finished_ = false;
};

}  // namespace

Result<std::unique_ptr<Upload>> FileSession::OpenUpload(std::string_view client_path,
                                                        int64_t offset) {
  WHARF_TRY(VirtualPath path, Resolve(client_path));
  Shared& s = *shared_;
  TransferRecord record = s.Record(TransferAction::kUpload, s.PathOf(path.key), s.Now());
  if (Status ok = Users::Require(user_, Permission::kUpload, path.path); !ok.ok())
    return s.Fail(record, ok.error());
  if (offset != 0) {
    return s.Fail(record, Err(kNotSupported, "cannot write " + path.path + " from offset " +
                                                 std::to_string(offset) +
                                                 ": files are uploaded whole, from the start"));
  }
  if (path.is_root()) return s.Fail(record, Err(kIsDirectory, "/ is a folder"));

  // What the upload replaces: a file (which needs kDelete too), or a folder (refused).
  std::optional<int64_t> replaced;
  auto head = store_.Head(path.key);
  if (head.ok()) {
    if (Status ok = Users::Require(user_, Permission::kDelete, path.path); !ok.ok())
      return s.Fail(record, ok.error());
    replaced = head->size;
  } else if (head.error().code != objects::errc::kNoSuchKey) {
    return s.Fail(record, head.error());
  } else {
    // Not a file (the Head above): a folder only if keys lie under it.
    auto folder = IsFolder(store_, path);
    if (!folder.ok()) return s.Fail(record, folder.error());
    if (*folder) return s.Fail(record, Err(kIsDirectory, path.path + " is a folder"));
  }
  if (Status ok = internal::CheckAncestors(store_, path); !ok.ok())
    return s.Fail(record, ok.error());

  auto usage = s.Usage();
  if (!usage.ok()) return s.Fail(record, usage.error());
  if (Status ok = Users::CheckUpload(user_, *usage, 0, replaced); !ok.ok())
    return s.Fail(record, ok.error());

  objects::ObjectMeta meta;
  meta.key = path.key;
  meta.uploaded_by = user_.name;
  meta.protocol = TransferProtocolName(info_.protocol);
  auto writer = store_.Put(meta);
  if (!writer.ok()) return s.Fail(record, writer.error());
  return std::unique_ptr<Upload>(std::make_unique<UploadImpl>(
      shared_, std::move(*writer), std::move(record), path, *usage, replaced));
}

Result<std::unique_ptr<Download>> FileSession::OpenDownload(std::string_view client_path,
                                                            int64_t offset) {
  WHARF_TRY(VirtualPath path, Resolve(client_path));
  Shared& s = *shared_;
  TransferRecord record = s.Record(TransferAction::kDownload, s.PathOf(path.key), s.Now());
  if (Status ok = Users::Require(user_, Permission::kRead, path.path); !ok.ok())
    return s.Fail(record, ok.error());
  if (offset < 0) {
    return s.Fail(record, Err(kNotSupported, "cannot read " + path.path + " from offset " +
                                                 std::to_string(offset)));
  }
  if (path.is_root()) return s.Fail(record, Err(kIsDirectory, "/ is a folder"));

  auto head = store_.Head(path.key);
  if (!head.ok()) {
    if (head.error().code != objects::errc::kNoSuchKey) return s.Fail(record, head.error());
    auto type = ingest::Stat(store_, path);
    if (type.ok() && *type == EntryType::kDirectory)
      return s.Fail(record, Err(kIsDirectory, path.path + " is a folder"));
    return s.Fail(record, Err(kNotFound, "no file " + path.path));
  }
  objects::ObjectMeta meta = *head;
  std::unique_ptr<objects::ObjectReader> reader;
  if (offset < meta.size) {
    auto got = store_.Get(path.key, objects::ByteRange{offset, std::nullopt});
    if (!got.ok()) {
      if (got.error().code == objects::errc::kNoSuchKey)
        return s.Fail(record, Err(kNotFound, "no file " + path.path));
      // Replaced by a shorter file since the Head: read nothing, as at the end.
      if (got.error().code != objects::errc::kInvalidRange) return s.Fail(record, got.error());
    } else {
      reader = std::move(*got);
      meta = reader->meta();
    }
  }
  return std::unique_ptr<Download>(
      std::make_unique<DownloadImpl>(shared_, std::move(reader), std::move(meta), record));
}

}  // namespace wharf::ingest
