// The FTPS server's certificate (see ftp_tls.h).
#include "ingest/ftp_tls.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <fmt/format.h>

namespace wharf::ingest::ftp {
namespace {

namespace fs = std::filesystem;

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using Pkey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Bignum = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using Extension = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

constexpr long kValiditySeconds = 10L * 365 * 24 * 3600;

// The last OpenSSL error, for messages; clears the queue.
std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

Error Fail(std::string message) { return MakeError(kCertificateError, std::move(message)); }

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(path + ": cannot be read: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Writes `text` to `path` through a temporary file in the same folder and a rename, so that a
// crash never leaves half a key.
Status WriteFileAtomically(const std::string& path, const std::string& text, mode_t mode) {
  std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());  // a leftover may have other permissions
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return Fail(tmp + ": cannot be created: " + std::strerror(errno));
  ::fchmod(fd, mode);  // whatever the umask
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return Fail(tmp + ": cannot be written: " + why);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return Fail(tmp + ": cannot be written: " + std::strerror(errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    return Fail(path + ": cannot be written: " + why);
  }
  return {};
}

Result<X509Ptr> ParseCertificate(std::string_view pem, const std::string& where) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return Fail(where + ": no PEM certificate in it (" + OpenSslError() + ")");
  return cert;
}

Result<Pkey> ParseKey(std::string_view pem, const std::string& where) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Pkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    return Fail(where + ": no unencrypted PEM private key in it (" + OpenSslError() + ")");
  }
  return key;
}

std::string Fingerprint(X509* cert) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  X509_digest(cert, EVP_sha256(), digest, &length);
  std::string out = "SHA256:";
  for (unsigned int i = 0; i < length; ++i) out += fmt::format("{}{:02X}", i ? ":" : "", digest[i]);
  return out;
}

Status AddExtension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  Extension ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return Fail("cannot add the extension " + value + ": " + OpenSslError());
  }
  return {};
}

std::string ToPem(X509* cert) {
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string ToPem(EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

Result<TlsMaterial> Load(const std::string& cert_file, const std::string& key_file) {
  WHARF_TRY(std::string cert_pem, ReadFile(cert_file));
  WHARF_TRY(std::string key_pem, ReadFile(key_file));
  WHARF_TRY(X509Ptr cert, ParseCertificate(cert_pem, cert_file));
  WHARF_TRY(Pkey key, ParseKey(key_pem, key_file));
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return Fail(key_file + ": this private key does not belong to the certificate in " + cert_file);
  }
  TlsMaterial out;
  out.certificate_pem = std::move(cert_pem);
  out.private_key_pem = std::move(key_pem);
  out.fingerprint = Fingerprint(cert.get());
  out.certificate_file = cert_file;
  return out;
}

}  // namespace

Result<TlsMaterial> MakeSelfSignedCertificate(std::string_view common_name) {
  Pkey key(EVP_EC_gen("P-256"));
  if (!key) return Fail("cannot make an ECDSA P-256 key: " + OpenSslError());
  X509Ptr cert(X509_new());
  if (!cert) return Fail("cannot make a certificate: " + OpenSslError());
  X509_set_version(cert.get(), 2);  // v3

  // A random positive 128-bit serial number (RFC 5280 allows up to 20 octets).
  Bignum serial(BN_new());
  if (!serial || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get()))) {
    return Fail("cannot draw a serial number: " + OpenSslError());
  }
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);  // tolerate clocks a little behind
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValiditySeconds);
  X509_set_pubkey(cert.get(), key.get());

  X509_NAME* name = X509_get_subject_name(cert.get());
  std::string cn(common_name);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("wharf"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);

  std::string alt_names = "DNS:localhost,IP:127.0.0.1,IP:::1";
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) == 0 && host[0] != '\0' &&
      std::string_view(host) != "localhost" &&
      std::string_view(host).find_first_of(",:") == std::string_view::npos) {
    alt_names += ",DNS:" + std::string(host);
  }
  WHARF_TRY_STATUS(AddExtension(cert.get(), NID_basic_constraints, "critical,CA:FALSE"));
  WHARF_TRY_STATUS(AddExtension(cert.get(), NID_key_usage, "critical,digitalSignature"));
  WHARF_TRY_STATUS(AddExtension(cert.get(), NID_ext_key_usage, "serverAuth"));
  WHARF_TRY_STATUS(AddExtension(cert.get(), NID_subject_alt_name, alt_names));
  WHARF_TRY_STATUS(AddExtension(cert.get(), NID_subject_key_identifier, "hash"));
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return Fail("cannot sign the certificate: " + OpenSslError());
  }

  TlsMaterial out;
  out.certificate_pem = ToPem(cert.get());
  out.private_key_pem = ToPem(key.get());
  out.fingerprint = Fingerprint(cert.get());
  out.created = true;
  return out;
}

Result<std::string> CertificateFingerprint(std::string_view pem) {
  WHARF_TRY(X509Ptr cert, ParseCertificate(pem, "the certificate"));
  return Fingerprint(cert.get());
}

Result<TlsMaterial> LoadOrCreateCertificate(const std::string& certificate,
                                            const std::string& private_key,
                                            const std::string& data_dir) {
  if (!certificate.empty() || !private_key.empty()) {
    if (certificate.empty() || private_key.empty()) {
      return Fail("the FTP server needs both a certificate and a private key, or neither");
    }
    return Load(certificate, private_key);
  }
  if (data_dir.empty()) return Fail("no data folder to keep a self-signed certificate in");
  std::string cert_file = (fs::path(data_dir) / kSelfSignedCertificateFile).string();
  std::string key_file = (fs::path(data_dir) / kSelfSignedKeyFile).string();
  std::error_code ec;
  if (fs::exists(cert_file, ec) && fs::exists(key_file, ec)) return Load(cert_file, key_file);

  fs::create_directories(data_dir, ec);
  if (ec) return Fail(data_dir + ": cannot be created: " + ec.message());
  WHARF_TRY(TlsMaterial made, MakeSelfSignedCertificate("wharf FTP server"));
  // The key first: a certificate on disk always has its key beside it.
  WHARF_TRY_STATUS(WriteFileAtomically(key_file, made.private_key_pem, 0600));
  WHARF_TRY_STATUS(WriteFileAtomically(cert_file, made.certificate_pem, 0644));
  made.certificate_file = cert_file;
  return made;
}

}  // namespace wharf::ingest::ftp
