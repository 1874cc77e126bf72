// One SFTP connection, served in turns (see sftp_connection.h and sftp_server.h).
#include "ingest/sftp_connection.h"

#include <libssh/callbacks.h>
#include <libssh/server.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "ingest/sftp_handler.h"
#include "ingest/sftp_protocol.h"

namespace wharf::ingest::internal {
namespace {

using Clock = std::chrono::steady_clock;

// The channel's window: reads ask for 2 MiB once a MiB has been read since the last such read,
// which makes libssh grow the window back to 2 MiB (OpenSSH's server keeps 2 MiB too); other
// reads ask for what one large SFTP packet needs, which does not touch the window.
constexpr uint32_t kWindow = 2 * 1024 * 1024;
constexpr uint32_t kWindowRefill = 1024 * 1024;
constexpr uint32_t kSmallRead = 256 * 1024;
constexpr int kPollMs = 250;
constexpr size_t kFlushAt = 1024 * 1024;  // answers gathered before they are sent
// Reads that found nothing, one after the other, before a logged-in session is idle (Run
// returns kIdle and the server parks it): half a second.
constexpr int kQuietTurnsBeforeIdle = 2;

}  // namespace

class SftpConnection::Impl {
 public:
  Impl(const SftpContext& ctx, ssh_session session, std::string ip, std::string id)
      : ctx_(ctx), session_(session), ip_(std::move(ip)), id_(std::move(id)) {}
  ~Impl() {
    ssh_disconnect(session_);
    ssh_free(session_);  // frees the channel too, and closes the socket
  }

  Turn Run();
  Clock::time_point idle_deadline() const { return last_packet_ + ctx_.options.idle_timeout; }

 private:
  enum class Phase { kLogin, kServing, kEnded };

  static int OnPassword(ssh_session, const char* user, const char* password, void* self);
  static int OnPublicKey(ssh_session, const char* user, ssh_key key, char state, void* self);
  static ssh_channel OnChannelOpen(ssh_session session, void* self);
  static int OnSubsystem(ssh_session, ssh_channel, const char* subsystem, void* self);

  int AfterLogin(const Login& login, std::string_view user, const char* method);
  bool LogIn();        // true when logged in with an "sftp" subsystem
  bool WaitForSftp();  // the part of LogIn after the key exchange
  void StartSftp();
  Turn ServeSftp();
  bool Quiet();  // nothing received, half-received or waiting to be sent, here or in libssh
  void EndSftp(const std::string& ended, bool clean);
  void WaitForClientToLeave();
  bool Send(const std::string& bytes);
  void Log(const std::string& line) const { ctx_.Log("sftp " + id_ + " " + ip_ + ": " + line); }

  const SftpContext& ctx_;
  ssh_session session_;
  const std::string ip_;
  const std::string id_;

  ssh_server_callbacks_struct server_callbacks_{};
  ssh_channel_callbacks_struct channel_callbacks_{};
  ssh_channel channel_ = nullptr;
  const UserConfig* user_ = nullptr;
  bool sftp_requested_ = false;
  int failed_attempts_ = 0;       // refused passwords and signatures, locked-out tries included
  bool failure_counted_ = false;  // Users has counted a failure of this connection
  bool locked_out_ = false;

  // The SFTP session, kept here from one turn to the next.
  Phase phase_ = Phase::kLogin;
  std::unique_ptr<FileSession> files_;
  std::unique_ptr<SftpHandler> handler_;
  std::unique_ptr<char[]> big_;  // the 2 MiB read buffer, while data flows
  std::string in_;               // received, not yet a whole SFTP packet
  std::string out_;              // answers not yet sent
  uint32_t since_refill_ = kWindowRefill;
  Clock::time_point last_packet_;
};

using Connection = SftpConnection::Impl;

int Connection::AfterLogin(const Login& login, std::string_view user, const char* method) {
  switch (login.result) {
    case LoginResult::kAccepted:
      user_ = login.user;
      Log(fmt::format("logged in as {} ({})", user_->name, method));
      return SSH_AUTH_SUCCESS;
    case LoginResult::kLockedOut:
      locked_out_ = true;
      ++failed_attempts_;
      Log(fmt::format("{} login as '{}' refused: {}", method, user.substr(0, 100), login.reason));
      return SSH_AUTH_DENIED;
    case LoginResult::kRejected:
      failure_counted_ = true;
      ++failed_attempts_;
      Log(fmt::format("{} login refused: {}", method, login.reason));
      return SSH_AUTH_DENIED;
  }
  return SSH_AUTH_DENIED;
}

int Connection::OnPassword(ssh_session, const char* user, const char* password, void* self) {
  auto* c = static_cast<Connection*>(self);
  if (c->user_ != nullptr) return SSH_AUTH_DENIED;  // already logged in
  Login login = c->ctx_.users.Authenticate(user, password, c->ip_, FileProtocol::kSftp);
  return c->AfterLogin(login, user, "password");
}

int Connection::OnPublicKey(ssh_session, const char* user, ssh_key key, char state, void* self) {
  auto* c = static_cast<Connection*>(self);
  if (c->user_ != nullptr) return SSH_AUTH_DENIED;
  if (state != SSH_PUBLICKEY_STATE_NONE && state != SSH_PUBLICKEY_STATE_VALID) {
    ++c->failed_attempts_;
    c->Log(fmt::format("publickey login as '{}' refused: the signature is not valid",
                       std::string_view(user).substr(0, 100)));
    return SSH_AUTH_DENIED;
  }
  // The key in wire format, as Users compares it: libssh 0.10 exports it only as base64.
  char* base64 = nullptr;
  if (ssh_pki_export_pubkey_base64(key, &base64) != SSH_OK) return SSH_AUTH_DENIED;
  std::string line = fmt::format("{} {}", ssh_key_type_to_char(ssh_key_type(key)), base64);
  ssh_string_free_char(base64);
  auto parsed = ParseSshPublicKey(line);
  if (!parsed.ok()) return SSH_AUTH_DENIED;  // a key type no user can have

  KeyStage stage = state == SSH_PUBLICKEY_STATE_NONE ? KeyStage::kProbe : KeyStage::kSigned;
  Login login = c->ctx_.users.AuthenticateKey(user, parsed->blob, c->ip_, stage);
  if (stage == KeyStage::kProbe) {
    // "Would this key do?" Not a login yet, and not a failure when the answer is no.
    if (login.result == LoginResult::kLockedOut) c->locked_out_ = true;
    return login.accepted() ? SSH_AUTH_SUCCESS : SSH_AUTH_DENIED;
  }
  return c->AfterLogin(login, user, "publickey");
}

ssh_channel Connection::OnChannelOpen(ssh_session session, void* self) {
  auto* c = static_cast<Connection*>(self);
  if (c->user_ == nullptr || c->channel_ != nullptr) return nullptr;  // one session channel
  c->channel_ = ssh_channel_new(session);
  if (c->channel_ == nullptr) return nullptr;
  ssh_callbacks_init(&c->channel_callbacks_);
  c->channel_callbacks_.userdata = c;
  c->channel_callbacks_.channel_subsystem_request_function = &Connection::OnSubsystem;
  ssh_set_channel_callbacks(c->channel_, &c->channel_callbacks_);
  return c->channel_;
}

// Only the "sftp" subsystem; shells, commands and port forwarding get libssh's default refusal.
int Connection::OnSubsystem(ssh_session, ssh_channel, const char* subsystem, void* self) {
  auto* c = static_cast<Connection*>(self);
  if (std::strcmp(subsystem, "sftp") != 0 || c->sftp_requested_) {
    c->Log(fmt::format("subsystem '{}' refused: only sftp is served",
                       std::string_view(subsystem).substr(0, 100)));
    return SSH_ERROR;
  }
  c->sftp_requested_ = true;
  return SSH_OK;
}

bool Connection::WaitForSftp() {
  ssh_event event = ssh_event_new();
  if (event == nullptr || ssh_event_add_session(event, session_) != SSH_OK) {
    if (event != nullptr) ssh_event_free(event);
    Log("cannot poll the connection (out of memory)");
    return false;
  }
  auto deadline = Clock::now() + ctx_.options.login_timeout;
  bool ready = false;
  for (;;) {
    if (user_ != nullptr && sftp_requested_) {
      ready = true;
      break;
    }
    if (ctx_.stopping.load()) break;
    if (Clock::now() >= deadline) {
      Log(fmt::format("no SFTP session within {} s of connecting; closing",
                      ctx_.options.login_timeout.count()));
      break;
    }
    if (failed_attempts_ >= ctx_.options.max_auth_attempts) {
      Log(fmt::format("{} failed login attempts; closing", failed_attempts_));
      break;
    }
    if (ssh_event_dopoll(event, kPollMs) == SSH_ERROR) break;
    if (ssh_get_status(session_) & (SSH_CLOSED | SSH_CLOSED_ERROR)) break;
  }
  ssh_event_remove_session(event, session_);
  ssh_event_free(event);
  return ready;
}

bool Connection::Send(const std::string& bytes) {
  size_t at = 0;
  while (at < bytes.size()) {
    auto n = static_cast<uint32_t>(std::min<size_t>(bytes.size() - at, 1u << 30));
    int wrote = ssh_channel_write(channel_, bytes.data() + at, n);
    if (wrote == SSH_ERROR || wrote < 0) return false;
    at += static_cast<size_t>(wrote);
  }
  return true;
}

void Connection::StartSftp() {
  SessionInfo info = ctx_.options.session_defaults;
  info.protocol = FileProtocol::kSftp;
  info.session_id = id_;
  info.client_ip = ip_;
  files_ = std::make_unique<FileSession>(ctx_.store, *user_, std::move(info));
  handler_ = std::make_unique<SftpHandler>(*files_, SftpHandlerOptions{ctx_.options.statvfs_path});
  // A stalled write gives up after the idle timeout too.
  long write_timeout = static_cast<long>(ctx_.options.idle_timeout.count());
  ssh_options_set(session_, SSH_OPTIONS_TIMEOUT, &write_timeout);
  last_packet_ = Clock::now();
}

// Whether the session may wait without a thread: nothing half-received (here, or a partial SSH
// packet in libssh's input buffer), nothing to send (here, or in libssh's output buffer, which
// only a thread in libssh's poll would flush), and no channel data that libssh has read from the
// socket already. Then the next thing to happen makes the socket readable.
bool Connection::Quiet() {
  if (!in_.empty() || !out_.empty()) return false;
  if (ssh_channel_poll(channel_, 0) != 0) return false;  // data, the end, or an error: read on
  if (ssh_get_status(session_) & (SSH_READ_PENDING | SSH_CLOSED | SSH_CLOSED_ERROR)) return false;
  return !(ssh_get_poll_flags(session_) & SSH_WRITE_PENDING);
}

SftpConnection::Turn Connection::ServeSftp() {
  // The 2 MiB buffer exists while data flows; a quiet connection waits with 16 KiB on the stack.
  char small[16 * 1024];
  bool flowing = false;
  int quiet_turns = 0;
  std::string ended = "the client closed the session";
  bool clean = false;
  while (!ctx_.stopping.load()) {
    char* into = small;
    uint32_t ask = sizeof small;
    if (flowing) {
      if (!big_) big_ = std::make_unique_for_overwrite<char[]>(kWindow);
      into = big_.get();
      ask = since_refill_ >= kWindowRefill ? kWindow : kSmallRead;
    }
    int n = ssh_channel_read_timeout(channel_, into, ask, 0, kPollMs);
    if (n == SSH_ERROR) {
      ended = fmt::format("the connection broke ({})", ssh_get_error(session_));
      break;
    }
    if (n <= 0) {  // nothing within kPollMs, or the end
      if (ssh_get_status(session_) & (SSH_CLOSED | SSH_CLOSED_ERROR)) {
        ended = "the connection closed without ending the session";
        break;
      }
      if (ssh_channel_is_eof(channel_) || ssh_channel_is_closed(channel_)) {
        clean = true;
        break;
      }
      if (Clock::now() - last_packet_ >= ctx_.options.idle_timeout) {
        ended = fmt::format("idle for {} s; closed", ctx_.options.idle_timeout.count());
        break;
      }
      if (flowing) {  // a pause: give the buffers back until data flows again
        flowing = false;
        big_.reset();
        in_.shrink_to_fit();
        out_.shrink_to_fit();
      }
      if (++quiet_turns >= kQuietTurnsBeforeIdle && Quiet()) return Turn::kIdle;
      continue;
    }
    flowing = true;
    quiet_turns = 0;
    since_refill_ = ask == kWindow ? static_cast<uint32_t>(n) : since_refill_ + n;
    last_packet_ = Clock::now();
    in_.append(into, static_cast<size_t>(n));

    size_t at = 0;
    std::string error;
    bool fatal = false;
    for (;;) {
      size_t used = 0;
      auto packet =
          sftp::NextPacket(std::string_view(in_).substr(at), kSftpMaxPacket, &used, &error);
      if (!packet) {
        fatal = !error.empty();
        break;
      }
      at += used;
      Status handled = handler_->Handle(*packet, out_);
      if (!handled.ok()) {
        error = handled.error().message;
        fatal = true;
        break;
      }
      // Answers go out as they grow past 1 MiB: 64 pipelined READs would otherwise make 16 MiB.
      if (out_.size() >= kFlushAt) {
        if (!Send(out_)) break;
        out_.clear();
      }
    }
    in_.erase(0, at);
    if (!out_.empty() && Send(out_)) out_.clear();
    if (!out_.empty()) {
      ended = fmt::format("the connection broke while answering ({})", ssh_get_error(session_));
      break;
    }
    if (fatal) {
      ended = "protocol error: " + error;
      break;
    }
  }
  if (ctx_.stopping.load()) ended = "the server is stopping";
  EndSftp(ended, clean);
  return Turn::kEnded;
}

void Connection::EndSftp(const std::string& ended, bool clean) {
  size_t open = handler_->open_handles();
  handler_->Close();  // uploads still open are given up: nothing half-written is stored
  Log(fmt::format("session of {} ended: {}{}", user_->name, ended,
                  open ? fmt::format(" ({} handles were open)", open) : ""));
  big_.reset();
  in_.clear();
  out_.clear();
  if (clean) {
    ssh_channel_request_send_exit_status(channel_, 0);
    ssh_channel_send_eof(channel_);
    ssh_channel_close(channel_);
    WaitForClientToLeave();
  }
}

// The client closes the connection once it has the channel's close; a server that disconnects
// first makes OpenSSH's client print "Connection closed by remote host".
void Connection::WaitForClientToLeave() {
  ssh_event event = ssh_event_new();
  if (event == nullptr) return;
  if (ssh_event_add_session(event, session_) == SSH_OK) {
    auto deadline = Clock::now() + std::chrono::seconds(2);
    while (!ctx_.stopping.load() && Clock::now() < deadline &&
           !(ssh_get_status(session_) & (SSH_CLOSED | SSH_CLOSED_ERROR))) {
      if (ssh_event_dopoll(event, 100) == SSH_ERROR) break;
    }
    ssh_event_remove_session(event, session_);
  }
  ssh_event_free(event);
}

bool Connection::LogIn() {
  ssh_set_auth_methods(session_, SSH_AUTH_METHOD_PASSWORD | SSH_AUTH_METHOD_PUBLICKEY);
  ssh_callbacks_init(&server_callbacks_);
  server_callbacks_.userdata = this;
  server_callbacks_.auth_password_function = &Connection::OnPassword;
  server_callbacks_.auth_pubkey_function = &Connection::OnPublicKey;
  server_callbacks_.channel_open_request_session_function = &Connection::OnChannelOpen;
  ssh_set_server_callbacks(session_, &server_callbacks_);
  long login_timeout = static_cast<long>(ctx_.options.login_timeout.count());
  ssh_options_set(session_, SSH_OPTIONS_TIMEOUT, &login_timeout);

  if (ssh_handle_key_exchange(session_) != SSH_OK) {
    // Not an SSH client, or one that went away: nothing was tried, nothing is counted.
    if (!ctx_.stopping.load()) Log(fmt::format("key exchange failed: {}", ssh_get_error(session_)));
  } else if (WaitForSftp()) {
    return true;
  } else if (ctx_.stopping.load()) {
    // The server is stopping: nothing to count.
  } else if (user_ != nullptr) {
    Log(fmt::format("{} logged in but closed without starting SFTP", user_->name));
  } else if (!failure_counted_ && !locked_out_) {
    // Closed without logging in, after key probes or nothing: one failure per connection.
    ctx_.users.RecordFailedConnection(ip_);
    Log("closed without logging in");
  }
  return false;
}

SftpConnection::Turn Connection::Run() {
  if (phase_ == Phase::kLogin) {
    if (!LogIn()) {
      phase_ = Phase::kEnded;
      return Turn::kEnded;
    }
    StartSftp();
    phase_ = Phase::kServing;
  }
  if (phase_ == Phase::kEnded) return Turn::kEnded;
  Turn turn = ServeSftp();
  if (turn == Turn::kEnded) phase_ = Phase::kEnded;
  return turn;
}

void SftpContext::Log(const std::string& line) const {
  if (options.log) {
    options.log(line);
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
}

SftpConnection::SftpConnection(const SftpContext& ctx, ssh_session session, std::string client_ip,
                               std::string session_id)
    : impl_(std::make_unique<Impl>(ctx, session, std::move(client_ip), std::move(session_id))) {}

SftpConnection::~SftpConnection() = default;

SftpConnection::Turn SftpConnection::Run() { return impl_->Run(); }

std::chrono::steady_clock::time_point SftpConnection::idle_deadline() const {
  return impl_->idle_deadline();
}

}  // namespace wharf::ingest::internal
