// The FTPS server's certificate: read from the files the project names, or a self-signed one
// made at first start and kept in the data folder (ECDSA P-256, SHA-256 signature, valid ten
// years, for "localhost", 127.0.0.1, ::1 and this host's name). OpenSSL's EVP and X509 APIs.
//
// Thread-safety: reentrant functions.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace wharf::ingest::ftp {

// Error code of the functions below.
inline constexpr char kCertificateError[] = "CertificateError";

// The files a self-signed certificate is kept in, under the data folder.
inline constexpr char kSelfSignedCertificateFile[] = "ftp_tls_cert.pem";
inline constexpr char kSelfSignedKeyFile[] = "ftp_tls_key.pem";

struct TlsMaterial {
  std::string certificate_pem;  // the certificate, then its chain, as the file holds them
  std::string private_key_pem;
  std::string fingerprint;       // "SHA256:AB:CD:..." of the (first) certificate
  std::string certificate_file;  // where it was read from or written to
  bool created = false;          // made by this call
};

// `certificate` and `private_key` both set: reads them and checks that the key is the
// certificate's. Both empty: reads DATA/ftp_tls_cert.pem and DATA/ftp_tls_key.pem, or makes
// them when either is missing (the key file is written with mode 0600, each file through a
// temporary name and a rename). Errors name the file and what is wrong with it.
Result<TlsMaterial> LoadOrCreateCertificate(const std::string& certificate,
                                            const std::string& private_key,
                                            const std::string& data_dir);

// A new self-signed certificate and its key, in PEM.
Result<TlsMaterial> MakeSelfSignedCertificate(std::string_view common_name);

// "SHA256:AB:CD:..." of the first certificate in `pem`.
Result<std::string> CertificateFingerprint(std::string_view pem);

}  // namespace wharf::ingest::ftp
