// One SFTP connection, from the key exchange to the end of its session (see sftp_server.h): the
// login through Users, the "sftp" subsystem of one session channel, and the SFTP packets framed
// from that channel into an SftpHandler. Used by sftp_server.cc only.
//
// A connection is served in turns. Run() serves it until the session ends, or until a logged-in
// session has been quiet for a short while (no channel data for two kPollMs turns, nothing
// half-received or waiting to be sent, libssh holding no buffered bytes): it then returns kIdle
// with all its state kept in the object, and no thread needs to wait for it. The server watches
// the connection's socket and calls Run() again, maybe on another thread, once the socket is
// readable, once idle_deadline() has passed (Run then ends the session for idling), or when it
// is stopping (Run ends the session at once).
//
// Thread-safety: one thread at a time calls the methods; successive calls may come from
// different threads when the caller hands the connection over under a mutex (which orders the
// memory). libssh allows this: a session is not thread-safe, but it has no tie to a thread.
// `stopping` is read from the serving thread and set by the server.
#pragma once

#include <libssh/libssh.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "ingest/sftp_server.h"

namespace wharf::ingest::internal {

struct SftpContext {
  const SftpServerOptions& options;
  Users& users;
  objects::ObjectStore& store;
  const std::atomic<bool>& stopping;
  void Log(const std::string& line) const;
};

class SftpConnection {
 public:
  enum class Turn {
    kEnded,  // the session is over; destroy the connection
    kIdle,   // nothing to do until the socket is readable or idle_deadline() passes
  };

  // REQUIRES: `ctx` outlives the connection. `session` was accepted on the server's bind and is
  // not yet past the key exchange; the connection owns it from now on, and the destructor
  // disconnects and frees it (which closes its socket).
  SftpConnection(const SftpContext& ctx, ssh_session session, std::string client_ip,
                 std::string session_id);
  ~SftpConnection();
  SftpConnection(const SftpConnection&) = delete;
  SftpConnection& operator=(const SftpConnection&) = delete;

  // Serves the connection until it ends, the client leaves, the connection breaks or times out,
  // `ctx.stopping` is set (kEnded), or the logged-in session is quiet (kIdle). The first call
  // runs the key exchange and the login (bounded by login_timeout) and never returns kIdle
  // before the SFTP session has started.
  Turn Run();

  // After kIdle: when the session has been idle for options.idle_timeout.
  std::chrono::steady_clock::time_point idle_deadline() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace wharf::ingest::internal
