// The SFTP server's listener, accept loop and connection threads (see sftp_server.h); one
// connection is sftp_connection.cc.
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

#include <atomic>
#include <cerrno>
#include <cstring>
#include <list>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "ingest/sftp_connection.h"

namespace wharf::ingest {
namespace {

Error Fail(std::string message) { return MakeError(kSftpServerError, std::move(message)); }

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
  struct Connection {
    std::thread thread;
    int fd = -1;  // -1 once the connection's thread closes it (guarded by Impl::mu)
    std::atomic<bool> done{false};
  };

  Impl(SftpServerOptions o, Users& u, objects::ObjectStore& s)
      : options(std::move(o)), users(u), store(s), context{options, users, store, stopping} {}

  Status Listen();
  void AcceptLoop();
  void Accept();
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
  int wake_fd = -1;
  uint16_t port = 0;
  bool started = false;
  std::thread accept_thread;

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
  std::string id = NewSessionId();
  std::lock_guard lock(mu);
  connections.push_back(std::move(connection));
  c->thread = std::thread([this, c, session, ip, id] {
    internal::RunSftpConnection(context, session, ip, id);
    {
      std::lock_guard inner(mu);
      c->fd = -1;  // Stop must not shut down a number the system may give to another socket
    }
    ssh_disconnect(session);
    ssh_free(session);
    c->done.store(true);
  });
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
  if (s.wake_fd < 0) return Fail(fmt::format("eventfd: {}", std::strerror(errno)));
  s.started = true;
  s.Log(fmt::format("sftp: listening at {} with host key {} ({}{})", address(),
                    s.host_key.fingerprint, s.options.host_key,
                    s.host_key.created ? ", created now" : ""));
  s.accept_thread = std::thread([&s] { s.AcceptLoop(); });
  return {};
}

void SftpServer::Stop() {
  Impl& s = *impl_;
  if (!s.stopping.exchange(true) && s.started) {
    uint64_t one = 1;
    (void)!::write(s.wake_fd, &one, sizeof one);
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
  s.Reap(/*all=*/true);
  if (s.wake_fd >= 0) {
    ::close(s.wake_fd);
    s.wake_fd = -1;
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

}  // namespace wharf::ingest
