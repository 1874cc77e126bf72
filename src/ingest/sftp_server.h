// SftpServer: wharf's SFTP server (issue 4), on libssh 0.10. Partners log in with a password or
// a public key (Users, with the client's address, so the allow-lists and the brute-force lockout
// apply) and see their home in the object store as "/" (FileSession: paths, permissions, quotas
// and the upload events are the same as for FTP).
//
// Threads: Start() binds the listening socket and starts the accept thread and the parker. A
// connection runs on a thread of its own while it does something, so sessions run in parallel:
// libssh 0.10's calls (key exchange, channel reads and writes) block the thread they run on.
// The key exchange and the login keep their thread (bounded by `login_timeout`). A logged-in
// session that has been quiet for half a second is parked: its thread ends, and the parker, one
// thread for all of them, polls the parked sockets; when one becomes readable, the parker starts
// a thread that carries on with the session. So idle sessions hold no thread. A libssh session is
// used by one thread at a time; it moves from thread to thread under the server's mutex. The
// parker also closes parked sessions at `idle_timeout`, and Stop() ends them too. Connections
// past `max_sessions` (open ones, parked or not) are refused.
//
// Logins: password and public-key authentication through ssh_set_server_callbacks. A key probe
// (is this key acceptable?) is not counted as a failure; a locked-out address gets the same
// refusal as a wrong password. A connection that completes the key exchange and closes without
// logging in, and without a counted failed password or signature, is recorded with
// Users::RecordFailedConnection, so key-only guessing is counted once per connection. (A TCP
// connection that never starts SSH, such as a load balancer's health check, is not counted.)
//
// The host key is an OpenSSH private key file; when missing at Start() an ed25519 key is created
// there (mode 0600, with its .pub beside it) and its SHA256 fingerprint is returned and logged.
//
// The SFTP protocol itself is sftp_handler.h; the window of each channel is kept at 2 MiB (what
// OpenSSH's own server uses) by reading it in 2 MiB requests.
//
// Thread-safety: Start, Stop and the destructor from one thread; the accessors from any thread
// after Start returned.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/project.h"
#include "core/result.h"
#include "ingest/file_session.h"
#include "ingest/users.h"
#include "objects/object_store.h"

namespace wharf::ingest {

// Error code of Start and LoadOrCreateHostKey.
inline constexpr char kSftpServerError[] = "SftpServerError";

struct SftpServerOptions {
  ListenAddress listen{"127.0.0.1", 2222};  // port 0: a free port (see SftpServer::port)
  std::string host_key;                     // OpenSSH private key file, absolute
  std::chrono::seconds idle_timeout = kDefaultIdleTimeout;
  std::chrono::seconds login_timeout{60};  // from the connection to the SFTP session
  int max_sessions = 200;                  // connections at once; more are closed at once
  int max_auth_attempts = 6;               // failed passwords or signatures per connection
  // What every session's events report: server id, bucket, region, account, clock. The
  // protocol (SFTP), the session id and the client's address are set per connection.
  SessionInfo session_defaults;
  std::string statvfs_path;  // the folder `df` reports (the data folder); "": none
  // One line per event worth an operator's attention (start, logins, refusals, errors); the
  // default writes to stderr. Called from the connection threads.
  std::function<void(const std::string& line)> log;
};

// The options for the project file's `servers.sftp`: its address and idle timeout, and its host
// key, by default DATA_DIR/ssh_host_ed25519_key; `df` reports the data folder. The caller adds
// the session defaults (server id, bucket...) and the log hook, and `--sftp` may replace listen.
SftpServerOptions SftpServerOptionsFrom(const SftpServerConfig& config,
                                        const std::string& data_dir);

struct HostKey {
  std::string fingerprint;  // "SHA256:..." as ssh-keygen -l prints it
  std::string public_key;   // "ssh-ed25519 AAAA..."
  bool created = false;     // true when this call made the key
};

// Reads the host key at `path`, or creates an ed25519 key there (and PATH.pub) when no file is
// there. Errors name the file and what is wrong with it.
Result<HostKey> LoadOrCreateHostKey(const std::string& path);

class SftpServer {
 public:
  // REQUIRES: `users` and `store` outlive the server.
  SftpServer(SftpServerOptions options, Users& users, objects::ObjectStore& store);
  ~SftpServer();  // Stop()
  SftpServer(const SftpServer&) = delete;
  SftpServer& operator=(const SftpServer&) = delete;

  // Loads or creates the host key, listens, and starts accepting. Errors name the address or
  // the key file.
  Status Start();
  // Closes the listener, ends every session (their open uploads are given up: nothing half
  // written is stored) and waits for their threads. Idempotent.
  void Stop();

  uint16_t port() const;            // the bound port (after Start)
  std::string address() const;      // "127.0.0.1:2222"
  const HostKey& host_key() const;  // after Start
  size_t active_sessions() const;   // open connections, parked ones included
  // Threads serving connections now: one per connection logging in or doing something; none for
  // a parked session.
  size_t serving_threads() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace wharf::ingest
