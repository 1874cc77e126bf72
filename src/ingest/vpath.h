// Virtual paths: what a file-transfer user sees of the object store. The user's home (a key
// prefix, UserConfig::home) is their "/", and nothing outside it can be named.
//
// ResolvePath turns a path a client sent (absolute, or relative to the session's current folder)
// into a canonical virtual path and the key it stands for, and refuses with kInvalidPath:
//   - a ".." that would climb above "/" (the root is not a place to climb out of);
//   - a NUL byte, a control character, or a backslash (which some clients treat as a separator);
//   - bytes that are not UTF-8, including overlong encodings ("%c0%af" as raw bytes is an
//     encoded '/'), UTF-16 surrogates and code points past U+10FFFF;
//   - a key longer than the store allows (1,024 bytes).
// Percent signs are not decoded: "%2e%2e%2f" names a file called "%2e%2e%2f". An absolute path
// is absolute in the user's view: "/etc/passwd" is HOME + "etc/passwd". There are no symbolic
// links in the store, so no link can lead out either. "." and empty segments vanish, so every
// path has one canonical form.
//
// Folders over a flat key space: a folder exists when some key starts with its prefix
// ("alice/in/") or a zero-byte marker object named exactly the prefix exists (what mkdir
// makes). The root always exists.
//
// Thread-safety: ResolvePath and VirtualPath are plain values and functions; the store functions
// are as thread-safe as the store.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "objects/object_store.h"

namespace wharf::ingest {

// Error code of ResolvePath.
inline constexpr char kInvalidPath[] = "InvalidPath";
inline constexpr size_t kMaxKeyBytes = 1024;  // S3's limit, which the object store keeps

struct VirtualPath {
  std::string path;  // canonical, as the user sees it: "/", "/in/a.csv"
  std::string key;   // the object key: HOME + "in/a.csv"; for "/" the home itself ("" or "x/")
  std::string home;  // the user's home prefix ("" or ending in '/')

  bool is_root() const { return path == "/"; }
  // The last segment ("a.csv"); "" for the root.
  std::string Name() const;
  // The folder the path is in; the root's parent is the root.
  VirtualPath Parent() const;
  // The prefix of the keys inside the folder this path names: "alice/in/" ("alice/" for the
  // root, "" when the home is the whole store). Also the key of the folder's marker.
  std::string DirectoryPrefix() const;
};

// Resolves `client_path` against `cwd` (a canonical virtual path, "/" at login) within `home`.
// An empty `client_path` names `cwd`.
Result<VirtualPath> ResolvePath(std::string_view home, std::string_view cwd,
                                std::string_view client_path);

// The virtual path of `key`, or nullopt when the key is not inside `home` (or is its marker).
std::optional<std::string> VirtualPathOfKey(std::string_view home, std::string_view key);

// Whether `text` is valid UTF-8 (no overlong forms, surrogates, or code points past U+10FFFF).
bool IsValidUtf8(std::string_view text);

// --- folders in the store ------------------------------------------------------------------

enum class EntryType { kMissing, kFile, kDirectory };

// What the path names: a file (an object with that key), a folder (see above), or nothing.
Result<EntryType> Stat(objects::ObjectStore& store, const VirtualPath& path);
// Whether any key lies under the path's folder prefix: Stat's answer for a path that is not a
// file, for a caller that has looked the file up already.
Result<bool> IsFolder(objects::ObjectStore& store, const VirtualPath& path);

// Whether the folder holds nothing but its own marker (rmdir's precondition).
Result<bool> DirectoryIsEmpty(objects::ObjectStore& store, const VirtualPath& path);

struct DirectoryEntry {
  std::string name;  // one segment
  EntryType type = EntryType::kFile;
  objects::ObjectMeta meta;  // files only
};

struct DirectoryPage {
  std::vector<DirectoryEntry> entries;  // files and folders, in the order of their keys
  std::string next_token;               // "" on the last page
};

// One page of the folder's entries (a marker is not an entry). `token` is "" for the first page.
Result<DirectoryPage> ListDirectory(objects::ObjectStore& store, const VirtualPath& path,
                                    const std::string& token = "", int max_keys = 1000);

}  // namespace wharf::ingest
