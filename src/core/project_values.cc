// Values of the `users` section that have a format of their own: CIDR networks, OpenSSH public key
// lines and crypt(3) password hashes (see project.h). None of them needs a library beyond libc:
// the ingest layer checks hashes with libcrypt when it uses them.
#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "core/project.h"
#include "core/project_internal.h"

namespace wharf {
namespace {

using project_internal::Quote;

Error Bad(std::string message) {
  return MakeError(std::string(kInvalidProject), std::move(message));
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// crypt(3)'s base64 alphabet: ./0-9A-Za-z.
bool IsCrypt64(char c) {
  return c == '.' || c == '/' || IsDigit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
bool AllCrypt64(std::string_view s) {
  for (char c : s) {
    if (!IsCrypt64(c)) return false;
  }
  return true;
}

std::vector<std::string_view> SplitDollar(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t at = s.find('$', start);
    parts.push_back(
        s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

// --- base64 (RFC 4648 §4, with padding, as OpenSSH writes keys) -----------------------------

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (IsDigit(c)) return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

std::optional<std::string> DecodeBase64(std::string_view in) {
  if (in.empty() || in.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      char c = in[i + k];
      if (c == '=' && i + 4 == in.size() && k >= 2) {
        v[k] = 0;
        ++pad;
        continue;
      }
      if (pad > 0) return std::nullopt;  // a character after '='
      v[k] = Base64Value(c);
      if (v[k] < 0) return std::nullopt;
    }
    uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out.push_back(static_cast<char>(n >> 16));
    if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xFF));
    if (pad < 1) out.push_back(static_cast<char>(n & 0xFF));
    // Canonical form: the bits the padding hides are zero.
    if ((pad == 1 && (n & 0xFF) != 0) || (pad == 2 && (n & 0xFFFF) != 0)) return std::nullopt;
  }
  return out;
}

std::string EncodeBase64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t n = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<uint8_t>(in[i + 1]) << 8;
    if (i + 2 < in.size()) n |= static_cast<uint8_t>(in[i + 2]);
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=');
    out.push_back(i + 2 < in.size() ? kAlphabet[n & 63] : '=');
  }
  return out;
}

// --- the SSH wire format (RFC 4251 §5: uint32 length + bytes) -------------------------------

class WireReader {
 public:
  explicit WireReader(std::string_view data) : data_(data) {}
  std::optional<std::string_view> String() {
    if (data_.size() < 4) return std::nullopt;
    uint32_t n = (static_cast<uint8_t>(data_[0]) << 24) | (static_cast<uint8_t>(data_[1]) << 16) |
                 (static_cast<uint8_t>(data_[2]) << 8) | static_cast<uint8_t>(data_[3]);
    if (n > data_.size() - 4) return std::nullopt;
    std::string_view s = data_.substr(4, n);
    data_.remove_prefix(4 + n);
    return s;
  }
  bool done() const { return data_.empty(); }

 private:
  std::string_view data_;
};

// The bits of an mpint (RFC 4251 §5: two's complement, big-endian, minimal).
int MpintBits(std::string_view m) {
  size_t i = 0;
  while (i < m.size() && m[i] == 0) ++i;
  if (i == m.size()) return 0;
  int bits = static_cast<int>((m.size() - i - 1) * 8);
  for (auto b = static_cast<uint8_t>(m[i]); b != 0; b >>= 1) ++bits;
  return bits;
}

constexpr std::string_view kKeyTypes[] = {"ssh-ed25519",
                                          "ssh-rsa",
                                          "ecdsa-sha2-nistp256",
                                          "ecdsa-sha2-nistp384",
                                          "ecdsa-sha2-nistp521",
                                          "sk-ssh-ed25519@openssh.com",
                                          "sk-ecdsa-sha2-nistp256@openssh.com"};

std::string KeyTypeList() {
  std::string list;
  for (std::string_view t : kKeyTypes) list += (list.empty() ? "" : ", ") + std::string(t);
  return list;
}

// What is wrong with `blob` as a key of `type`, or nullopt. The structures are those of
// RFC 8709 §4 (ed25519), RFC 4253 §6.6 (ssh-rsa), RFC 5656 §3.1 (ecdsa) and OpenSSH's
// PROTOCOL.u2f (the "sk-" forms, which add the application string).
std::optional<std::string> KeyBlobProblem(std::string_view type, std::string_view blob) {
  WireReader w(blob);
  auto name = w.String();
  if (!name) return "the key data is truncated";
  if (*name != type)
    return "the key data is a " + Quote(*name) + " key but the line says " + Quote(type);
  bool sk = type.rfind("sk-", 0) == 0;
  if (type == "ssh-ed25519" || type == "sk-ssh-ed25519@openssh.com") {
    auto pk = w.String();
    if (!pk || pk->size() != 32) return "the ed25519 key is not 32 bytes long";
  } else if (type == "ssh-rsa") {
    auto e = w.String();
    auto n = w.String();
    if (!e || !n || MpintBits(*e) == 0) return "the RSA key data is truncated";
    // OpenSSH (RequiredRSASize, 9.1) refuses RSA keys under 1024 bits.
    if (int bits = MpintBits(*n); bits < 1024)
      return "the RSA key has " + std::to_string(bits) +
             " bits; OpenSSH refuses keys under 1024 bits (ssh-keygen -t ed25519 makes a "
             "better one)";
  } else {
    std::string_view curve = sk ? "nistp256" : type.substr(std::strlen("ecdsa-sha2-"));
    size_t point_size = curve == "nistp256" ? 65 : curve == "nistp384" ? 97 : 133;
    auto id = w.String();
    auto q = w.String();
    if (!id || *id != curve) return "the ECDSA key is not on the curve " + std::string(curve);
    if (!q || q->size() != point_size || (*q)[0] != 4)
      return "the ECDSA public point is not " + std::to_string(point_size) +
             " bytes in uncompressed form";
  }
  if (sk) {
    auto application = w.String();
    if (!application || application->empty()) return "the security key's application is missing";
  }
  if (!w.done()) return "the key data has bytes after the key";
  return std::nullopt;
}

// The hash scheme for messages ("$y$"): only a short lower-case id, so that a plain-text password
// that happens to start with '$' is not printed.
std::string SchemeOf(std::string_view hash) {
  size_t end = hash.find('$', 1);
  if (end == std::string_view::npos || end < 2 || end > 9) return "";
  for (char c : hash.substr(1, end - 1)) {
    if (!IsDigit(c) && !(c >= 'a' && c <= 'z')) return "";
  }
  return std::string(hash.substr(0, end + 1));
}

constexpr char kMakeOne[] = "run `wharf passwd` and paste the hash it prints";

}  // namespace

// --- CIDR ----------------------------------------------------------------------------------

std::string IpNetwork::ToString() const {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, address.data(), text, sizeof text);
  return std::string(text) + "/" + std::to_string(prefix_length);
}

Result<IpNetwork> ParseIpNetwork(std::string_view text) {
  std::string shown = Quote(text.substr(0, 60));
  if (text.find('%') != std::string_view::npos)
    return Bad("a network may not name an interface (zone id): " + shown);
  size_t slash = text.find('/');
  std::string host(text.substr(0, slash));
  IpNetwork net;
  if (inet_pton(AF_INET, host.c_str(), net.address.data()) == 1) {
    net.v6 = false;
  } else if (inet_pton(AF_INET6, host.c_str(), net.address.data()) == 1) {
    net.v6 = true;
  } else {
    return Bad(
        "must be an IPv4 or IPv6 network in CIDR notation, for example 192.0.2.0/24 or "
        "2001:db8::/32; got " +
        shown);
  }
  int max = net.v6 ? 128 : 32;
  net.prefix_length = max;
  if (slash != std::string_view::npos) {
    std::string_view len = text.substr(slash + 1);
    bool digits = !len.empty() && len.size() <= 3;
    for (char c : len) digits = digits && IsDigit(c);
    int value = digits ? std::stoi(std::string(len)) : -1;
    if (value < 0 || value > max)
      return Bad("the prefix length must be a number from 0 to " + std::to_string(max) + "; got " +
                 shown);
    net.prefix_length = value;
  }
  IpNetwork masked = net;
  for (int i = 0; i < (net.v6 ? 16 : 4); ++i) {
    int keep = std::clamp(net.prefix_length - i * 8, 0, 8);
    masked.address[i] &= static_cast<uint8_t>(0xFF00 >> keep);
  }
  if (masked.address != net.address)
    return Bad(shown + " has host bits set; did you mean " + masked.ToString() + "?");
  return net;
}

// --- SSH public keys -----------------------------------------------------------------------

std::string SshPublicKey::ToString() const {
  std::string s = type + " " + EncodeBase64(blob);
  if (!comment.empty()) s += " " + comment;
  return s;
}

Result<SshPublicKey> ParseSshPublicKey(std::string_view line) {
  constexpr std::string_view kSpace = " \t";
  // Key material is never quoted back: a pasted private key must not reach a log.
  if (line.find("PRIVATE KEY") != std::string_view::npos)
    return Bad("this is a private key; give the public key (the .pub file's line)");
  size_t first = line.find_first_not_of(kSpace);
  size_t last = line.find_last_not_of(kSpace);
  if (first == std::string_view::npos)
    return Bad("must be a public key line (TYPE BASE64 [COMMENT]), got an empty string");
  line = line.substr(first, last - first + 1);
  if (line.find_first_of("\r\n") != std::string_view::npos)
    return Bad("holds more than one line; give one key per list item");
  size_t end = line.find_first_of(kSpace);
  std::string_view type = line.substr(0, end);
  std::string_view rest = end == std::string_view::npos ? std::string_view() : line.substr(end);
  rest.remove_prefix(std::min(rest.size(), rest.find_first_not_of(kSpace)));
  size_t data_end = rest.find_first_of(kSpace);
  std::string_view data = rest.substr(0, data_end);
  std::string_view comment =
      data_end == std::string_view::npos ? std::string_view() : rest.substr(data_end);
  comment.remove_prefix(std::min(comment.size(), comment.find_first_not_of(kSpace)));

  bool known = false;
  for (std::string_view t : kKeyTypes) known |= t == type;
  if (!known) {
    if (type == "ssh-dss")
      return Bad(
          "DSA keys are refused (OpenSSH no longer accepts them); make an ed25519 key "
          "with ssh-keygen -t ed25519");
    if (type.find("-cert-v01@openssh.com") != std::string_view::npos)
      return Bad("certificates are not supported; give the plain public key");
    if (type.find('=') != std::string_view::npos || type.find(',') != std::string_view::npos)
      return Bad(
          "authorized_keys options before the key type are not supported (restrict "
          "addresses with allowed_networks); give the key line alone");
    return Bad("unknown key type " + Quote(type.substr(0, 40)) + "; expected one of " +
               KeyTypeList());
  }
  if (data.empty()) return Bad("the base64 key data after " + Quote(type) + " is missing");
  auto blob = DecodeBase64(data);
  if (!blob) return Bad("the key data after " + Quote(type) + " is not valid base64");
  if (auto problem = KeyBlobProblem(type, *blob)) return Bad(*problem);
  SshPublicKey key;
  key.type = std::string(type);
  key.blob = std::move(*blob);
  key.comment = std::string(comment);
  return key;
}

// --- password hashes -----------------------------------------------------------------------

std::optional<std::string> PasswordHashProblem(std::string_view hash) {
  if (hash.empty() || hash[0] != '$')
    return std::string("is not a password hash; passwords are never written in clear: ") + kMakeOne;
  std::vector<std::string_view> p = SplitDollar(hash);  // p[0] is "" (before the first '$')
  std::string_view id = p.size() > 1 ? p[1] : std::string_view();
  auto incomplete = [&](std::string_view what) {
    return "is not a complete " + std::string(what) + " hash; copy the whole line that " +
           "`wharf passwd` (or your tool) prints";
  };
  if (id == "y" || id == "gy") {
    // $y$PARAMS$SALT$HASH with a 256-bit hash in 43 characters.
    if (p.size() != 5 || p[2].empty() || !AllCrypt64(p[2]) || !AllCrypt64(p[3]) ||
        p[4].size() != 43 || !AllCrypt64(p[4]))
      return incomplete("yescrypt");
    return std::nullopt;
  }
  if (id == "7") {
    // $7$ N(1) r(5) p(5) SALT $ HASH(43)
    if (p.size() != 4 || p[2].size() < 11 || !AllCrypt64(p[2]) || p[3].size() != 43 ||
        !AllCrypt64(p[3]))
      return incomplete("scrypt");
    return std::nullopt;
  }
  if (id == "2b" || id == "2y") {
    // $2b$COST$ + 22 characters of salt + 31 of hash; COST 04 to 31.
    bool cost = p.size() == 4 && p[2].size() == 2 && IsDigit(p[2][0]) && IsDigit(p[2][1]) &&
                std::stoi(std::string(p[2])) >= 4 && std::stoi(std::string(p[2])) <= 31;
    if (!cost || p[3].size() != 53 || !AllCrypt64(p[3])) return incomplete("bcrypt");
    return std::nullopt;
  }
  if (id == "6") {
    // $6$[rounds=N$]SALT$HASH: a salt of up to 16 characters, a hash of 86.
    size_t salt = 2;
    if (p.size() == 5) {
      std::string_view r = p[2];
      bool ok = r.rfind("rounds=", 0) == 0 && r.size() > 7 && r.size() <= 16;
      for (char c : r.substr(std::min<size_t>(7, r.size()))) ok = ok && IsDigit(c);
      if (!ok) return incomplete("SHA-512 crypt");
      salt = 3;
    }
    if (p.size() != salt + 2 || p[salt].size() > 16 || p[salt + 1].size() != 86 ||
        !AllCrypt64(p[salt + 1]))
      return incomplete("SHA-512 crypt");
    for (char c : p[salt]) {
      if (c == ':' || static_cast<unsigned char>(c) <= ' ') return incomplete("SHA-512 crypt");
    }
    return std::nullopt;
  }
  if (id.rfind("argon2", 0) == 0)
    return std::string("argon2 hashes are not supported: Debian's libcrypt cannot check them; ") +
           kMakeOne + " (yescrypt)";
  if (id == "1" || id == "5" || id == "md5" || id == "sha1" || id == "3" || id == "apr1")
    return "uses " + SchemeOf(hash) + ", a legacy hash that is too fast to resist guessing; " +
           kMakeOne + " (yescrypt)";
  std::string scheme = SchemeOf(hash);
  return (scheme.empty() ? std::string("is not a known password hash")
                         : "uses the unknown hash scheme " + Quote(scheme)) +
         "; expected yescrypt ($y$), SHA-512 crypt ($6$), bcrypt ($2b$) or scrypt ($7$): " +
         kMakeOne;
}

}  // namespace wharf
