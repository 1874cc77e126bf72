// One SFTP connection, from the key exchange to the end of its session (see sftp_server.h): the
// login through Users, the "sftp" subsystem of one session channel, and the SFTP packets framed
// from that channel into an SftpHandler. Used by sftp_server.cc only.
//
// Thread-safety: RunSftpConnection runs on the connection's own thread; `stopping` is read from
// it and set by the server.
#pragma once

#include <libssh/libssh.h>

#include <atomic>
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

// Serves `session` (accepted on the server's bind, not yet past the key exchange) until the
// client leaves, the connection breaks or times out, or `ctx.stopping` is set. The caller then
// disconnects and frees `session` (which closes its socket).
void RunSftpConnection(const SftpContext& ctx, ssh_session session, const std::string& client_ip,
                       const std::string& session_id);

}  // namespace wharf::ingest::internal
