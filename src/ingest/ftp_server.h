// FtpServer: wharf's FTP and explicit FTPS server (RFC 959, RFC 2228 and RFC 4217 for AUTH TLS,
// PBSZ and PROT, RFC 2428 for EPSV and EPRT, RFC 3659 for SIZE, MDTM, MLST, MLSD and REST
// STREAM). Every file operation goes through a FileSession (file_session.h): paths stay inside
// the user's home, permissions and quotas are checked, and every change commits its events.
//
// What a client gets:
//   - Login: USER and PASS, checked by Users::Authenticate with the client's address, so the
//     shared brute-force lockout counts FTP failures too; a locked-out address gets 530 with the
//     time left. The protocol a login counts as is FTPS when the control connection is under TLS
//     (AUTH TLS) and FTP otherwise, so a user whose `protocols` lack `ftp` can only log in after
//     AUTH TLS.
//   - TLS: AUTH TLS (also AUTH SSL and TLS-C) upgrades the control connection; PBSZ 0; PROT P puts
//     TLS on every data connection (the server is the TLS server there too, and accepts the
//     resumption of the control connection's session, as curl and lftp offer it), PROT C clears
//     it. With `require_tls` (or for a user whose protocols lack `ftp`), USER before AUTH TLS
//     gets 530 and a transfer under PROT C gets 521. The certificate and key come from the
//     config, or a self-signed ECDSA P-256 certificate is made at first start and kept in the
//     data folder (DATA/ftp_tls_cert.pem, DATA/ftp_tls_key.pem); certificate_fingerprint() gives
//     its SHA-256 fingerprint to print.
//   - Data connections: PASV and EPSV listen on a port of the configured range, announce the
//     public address in PASV replies, and accept only a connection from the control
//     connection's address. PORT and EPRT (the server connects out, to the client's own address
//     only) are refused with 502 unless `allow_active`.
//   - Transfers: binary always; TYPE A is accepted and transfers the bytes unchanged (no
//     end-of-line translation). Data moves in 256 KiB buffers. RETR honours REST (REST STREAM).
//     STOR streams into the store and commits the object only when the data connection ended
//     cleanly: a connection reset or broken, a TLS connection closed without its close_notify,
//     an ABOR, or a control connection gone before the end fails the upload with
//     PARTIAL_UPLOAD and stores nothing. In clear, a killed client's data connection ends with
//     a FIN as a finished one does; so the file is made durable, the 226 sent, and the object
//     committed only once the client is known to have received the 226: its TCP acknowledged
//     the reply and no reset followed (a command came, the client closed the connection in
//     order, or upload_end_grace passed). A reset, or the control connection's end with the
//     226 unacknowledged, fails the upload as above. The next command waits for that answer,
//     so a client that lists after an upload sees its file. If the commit itself fails after
//     the 226 (the index transaction; the bytes are already on the disk), the upload is
//     logged and recorded as failed. STOR after REST > 0 is refused with 554 (objects
//     are written whole); APPE to a file that does not exist is a STOR, to one that exists 554.
//   - Listings: LIST (ls -l style, options such as -la ignored), NLST, MLSD and MLST; SIZE, MDTM;
//     MFMT is accepted but cannot change a stored object's time, so its reply gives the time the
//     object has. MKD, RMD, DELE, RNFR/RNTO (replacing an existing file), CWD, CDUP, PWD.
//   - Idle control connections are closed after `idle_timeout` with 421 (after at most 60 s
//     before login); a transfer counts as activity while bytes move.
//
// Threads: the server runs one Boost.Asio io_context on a thread of its own for every socket,
// and a small pool of worker threads for what blocks (password hashing, the object store); a
// session's blocking work runs there in the order it was handed over (a strand). Each
// control connection is a coroutine; sessions run concurrently. Only the ftp_*.cc files include
// Boost.Asio and OpenSSL; this header is plain C++.
//
// Thread-safety: Start() and Stop() from one thread; the accessors from any thread after
// Start() returned.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/project.h"
#include "core/result.h"
#include "ingest/users.h"
#include "objects/object_store.h"

namespace wharf::ingest {

struct FtpServerOptions {
  FtpServerConfig config;
  // REQUIRED, and both outlive the server.
  objects::ObjectStore* store = nullptr;
  Users* users = nullptr;
  // Where the self-signed certificate is kept when the config names none; created if missing.
  std::string data_dir;
  // What the events report (see SessionInfo). "" server_id: "s-" and 17 hex digits derived from
  // the data folder and the listen address, so it stays the same from one start to the next.
  std::string server_id;
  std::string bucket = "wharf-landing";
  std::string region = "us-east-1";
  std::string account = "111111111111";
  const Clock* clock = nullptr;  // event times; nullptr: the system clock
  // Threads that run the sessions and their quick disk work (the object store's look-ups and
  // commits); 0: the CPU count, at least 4, so that a session waiting on the disk holds one and
  // the others go on.
  int network_threads = 0;
  int worker_threads = 2;  // for slow work: hashing passwords, a large file's buffers
  int max_sessions = 500;  // control connections at once; more are refused with 421
  // Plain (not TLS) uploads: how long a client that idles after its 226 was acknowledged by its
  // TCP is given to reset the control connection before the file is committed. Linux resets a
  // socket closed with unread bytes; a client killed just as the 226 arrived does that at once.
  // A command, or the client's orderly close, commits without this wait; so do the idle
  // timeout and Stop, once the 226 was acknowledged. 0: commit as soon as it is acknowledged.
  std::chrono::milliseconds upload_end_grace{5};
  // One line per notable thing (a login, a refused login, a failed transfer). Called from the
  // server's threads. Default: nothing is logged.
  std::function<void(const std::string&)> log;
};

class FtpServer {
 public:
  explicit FtpServer(FtpServerOptions options);
  ~FtpServer();  // stops the server
  FtpServer(const FtpServer&) = delete;
  FtpServer& operator=(const FtpServer&) = delete;

  // Loads or makes the certificate, binds, listens and starts serving on the server's thread.
  // The error names what failed: the certificate file, the address, the passive port range.
  Status Start();
  // Closes the listener and every connection (an upload in progress fails and stores nothing)
  // and joins the threads. Idempotent.
  void Stop();

  // REQUIRES: Start() succeeded.
  uint16_t port() const;
  std::string address() const;  // "HOST:PORT" as bound
  // "SHA256:AB:CD:..." of the TLS certificate in use.
  const std::string& certificate_fingerprint() const;
  // The file the certificate was read from, and whether this start made it (self-signed).
  const std::string& certificate_file() const;
  bool certificate_created() const;
  const std::string& server_id() const;
  // Control connections open now.
  size_t sessions() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace wharf::ingest
