// LocalObjectStore::List: S3's ListObjectsV2 over the index, a keyset walk in UTF-8 binary order
// (memcmp on the BLOB keys) that skips over each common prefix with one range seek.
#include <fmt/format.h>

#include "objects/keys.h"
#include "objects/local_store_internal.h"

namespace wharf::objects {
namespace {

using sqlite::Query;

// A byte that UTF-8 never uses: every key starting with P sorts before P + kAfter, so P + kAfter
// is where a walk resumes past a common prefix P.
constexpr char kAfter = '\xFF';

Error BadToken() {
  return MakeError(errc::kInvalidToken, "The continuation token provided is incorrect");
}

// FNV-1a over the query's prefix and delimiter, so a token is refused with other filters.
uint64_t Fingerprint(std::string_view prefix, std::string_view delimiter) {
  uint64_t h = 14695981039346656037ull;
  auto mix = [&h](unsigned char c) {
    h ^= c;
    h *= 1099511628211ull;
  };
  for (char c : prefix) mix(static_cast<unsigned char>(c));
  mix(0xff);
  for (char c : delimiter) mix(static_cast<unsigned char>(c));
  mix(0xff);
  return h;
}

// The position a page ended at: after the key `last` (kind 'k'), or past every key under the
// common prefix `last` (kind 'p').
struct Resume {
  char kind = 'k';
  std::string last;
};

// "<kind><16 hex fingerprint><hex of last>".
std::string EncodeToken(const Resume& r, uint64_t fingerprint) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = fmt::format("{}{:016x}", r.kind, fingerprint);
  for (char c : r.last) {
    auto u = static_cast<unsigned char>(c);
    out += kHex[u >> 4];
    out += kHex[u & 15];
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

Result<Resume> DecodeToken(std::string_view token, const ListQuery& query) {
  if (token.size() < 17 || (token[0] != 'k' && token[0] != 'p')) return BadToken();
  if (token.substr(1, 16) != fmt::format("{:016x}", Fingerprint(query.prefix, query.delimiter))) {
    return BadToken();
  }
  std::string_view hex = token.substr(17);
  if (hex.empty() || hex.size() % 2 != 0 || hex.size() / 2 > kMaxKeyBytes) return BadToken();
  Resume r;
  r.kind = token[0];
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = HexValue(hex[i]), lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) return BadToken();
    r.last += static_cast<char>(hi * 16 + lo);
  }
  // What a page of this query can have ended at: a key (or common prefix) under the prefix, in
  // UTF-8; a common prefix ends with the delimiter.
  if (FindUtf8Problem(r.last) || r.last.find('\0') != std::string::npos ||
      r.last.compare(0, query.prefix.size(), query.prefix) != 0) {
    return BadToken();
  }
  if (r.kind == 'p' &&
      (query.delimiter.empty() || r.last.size() < query.prefix.size() + query.delimiter.size() ||
       r.last.compare(r.last.size() - query.delimiter.size(), std::string::npos, query.delimiter) !=
           0)) {
    return BadToken();
  }
  return r;
}

}  // namespace

Result<ListPage> LocalObjectStore::List(const ListQuery& query) {
  if (query.max_keys < 1) {
    return MakeError(errc::kInvalidArgument,
                     fmt::format("max_keys must be 1 to 1000, not {}", query.max_keys));
  }
  size_t max_keys = static_cast<size_t>(std::min(query.max_keys, 1000));
  if (auto problem = FindUtf8Problem(query.prefix)) {
    return MakeError(errc::kInvalidArgument, fmt::format("the prefix is not valid UTF-8: {} at "
                                                         "byte {}",
                                                         problem->what, problem->offset));
  }
  if (auto problem = FindUtf8Problem(query.delimiter)) {
    return MakeError(errc::kInvalidArgument, fmt::format("the delimiter is not valid UTF-8: {} at "
                                                         "byte {}",
                                                         problem->what, problem->offset));
  }
  const uint64_t fingerprint = Fingerprint(query.prefix, query.delimiter);

  // The walk: keys in [lower, upper), lower inclusive. A key K is resumed after at K + "\0"
  // (no key holds NUL, so nothing sorts between them).
  std::string lower = query.prefix;
  if (!query.continuation_token.empty()) {
    WHARF_TRY(Resume r, DecodeToken(query.continuation_token, query));
    lower = r.last + (r.kind == 'k' ? '\0' : kAfter);
  }
  const std::string upper = query.prefix + kAfter;

  ListPage page;
  std::optional<Resume> last;
  bool more = false;
  size_t count = 0;
  std::lock_guard lock(core_->read_mu);
  // One read transaction for the whole page, so that it shows one commit.
  WHARF_TRY_STATUS(core_->reader->Run("BEGIN"));
  auto walk = [&]() -> Status {
    static const std::string kSql =
        fmt::format("SELECT {} FROM objects WHERE key >= ?1 AND key < ?2 ORDER BY key LIMIT ?3",
                    internal::kMetaColumns);
    bool done = false;
    while (!done && !more) {
      // Enough rows for the rest of the page and one to tell whether there is more.
      WHARF_TRY(Query q, core_->reader->Prepare(kSql.c_str()));
      q.BindBlob(1, lower).BindBlob(2, upper).Bind(3, static_cast<int64_t>(max_keys - count + 1));
      bool seek = false;
      for (;;) {
        WHARF_TRY(bool row, q.Step());
        if (!row) break;
        ObjectMeta meta = internal::ReadMeta(q, 0);
        std::optional<std::string> rolled;
        if (!query.delimiter.empty()) {
          size_t at = meta.key.find(query.delimiter, query.prefix.size());
          if (at != std::string::npos) rolled = meta.key.substr(0, at + query.delimiter.size());
        }
        if (count == max_keys) {
          more = true;
          break;
        }
        ++count;
        if (rolled) {
          // Every key under this common prefix rolls up into it: seek past them all.
          page.common_prefixes.push_back(*rolled);
          last = Resume{'p', *rolled};
          lower = *rolled + kAfter;
          seek = true;
          break;
        }
        lower = meta.key + '\0';
        last = Resume{'k', meta.key};
        page.objects.push_back(std::move(meta));
      }
      // Without a seek, the rows ran out (the end of the range) or the page is full.
      done = !seek;
    }
    return {};
  };
  Status walked = walk();
  (void)core_->reader->Run("COMMIT");
  if (!walked.ok()) return std::move(walked).error();
  if (more && last) page.next_token = EncodeToken(*last, fingerprint);
  return page;
}

}  // namespace wharf::objects
