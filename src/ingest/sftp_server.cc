// The SFTP server's listener, accept loop, connection threads and the parker of idle sessions
// (see sftp_server.h); one connection is sftp_connection.cc.
#include "ingest/sftp_server.h"

#include <arpa/inet.h>
#include <libssh/libssh.h>
#include <libssh/server.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "ingest/sftp_connection.h"

namespace wharf::ingest {
namespace {

using Clock = std::chrono::steady_clock;

Error Fail(std::string message) { return MakeError(kSftpServerError, std::move(message)); }

void Signal(int event_fd) {
  uint64_t one = 1;
  (void)!::write(event_fd, &one, sizeof one);
}

// "b5a2c3d4e5f60718": 64 random bits, the form of the sessions' ids in the events.
std::string NewSessionId() {
  uint64_t bits = 0;
  if (getrandom(&bits, sizeof bits, 0) != sizeof bits) {
    bits = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  }
  return fmt::format("{:016x}", bits);
}

std::string PeerAddress(const sockaddr_storage& peer) {
  char text[INET6_ADDRSTRLEN] = "";
  if (peer.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(peer).sin_addr, text, sizeof text);
  } else if (peer.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(peer).sin6_addr, text, sizeof text);
  }
  return text;
}

}  // namespace

struct SftpServer::Impl {
  // A connection is served by one thread at a time, or by none while it is parked. The thread
  // that parks it returns; the parker starts the next one, which joins its predecessor first,
  // so every thread is joined and `sftp` is never used by two threads at once (the hand-over
  // goes through `mu`).
  struct Connection {
    std::thread thread;   // the one serving it, or the last one (while parked)
    int fd = -1;          // -1 once the connection is closed (guarded by Impl::mu)
    bool parked = false;  // no thread serves it; the parker watches `fd` (guarded by mu)
    Clock::time_point idle_deadline;  // while parked (guarded by mu)
    std::unique_ptr<internal::SftpConnection> sftp;
    std::atomic<bool> done{false};
  };

  Impl(SftpServerOptions o, Users& u, objects::ObjectStore& s)
      : options(std::move(o)), users(u), store(s), context{options, users, store, stopping} {}

  Status Listen();
  void AcceptLoop();
  void Accept();
  void Serve(Connection* c);
  bool Park(Connection* c);
  void StartThread(Connection* c);
  void ParkLoop();
  void Reap(bool all);
  void Log(const std::string& line) const { context.Log(line); }

  SftpServerOptions options;
  Users& users;
  objects::ObjectStore& store;
  std::atomic<bool> stopping{false};
  internal::SftpContext context;

  HostKey host_key;
  ssh_bind bind = nullptr;
  int listen_fd = -1;
  int wake_fd = -1;  // eventfd: wakes the accept thread to stop
  int park_fd = -1;  // eventfd: wakes the parker (a connection was parked, or Stop)
  uint16_t port = 0;
  bool started = false;
  std::thread accept_thread;
  std::thread park_thread;

  mutable std::mutex mu;
  std::list<std::unique_ptr<Connection>> connections;
};

Status SftpServer::Impl::Listen() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string port_text = std::to_string(options.listen.port);
  int rc = getaddrinfo(options.listen.host.empty() ? nullptr : options.listen.host.c_str(),
                       port_text.c_str(), &hints, &found);
  if (rc != 0) {
    return Fail(
        fmt::format("cannot listen at {}: {}", options.listen.ToString(), gai_strerror(rc)));
  }
  std::string last_error = "no address";
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, 128) != 0) {
      last_error = std::strerror(errno);
      ::close(fd);
      continue;
    }
    sockaddr_storage bound{};
    socklen_t length = sizeof bound;
    getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
    port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6&>(bound).sin6_port
                                             : reinterpret_cast<sockaddr_in&>(bound).sin_port);
    listen_fd = fd;
    break;
  }
  freeaddrinfo(found);
  if (listen_fd < 0) {
    return Fail(fmt::format("cannot listen at {}: {}", options.listen.ToString(), last_error));
  }
  return {};
}

void SftpServer::Impl::AcceptLoop() {
  pollfd fds[2] = {{listen_fd, POLLIN, 0}, {wake_fd, POLLIN, 0}};
  while (!stopping.load()) {
    int ready = ::poll(fds, 2, 1000);
    Reap(false);
    if (ready <= 0) continue;
    if (fds[1].revents != 0) break;
    if (fds[0].revents & POLLIN) Accept();
  }
}

void SftpServer::Impl::Accept() {
  sockaddr_storage peer{};
  socklen_t length = sizeof peer;
  int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer), &length, SOCK_CLOEXEC);
  if (fd < 0) {
    if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
      Log(fmt::format("sftp: accept failed: {}", std::strerror(errno)));
      if (errno == EMFILE || errno == ENFILE)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return;
  }
  std::string ip = PeerAddress(peer);
  {
    std::lock_guard lock(mu);
    if (connections.size() >= static_cast<size_t>(options.max_sessions)) {
      Log(fmt::format("sftp: connection from {} refused: {} connections are open already", ip,
                      options.max_sessions));
      ::close(fd);
      return;
    }
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // replies are small and many

  ssh_session session = ssh_new();
  if (session == nullptr || ssh_bind_accept_fd(bind, session, fd) != SSH_OK) {
    Log(fmt::format("sftp: cannot start a session for {}: {}", ip,
                    session ? ssh_get_error(bind) : "out of memory"));
    bool owned = session != nullptr && ssh_get_fd(session) == fd;
    if (session != nullptr) ssh_free(session);
    if (!owned) ::close(fd);
    return;
  }
  auto connection = std::make_unique<Connection>();
  Connection* c = connection.get();
  c->fd = fd;
  c->sftp = std::make_unique<internal::SftpConnection>(context, session, ip, NewSessionId());
  std::lock_guard lock(mu);
  connections.push_back(std::move(connection));
  StartThread(c);
}

// The body of a connection's threads: serves it until it ends or is parked.
void SftpServer::Impl::Serve(Connection* c) {
  while (c->sftp->Run() == internal::SftpConnection::Turn::kIdle) {
    if (Park(c)) return;  // the parker has it now; this thread ends
  }
  {
    std::lock_guard lock(mu);
    c->fd = -1;  // Stop must not shut down a number the system may give to another socket
  }
  c->sftp.reset();  // disconnects and frees the session, which closes its socket
  c->done.store(true);
}

// Hands an idle connection to the parker; false when the server is stopping (the caller runs
// the connection again, and it ends at once).
bool SftpServer::Impl::Park(Connection* c) {
  std::lock_guard lock(mu);
  if (stopping.load()) return false;
  c->parked = true;
  c->idle_deadline = c->sftp->idle_deadline();
  Signal(park_fd);
  return true;
}

// REQUIRES: mu held; `c` is new or was parked (no thread of its own runs it).
void SftpServer::Impl::StartThread(Connection* c) {
  c->parked = false;
  c->thread = std::thread([this, c, previous = std::move(c->thread)]() mutable {
    if (previous.joinable()) previous.join();  // the thread that parked it, returning
    Serve(c);
  });
}

// The parker: one thread that polls the sockets of every parked connection and starts a thread
// for each that becomes readable, reaches its idle deadline (it then ends itself for idling), or
// when the server stops (it then ends at once).
void SftpServer::Impl::ParkLoop() {
  std::vector<pollfd> fds;
  std::vector<Connection*> watched;
  for (;;) {
    fds.assign(1, pollfd{park_fd, POLLIN, 0});
    watched.clear();
    auto now = Clock::now();
    auto wake_at = now + std::chrono::minutes(10);
    bool stop;
    {
      std::lock_guard lock(mu);
      stop = stopping.load();
      for (auto& c : connections) {
        if (!c->parked) continue;
        if (stop || c->idle_deadline <= now) {
          StartThread(c.get());
          continue;
        }
        fds.push_back(pollfd{c->fd, POLLIN, 0});
        watched.push_back(c.get());
        wake_at = std::min(wake_at, c->idle_deadline);
      }
    }
    if (stop) return;  // Park refuses from now on, and every parked connection has a thread
    auto wait = std::chrono::ceil<std::chrono::milliseconds>(wake_at - now);
    int ready = ::poll(fds.data(), fds.size(), static_cast<int>(wait.count()));
    if (ready <= 0) continue;
    if (fds[0].revents != 0) {
      uint64_t count;
      (void)!::read(park_fd, &count, sizeof count);
    }
    std::lock_guard lock(mu);
    for (size_t i = 1; i < fds.size(); ++i) {
      // Readable, or hung up: either way the connection's thread finds out what happened.
      if (fds[i].revents != 0 && watched[i - 1]->parked) StartThread(watched[i - 1]);
    }
  }
}

void SftpServer::Impl::Reap(bool all) {
  std::list<std::unique_ptr<Connection>> finished;
  {
    std::lock_guard lock(mu);
    for (auto it = connections.begin(); it != connections.end();) {
      if (all || (*it)->done.load()) {
        finished.push_back(std::move(*it));
        it = connections.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& c : finished) c->thread.join();
}

// --- SftpServer ----------------------------------------------------------------------------

SftpServerOptions SftpServerOptionsFrom(const SftpServerConfig& config,
                                        const std::string& data_dir) {
  SftpServerOptions options;
  options.listen = config.listen;
  options.host_key = config.host_key.empty() ? data_dir + "/ssh_host_ed25519_key" : config.host_key;
  options.idle_timeout = config.idle_timeout;
  options.statvfs_path = data_dir;
  return options;
}

SftpServer::SftpServer(SftpServerOptions options, Users& users, objects::ObjectStore& store)
    : impl_(std::make_unique<Impl>(std::move(options), users, store)) {}

SftpServer::~SftpServer() { Stop(); }

Status SftpServer::Start() {
  Impl& s = *impl_;
  if (s.started) return Fail("the SFTP server is already started");
  WHARF_TRY(s.host_key, LoadOrCreateHostKey(s.options.host_key));
  ssh_key key = nullptr;
  if (ssh_pki_import_privkey_file(s.options.host_key.c_str(), nullptr, nullptr, nullptr, &key) !=
      SSH_OK) {
    return Fail(fmt::format("cannot read the host key {}", s.options.host_key));
  }
  s.bind = ssh_bind_new();
  bool no_config = false;  // not /etc/ssh/libssh_server_config: the project file decides
  int quiet = SSH_LOG_NOLOG;
  if (s.bind == nullptr ||
      ssh_bind_options_set(s.bind, SSH_BIND_OPTIONS_PROCESS_CONFIG, &no_config) != SSH_OK ||
      ssh_bind_options_set(s.bind, SSH_BIND_OPTIONS_LOG_VERBOSITY, &quiet) != SSH_OK ||
      ssh_bind_options_set(s.bind, SSH_BIND_OPTIONS_IMPORT_KEY, key) != SSH_OK) {  // takes key
    if (s.bind == nullptr) ssh_key_free(key);
    return Fail(fmt::format("cannot use the host key {}: {}", s.options.host_key,
                            s.bind ? ssh_get_error(s.bind) : "out of memory"));
  }
  WHARF_TRY_STATUS(s.Listen());
  s.wake_fd = ::eventfd(0, EFD_CLOEXEC);
  s.park_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (s.wake_fd < 0 || s.park_fd < 0) {
    return Fail(fmt::format("eventfd: {}", std::strerror(errno)));
  }
  s.started = true;
  s.Log(fmt::format("sftp: listening at {} with host key {} ({}{})", address(),
                    s.host_key.fingerprint, s.options.host_key,
                    s.host_key.created ? ", created now" : ""));
  s.park_thread = std::thread([&s] { s.ParkLoop(); });
  s.accept_thread = std::thread([&s] { s.AcceptLoop(); });
  return {};
}

void SftpServer::Stop() {
  Impl& s = *impl_;
  if (!s.stopping.exchange(true) && s.started) {
    Signal(s.wake_fd);
    Signal(s.park_fd);
  }
  if (s.accept_thread.joinable()) s.accept_thread.join();
  if (s.listen_fd >= 0) {
    ::close(s.listen_fd);
    s.listen_fd = -1;
  }
  {
    // Wakes connections blocked in a read or write at once; they also see `stopping` within
    // a poll interval.
    std::lock_guard lock(s.mu);
    for (auto& c : s.connections) {
      if (c->fd >= 0) ::shutdown(c->fd, SHUT_RDWR);
    }
  }
  // The parker starts a thread for every parked connection, which ends it as the running ones
  // end ("the server is stopping", open uploads given up); then all threads are joined.
  if (s.park_thread.joinable()) s.park_thread.join();
  s.Reap(/*all=*/true);
  for (int* fd : {&s.wake_fd, &s.park_fd}) {
    if (*fd >= 0) {
      ::close(*fd);
      *fd = -1;
    }
  }
  if (s.bind != nullptr) {
    ssh_bind_free(s.bind);
    s.bind = nullptr;
  }
}

uint16_t SftpServer::port() const { return impl_->port; }

std::string SftpServer::address() const {
  ListenAddress a = impl_->options.listen;
  a.port = impl_->port;
  return a.ToString();
}

const HostKey& SftpServer::host_key() const { return impl_->host_key; }

size_t SftpServer::active_sessions() const {
  std::lock_guard lock(impl_->mu);
  size_t n = 0;
  for (auto& c : impl_->connections) n += c->done.load() ? 0 : 1;
  return n;
}

size_t SftpServer::serving_threads() const {
  std::lock_guard lock(impl_->mu);
  size_t n = 0;
  for (auto& c : impl_->connections) n += c->done.load() || c->parked ? 0 : 1;
  return n;
}

}  // namespace wharf::ingest
