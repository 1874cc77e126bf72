// The streams of LocalObjectStore: a writer (tmp/ file, MD5 while streaming, fsync, rename into
// blobs/, index commit) and a reader (pread of an open blob).
#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "core/memory.h"
#include "objects/keys.h"
#include "objects/local_store_internal.h"

namespace wharf::objects::internal {
namespace {

// Once a piece at least this big comes, the upload's MD5 moves to a thread of its own: MD5 runs
// at about 680 MB/s on one core here, slower than a loopback upload arrives, so done in line it
// would set the pace (bench/README.md, "File ingest").
constexpr size_t kParallelDigestBytes = 128 * 1024;

// A thread that feeds copies of an upload's pieces to its digest, in order, while the writer's
// thread goes on writing. The copies are what lets the hashing run without a pause: Write's bytes
// are the caller's only until it returns, and a hasher that had to be handed each piece back and
// forth would wait for the caller's round trip between pieces, about a fifth of the time measured
// with 1 MiB pieces. At most kMaxPieces are held (the one being hashed and the next), so a writer
// that outruns the digest waits for it.
class DigestThread {
 public:
  explicit DigestThread(EVP_MD_CTX* digest) : digest_(digest), thread_([this] { Run(); }) {}
  ~DigestThread() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  DigestThread(const DigestThread&) = delete;
  DigestThread& operator=(const DigestThread&) = delete;

  // Queues a copy of `bytes`, first waiting while kMaxPieces are queued.
  void Add(std::string_view bytes) {
    Piece copy;
    {
      std::unique_lock lock(mu_);
      room_.wait(lock, [this] { return pieces_.size() < kMaxPieces; });
      if (!spare_.empty()) {
        copy.bytes = std::move(spare_.back());
        spare_.pop_back();
      }
    }
    // Rounded up, so that pieces of slightly different sizes reuse the spare buffers.
    copy.bytes.Reserve(std::bit_ceil(bytes.size()));
    if (!bytes.empty()) std::memcpy(copy.bytes.data(), bytes.data(), bytes.size());
    copy.size = bytes.size();
    bool idle = false;
    {
      std::lock_guard lock(mu_);
      idle = pieces_.empty();
      pieces_.push_back(std::move(copy));
    }
    if (idle) wake_.notify_one();
  }

  // Returns once every queued piece is in the digest.
  void Drain() {
    std::unique_lock lock(mu_);
    room_.wait(lock, [this] { return pieces_.empty(); });
  }

 private:
  static constexpr size_t kMaxPieces = 2;

  void Run() {
    std::unique_lock lock(mu_);
    for (;;) {
      wake_.wait(lock, [this] { return !pieces_.empty() || stop_; });
      if (stop_) return;                     // the writer is going: what is left needs no digest
      const Piece& piece = pieces_.front();  // Add only appends: the front stays put
      lock.unlock();
      EVP_DigestUpdate(digest_, piece.bytes.data(), piece.size);
      lock.lock();
      if (spare_.size() < kMaxPieces) spare_.push_back(std::move(pieces_.front().bytes));
      pieces_.pop_front();
      room_.notify_all();
    }
  }

  EVP_MD_CTX* digest_;
  std::mutex mu_;
  std::condition_variable wake_, room_;
  // The copies are PageBuffers, whose pages go back to the kernel with the upload's end: the
  // hashing thread is new for each upload, but its malloc arena would keep freed megabytes.
  struct Piece {
    PageBuffer bytes;
    size_t size = 0;
  };
  std::deque<Piece> pieces_;       // the front one is being hashed
  std::vector<PageBuffer> spare_;  // buffers of hashed pieces, kept for the next copies
  bool stop_ = false;
  std::thread thread_;
};

class LocalWriter final : public ObjectWriter {
 public:
  LocalWriter(std::shared_ptr<Core> core, ObjectMeta meta, std::string id, int fd, EVP_MD_CTX* md5)
      : core_(std::move(core)),
        meta_(std::move(meta)),
        id_(std::move(id)),
        temp_(core_->TempPath(id_)),
        blob_(core_->BlobPath(id_)),
        fd_(fd),
        md5_(md5) {}
  ~LocalWriter() override {
    if (state_ == State::kOpen) Abort();
    hasher_.reset();
    EVP_MD_CTX_free(md5_);
  }

  Status Write(std::string_view bytes) override {
    if (state_ != State::kOpen) return Finished();
    if (failure_) return *failure_;
    if (sealed_) {
      return MakeError(errc::kInvalidArgument,
                       fmt::format("the upload of {} is sealed: no more bytes can be written",
                                   QuoteKey(meta_.key)));
    }
    if (!hasher_ && bytes.size() >= kParallelDigestBytes) {
      hasher_ = std::make_unique<DigestThread>(md5_);
    }
    if (hasher_) {
      hasher_->Add(bytes);  // every piece after the first big one, so that the order holds
    } else {
      EVP_DigestUpdate(md5_, bytes.data(), bytes.size());
    }
    Status written = WriteAll(fd_, bytes, temp_);
    if (!written.ok()) {
      failure_ = written.error();
      return written;
    }
    written_ += static_cast<int64_t>(bytes.size());
    return {};
  }

  Status Seal() override {
    if (state_ != State::kOpen) return Finished();
    if (sealed_) return {};
    Status sealed = SealOrError();
    if (!sealed.ok()) {
      failure_ = sealed.error();
      DropFiles();  // Commit returns the error; Abort or the destructor finishes the writer
    }
    return sealed;
  }

  Result<ObjectMeta> Commit(ChangeEvents events) override {
    if (state_ != State::kOpen) return Finished();
    Result<ObjectMeta> result = CommitOrError(events);
    if (!result.ok()) {
      Abort();  // removes the temp file and, if it got there, the blob
    } else {
      state_ = State::kDone;
      core_.reset();  // a finished writer does not keep the root open
    }
    return result;
  }

  TimePoint FixModified() override {
    if (!modified_ && core_) modified_ = core_->NowMs();
    return modified_.value_or(TimePoint{});  // TimePoint{}: aborted before any call
  }

  void Abort() override {
    if (state_ != State::kOpen) return;
    state_ = State::kDone;
    DropFiles();
    core_.reset();
  }

  int64_t written() const override { return written_; }

 private:
  enum class State { kOpen, kDone };

  Error Finished() const {
    return MakeError(
        errc::kInvalidArgument,
        fmt::format("the upload of {} is already committed or aborted", QuoteKey(meta_.key)));
  }

  // Removes the temp file and, if it got there, the blob.
  void DropFiles() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    ::unlink(temp_.c_str());
    if (renamed_) ::unlink(blob_.c_str());
    renamed_ = false;
  }

  // The digest, then the bytes on the disk under the blob's name, unreferenced until the commit
  // (a crash before it leaves a blob that the next Open sweeps).
  Status SealOrError() {
    if (failure_) return *failure_;
    if (hasher_) hasher_->Drain();
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(md5_, digest, &length);
    static constexpr char kHex[] = "0123456789abcdef";
    etag_.clear();
    for (unsigned int i = 0; i < length; ++i) {
      etag_ += kHex[digest[i] >> 4];
      etag_ += kHex[digest[i] & 15];
    }

    // The bytes reach the disk before the name that makes them part of the store.
    if (core_->SyncToDisk()) WHARF_TRY_STATUS(SyncFile(fd_, temp_));
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return OsError("closing", temp_, errno);
    if (::rename(temp_.c_str(), blob_.c_str()) != 0) {
      return OsError(fmt::format("renaming {} to", temp_), blob_, errno);
    }
    renamed_ = true;
    if (core_->SyncToDisk()) WHARF_TRY_STATUS(SyncDir(blob_.substr(0, blob_.rfind('/'))));
    sealed_ = true;
    return {};
  }

  Result<ObjectMeta> CommitOrError(const ChangeEvents& events) {
    if (failure_) return *failure_;
    if (!sealed_) WHARF_TRY_STATUS(Seal());

    ObjectMeta meta = meta_;
    meta.size = written_;
    meta.etag = etag_;
    meta.last_modified = FixModified();
    std::vector<ObjectEvent> list = events.For(meta);
    std::string replaced;
    // The commit that makes the object visible, with its events.
    WHARF_TRY_STATUS(core_->Write([&](sqlite::Db& db) -> Status {
      WHARF_TRY(replaced, UpsertObject(db, meta, id_));
      return InsertEvents(db, list, meta.last_modified);
    }));
    renamed_ = false;  // the blob belongs to the index now
    if (!replaced.empty()) core_->DropBlobs({replaced});
    return meta;
  }

  std::shared_ptr<Core> core_;
  ObjectMeta meta_;
  std::string id_;
  std::string temp_;
  std::string blob_;
  int fd_;
  EVP_MD_CTX* md5_;
  std::unique_ptr<DigestThread> hasher_;  // started by the first big piece
  State state_ = State::kOpen;
  bool renamed_ = false;
  bool sealed_ = false;
  std::string etag_;                   // set by Seal
  std::optional<TimePoint> modified_;  // set by FixModified
  int64_t written_ = 0;
  std::optional<Error> failure_;
};

class LocalReader final : public ObjectReader {
 public:
  LocalReader(int fd, std::string path, ObjectMeta meta, int64_t first, int64_t end)
      : fd_(fd), path_(std::move(path)), meta_(std::move(meta)), pos_(first), end_(end) {}
  ~LocalReader() override { ::close(fd_); }

  Result<std::string> Read(size_t max) override {
    std::string out(
        static_cast<size_t>(std::clamp<int64_t>(end_ - pos_, 0, static_cast<int64_t>(max))), '\0');
    WHARF_TRY(size_t got, ReadInto(out.data(), out.size()));
    out.resize(got);
    return out;
  }

  Result<size_t> ReadInto(char* into, size_t max) override {
    int64_t left = end_ - pos_;
    if (left <= 0) return size_t{0};
    size_t want = static_cast<size_t>(std::min<int64_t>(left, static_cast<int64_t>(max)));
    size_t got = 0;
    while (got < want) {
      ssize_t n = ::pread(fd_, into + got, want - got, pos_ + static_cast<int64_t>(got));
      if (n < 0) {
        if (errno == EINTR) continue;
        return OsError("reading", path_, errno);
      }
      if (n == 0) {
        return MakeError(
            errc::kStorageFailure,
            fmt::format("{} ends at byte {}, but the index records {} bytes for {}", path_,
                        pos_ + static_cast<int64_t>(got), meta_.size, QuoteKey(meta_.key)));
      }
      got += static_cast<size_t>(n);
    }
    pos_ += static_cast<int64_t>(got);
    return got;
  }

  const ObjectMeta& meta() const override { return meta_; }

 private:
  int fd_;
  std::string path_;
  ObjectMeta meta_;
  int64_t pos_;
  int64_t end_;
};

}  // namespace

Result<std::unique_ptr<ObjectWriter>> NewWriter(std::shared_ptr<Core> core, ObjectMeta meta) {
  if (meta.content_type.empty()) meta.content_type = "application/octet-stream";
  std::string id = NewBlobId();
  std::string temp = core->TempPath(id);
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return OsError("creating the upload file", temp, errno);
  EVP_MD_CTX* md5 = EVP_MD_CTX_new();
  if (md5 == nullptr || EVP_DigestInit_ex(md5, EVP_md5(), nullptr) != 1) {
    EVP_MD_CTX_free(md5);
    ::close(fd);
    ::unlink(temp.c_str());
    return MakeError(errc::kStorageFailure, "OpenSSL could not start an MD5 digest");
  }
  return std::unique_ptr<ObjectWriter>(
      new LocalWriter(std::move(core), std::move(meta), std::move(id), fd, md5));
}

std::unique_ptr<ObjectReader> NewReader(int fd, std::string path, ObjectMeta meta, int64_t first,
                                        int64_t end) {
  return std::make_unique<LocalReader>(fd, std::move(path), std::move(meta), first, end);
}

}  // namespace wharf::objects::internal
