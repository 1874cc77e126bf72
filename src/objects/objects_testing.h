// Helpers for the object store's tests: a temporary folder, whole-object put and get, MD5, and a
// census of the files under a root.
#pragma once

#include <openssl/evp.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "objects/local_store.h"

namespace wharf::objects::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "wharf-objects-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::string Md5Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_md5(), nullptr);
  std::string out;
  for (unsigned int i = 0; i < length; ++i) out += fmt::format("{:02x}", digest[i]);
  return out;
}

// 2024-01-01T00:00:00Z plus `seconds`.
inline TimePoint At(int64_t seconds) {
  return TimePoint(std::chrono::seconds(1704067200 + seconds));
}

inline ObjectEvent Event(std::string kind, std::string payload) {
  ObjectEvent e;
  e.kind = std::move(kind);
  e.payload = std::move(payload);
  return e;
}

inline Result<std::unique_ptr<LocalObjectStore>> OpenStore(
    const std::string& root, Durability durability = Durability::kProcessCrash,
    const Clock* clock = nullptr) {
  LocalOptions options;
  options.root = root;
  options.durability = durability;
  options.clock = clock;
  return LocalObjectStore::Open(options);
}

// Puts `bytes` under `key` in chunks of `chunk` bytes and commits `events`.
inline Result<ObjectMeta> PutBytes(ObjectStore& store, const std::string& key,
                                   std::string_view bytes, ChangeEvents events = {},
                                   size_t chunk = 65536) {
  ObjectMeta meta;
  meta.key = key;
  meta.uploaded_by = "alice";
  meta.protocol = "SFTP";
  WHARF_TRY(std::unique_ptr<ObjectWriter> writer, store.Put(meta));
  for (size_t at = 0; at < bytes.size(); at += chunk) {
    WHARF_TRY_STATUS(writer->Write(bytes.substr(at, chunk)));
  }
  return writer->Commit(std::move(events));
}

// The whole object, or the range, read in pieces of `piece` bytes.
inline Result<std::string> GetBytes(ObjectStore& store, std::string_view key,
                                    std::optional<ByteRange> range = std::nullopt,
                                    size_t piece = 65536) {
  WHARF_TRY(std::unique_ptr<ObjectReader> reader, store.Get(key, range));
  std::string out;
  for (;;) {
    WHARF_TRY(std::string part, reader->Read(piece));
    if (part.empty()) return out;
    out += part;
  }
}

// Regular files under `dir`, as paths relative to it.
inline std::vector<std::string> FilesUnder(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() || e.is_symlink()) {
      out.push_back(std::filesystem::relative(e.path(), dir).string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Files under ROOT/blobs and ROOT/tmp.
inline size_t CountBlobs(const std::string& root) { return FilesUnder(root + "/blobs").size(); }
inline size_t CountTemp(const std::string& root) { return FilesUnder(root + "/tmp").size(); }

}  // namespace wharf::objects::testing
