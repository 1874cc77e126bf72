// Resolution of client paths into keys under a user's home, and folders over the flat key space
// (see vpath.h).
#include "ingest/vpath.h"

namespace wharf::ingest {
namespace {

Error Invalid(std::string message) { return MakeError(kInvalidPath, std::move(message)); }

// Appends the segments of `path` to `out`, applying "." and "..". False when ".." climbs above
// the root.
bool Walk(std::string_view path, std::vector<std::string_view>& out) {
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view segment = path.substr(0, slash);
    path.remove_prefix(slash == std::string_view::npos ? path.size() : slash + 1);
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      if (out.empty()) return false;
      out.pop_back();
      continue;
    }
    out.push_back(segment);
  }
  return true;
}

}  // namespace

// Unicode 15, Table 3-7 (well-formed UTF-8 byte sequences): the second byte's range depends on
// the first, which rules out overlong forms (C0, C1, E0 80..9F, F0 80..8F), surrogates
// (ED A0..BF) and code points past U+10FFFF (F4 90.., F5..FF).
bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      ++i;
      continue;
    }
    int n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
      n = 1;
    } else if (b >= 0xE0 && b <= 0xEF) {
      n = 2;
      if (b == 0xE0) lo = 0xA0;
      if (b == 0xED) hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      n = 3;
      if (b == 0xF0) lo = 0x90;
      if (b == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (i + n >= text.size()) return false;  // truncated
    auto second = static_cast<unsigned char>(text[i + 1]);
    if (second < lo || second > hi) return false;
    for (int k = 2; k <= n; ++k) {
      auto c = static_cast<unsigned char>(text[i + k]);
      if (c < 0x80 || c > 0xBF) return false;
    }
    i += n + 1;
  }
  return true;
}

std::string VirtualPath::Name() const {
  if (is_root()) return "";
  return path.substr(path.rfind('/') + 1);
}

VirtualPath VirtualPath::Parent() const {
  if (is_root()) return *this;
  VirtualPath parent;
  parent.home = home;
  size_t slash = path.rfind('/');
  parent.path = slash == 0 ? "/" : path.substr(0, slash);
  parent.key = parent.path == "/" ? home : home + parent.path.substr(1);
  return parent;
}

std::string VirtualPath::DirectoryPrefix() const { return is_root() ? home : key + "/"; }

Result<VirtualPath> ResolvePath(std::string_view home, std::string_view cwd,
                                std::string_view client_path) {
  for (std::string_view part : {cwd, client_path}) {
    if (part.find('\0') != std::string_view::npos)
      return Invalid("the path contains a NUL character");
    if (!IsValidUtf8(part)) return Invalid("the path is not valid UTF-8");
    for (char c : part) {
      if (c == '\\') return Invalid("the path contains '\\'; folders are separated by '/'");
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
        return Invalid("the path contains a control character");
    }
  }
  std::vector<std::string_view> segments;
  if (client_path.empty() || client_path.front() != '/') {
    if (!Walk(cwd, segments)) return Invalid("the current folder leads outside your home folder");
  }
  if (!Walk(client_path, segments)) return Invalid("the path leads outside your home folder");

  VirtualPath v;
  v.home = std::string(home);
  std::string relative;
  for (std::string_view s : segments) {
    if (!relative.empty()) relative += '/';
    relative += s;
  }
  v.path = "/" + relative;
  v.key = v.home + relative;
  // The folder marker (key + "/") must fit too.
  if (v.key.size() + 1 > kMaxKeyBytes)
    return Invalid("the path is too long: the store takes keys of at most " +
                   std::to_string(kMaxKeyBytes) + " bytes");
  return v;
}

std::optional<std::string> VirtualPathOfKey(std::string_view home, std::string_view key) {
  if (key.size() <= home.size() || key.substr(0, home.size()) != home) return std::nullopt;
  std::string_view rest = key.substr(home.size());
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);  // a folder marker
  if (rest.empty()) return std::nullopt;
  return "/" + std::string(rest);
}

Result<EntryType> Stat(objects::ObjectStore& store, const VirtualPath& path) {
  if (path.is_root()) return EntryType::kDirectory;
  auto head = store.Head(path.key);
  if (head.ok()) return EntryType::kFile;
  if (head.error().code != objects::errc::kNoSuchKey) return head.error();
  WHARF_TRY(bool folder, IsFolder(store, path));
  return folder ? EntryType::kDirectory : EntryType::kMissing;
}

Result<bool> IsFolder(objects::ObjectStore& store, const VirtualPath& path) {
  if (path.is_root()) return true;
  objects::ListQuery query;
  query.prefix = path.DirectoryPrefix();
  query.max_keys = 1;
  WHARF_TRY(objects::ListPage page, store.List(query));
  return !page.objects.empty() || !page.common_prefixes.empty();
}

Result<bool> DirectoryIsEmpty(objects::ObjectStore& store, const VirtualPath& path) {
  objects::ListQuery query;
  query.prefix = path.DirectoryPrefix();
  query.max_keys = 2;  // the marker, and one more
  WHARF_TRY(objects::ListPage page, store.List(query));
  for (const objects::ObjectMeta& o : page.objects) {
    if (o.key != query.prefix) return false;
  }
  return page.common_prefixes.empty();
}

Result<DirectoryPage> ListDirectory(objects::ObjectStore& store, const VirtualPath& path,
                                    const std::string& token, int max_keys) {
  objects::ListQuery query;
  query.prefix = path.DirectoryPrefix();
  query.delimiter = "/";
  query.max_keys = max_keys;
  query.continuation_token = token;
  WHARF_TRY(objects::ListPage page, store.List(query));
  DirectoryPage out;
  out.next_token = page.next_token;
  // S3 lists objects and common prefixes apart, each in key order; merged, a page reads in key
  // order, and so does a listing across pages.
  size_t f = 0;
  size_t d = 0;
  while (f < page.objects.size() || d < page.common_prefixes.size()) {
    bool folder = f == page.objects.size() || (d < page.common_prefixes.size() &&
                                               page.common_prefixes[d] < page.objects[f].key);
    if (folder) {
      std::string name = page.common_prefixes[d++].substr(query.prefix.size());
      if (!name.empty() && name.back() == '/') name.pop_back();
      if (name.empty()) continue;  // "alice//": no name a user could type
      out.entries.push_back({std::move(name), EntryType::kDirectory, {}});
    } else {
      objects::ObjectMeta& o = page.objects[f++];
      if (o.key == query.prefix) continue;  // the folder's own marker
      std::string name = o.key.substr(query.prefix.size());
      out.entries.push_back({std::move(name), EntryType::kFile, std::move(o)});
    }
  }
  return out;
}

}  // namespace wharf::ingest
