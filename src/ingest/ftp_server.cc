// The FTP server's listener, its TLS context and its threads (see ftp_server.h), and Channel
// (ftp_internal.h).
#include "ingest/ftp_server.h"

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <exception>
#include <filesystem>

#include <fmt/format.h>

#include "ingest/ftp_internal.h"

namespace wharf::ingest {

using namespace ftp;  // NOLINT(google-build-using-namespace): the parts of this server

namespace ftp {

asio::ip::address Unmapped(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

bool Channel::resumed() const {
  return tls_ && SSL_session_reused(const_cast<ssl::stream<tcp::socket>&>(*tls_).native_handle());
}

asio::awaitable<error_code> Channel::Handshake(ssl::context& context, Kind kind) {
  tls_.emplace(std::move(plain_), context);
  // No TLS 1.3 session tickets on data connections: a client that only uploads never reads
  // them, and closing a socket with unread bytes sends a reset that discards the end of the
  // upload. Clients resume the control connection's session, which has its tickets.
  if (kind == Kind::kData) SSL_set_num_tickets(tls_->native_handle(), 0);
  auto [ec] = co_await tls_->async_handshake(ssl::stream_base::server, kAwaitTuple);
  co_return ec;
}

asio::awaitable<std::tuple<error_code, size_t>> Channel::ReadSome(asio::mutable_buffer buffer) {
  if (tls_) co_return co_await tls_->async_read_some(buffer, kAwaitTuple);
  co_return co_await plain_.async_read_some(buffer, kAwaitTuple);
}

asio::awaitable<error_code> Channel::Write(asio::const_buffer buffer) {
  if (tls_) {
    auto [ec, n] = co_await asio::async_write(*tls_, buffer, kAwaitTuple);
    co_return ec;
  }
  auto [ec, n] = co_await asio::async_write(plain_, buffer, kAwaitTuple);
  co_return ec;
}

asio::awaitable<void> Channel::Shutdown() {
  if (tls_ && socket().is_open()) {
    Deadline deadline(socket().get_executor(), kShutdownTimeout, [this] { Close(); });
    (void)co_await tls_->async_shutdown(kAwaitTuple);
  }
  Close();
}

void Channel::Close() {
  error_code ignored;
  tcp::socket& s = socket();
  if (s.is_open()) {
    s.shutdown(tcp::socket::shutdown_both, ignored);
    s.close(ignored);
  }
}

}  // namespace ftp

namespace {

// "s-" and 17 hex digits from a hash of what identifies this server on this machine.
std::string DeriveServerId(const std::string& data_dir, const std::string& listen) {
  std::string seed = "wharf-ftp\n" + data_dir + "\n" + listen;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(seed.data(), seed.size(), digest, &length, EVP_sha256(), nullptr);
  std::string out = "s-";
  for (unsigned int i = 0; out.size() < 19; ++i) out += fmt::format("{:02x}", digest[i]);
  return out.substr(0, 19);
}

}  // namespace

asio::awaitable<void> FtpServer::Impl::Accept() {
  for (;;) {
    // Connections are dealt to the network threads in turn; each stays on its thread.
    asio::io_context& home = *contexts[next_context++ % contexts.size()];
    auto [ec, socket] = co_await acceptor->async_accept(home, kAwaitTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
      // Out of descriptors or a connection that died in the queue: wait a little, go on.
      Log("ftp: accept failed: " + ec.message());
      asio::steady_timer pause(*contexts[0], std::chrono::milliseconds(100));
      co_await pause.async_wait(kAwaitTuple);
      continue;
    }
    if (sessions.load() >= static_cast<size_t>(options.max_sessions)) {
      auto refused = std::make_shared<tcp::socket>(std::move(socket));
      static const std::string kBusy = "421 Too many connections; try again later.\r\n";
      asio::async_write(*refused, asio::buffer(kBusy), [refused](error_code, size_t) {
        error_code ignored;
        refused->close(ignored);
      });
      continue;
    }
    auto session = std::make_shared<Session>(*this, std::move(socket));
    asio::co_spawn(
        session->executor(), [session]() -> asio::awaitable<void> { co_await session->Run(); },
        [this](const std::exception_ptr& e) {
          if (!e) return;
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            Log(std::string("ftp: a session ended with an internal error: ") + ex.what());
          } catch (...) {
            Log("ftp: a session ended with an internal error");
          }
        });
  }
}

FtpServer::FtpServer(FtpServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

FtpServer::~FtpServer() { Stop(); }

Status FtpServer::Start() {
  Impl& s = *impl_;
  if (s.started) return MakeError("InvalidArgument", "the FTP server was already started");
  if (s.options.store == nullptr || s.options.users == nullptr) {
    return MakeError("InvalidArgument", "the FTP server needs an object store and users");
  }
  const FtpServerConfig& config = s.options.config;
  std::string where = config.where.empty() ? "servers.ftp" : config.where;
  if (config.passive_port_min > config.passive_port_max) {
    return MakeError("InvalidArgument",
                     fmt::format("{}: the passive port range {}-{} is empty", where,
                                 config.passive_port_min, config.passive_port_max));
  }
  if (!config.public_address.empty()) {
    error_code ec;
    auto address = asio::ip::make_address_v4(config.public_address, ec);
    if (ec) {
      return MakeError("InvalidArgument",
                       where + ": public_address '" + config.public_address +
                           "' is not an IPv4 address (PASV replies can only carry IPv4)");
    }
    s.public_address = address;
  }

  // The certificate, and a TLS context for the control and data connections.
  auto material =
      LoadOrCreateCertificate(config.certificate, config.private_key, s.options.data_dir);
  if (!material.ok()) return std::move(material).error();
  s.tls_material = std::move(*material);
  try {
    s.tls = std::make_unique<ssl::context>(ssl::context::tls_server);
    s.tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::single_dh_use);
    s.tls->use_certificate_chain(asio::buffer(s.tls_material.certificate_pem));
    s.tls->use_private_key(asio::buffer(s.tls_material.private_key_pem), ssl::context::pem);
    SSL_CTX* ctx = s.tls->native_handle();
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    // Data connections may resume the control connection's session (curl and lftp offer it):
    // a server-side session cache under one context id, and TLS 1.3 tickets.
    static const unsigned char kSessionContext[] = "wharf-ftp";
    SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof(kSessionContext) - 1);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    SSL_CTX_set_timeout(ctx, 3600);
  } catch (const boost::system::system_error& e) {
    return MakeError(kCertificateError,
                     s.tls_material.certificate_file + ": cannot be used for TLS: " + e.what());
  }

  // The listener.
  try {
    int threads = s.options.network_threads > 0
                      ? s.options.network_threads
                      : std::max(4, static_cast<int>(std::thread::hardware_concurrency()));
    for (int i = 0; i < threads; ++i) s.contexts.push_back(std::make_unique<asio::io_context>(1));
    tcp::resolver resolver(*s.contexts[0]);
    auto endpoints = resolver.resolve(config.listen.host, std::to_string(config.listen.port),
                                      tcp::resolver::passive | tcp::resolver::numeric_service);
    if (endpoints.empty()) throw std::runtime_error("no address");
    tcp::endpoint endpoint = *endpoints.begin();
    s.acceptor.emplace(*s.contexts[0]);
    s.acceptor->open(endpoint.protocol());
    s.acceptor->set_option(tcp::acceptor::reuse_address(true));
    s.acceptor->bind(endpoint);
    s.acceptor->listen(asio::socket_base::max_listen_connections);
    tcp::endpoint bound = s.acceptor->local_endpoint();
    s.bound_port = bound.port();
    std::string host = bound.address().to_string();
    s.bound_address = bound.address().is_v6() ? "[" + host + "]:" + std::to_string(bound.port())
                                              : host + ":" + std::to_string(bound.port());
  } catch (const std::exception& e) {
    s.acceptor.reset();
    return MakeError("ListenFailed",
                     where + ": cannot listen on " + config.listen.ToString() + ": " + e.what());
  }
  s.server_id = s.options.server_id.empty()
                    ? DeriveServerId(s.options.data_dir, config.listen.ToString())
                    : s.options.server_id;
  s.Log(fmt::format("ftp: listening on {}; TLS certificate {}{}, {}", s.bound_address,
                    s.tls_material.certificate_file,
                    s.tls_material.created ? " (self-signed, made now)" : "",
                    s.tls_material.fingerprint));
  s.pool.emplace(static_cast<size_t>(std::max(1, s.options.worker_threads)));
  s.started = true;
  asio::co_spawn(*s.contexts[0], s.Accept(), [](const std::exception_ptr&) {});
  for (auto& context : s.contexts) {
    s.threads.emplace_back([&s, &ioc = *context] {
      // A thread's first session may come later; until Stop, run() waits for it.
      auto keep_running = asio::make_work_guard(ioc);
      for (;;) {
        try {
          ioc.run();
          return;
        } catch (const std::exception& e) {
          s.Log(std::string("ftp: internal error on a network thread: ") + e.what());
        }
      }
    });
  }
  return {};
}

void FtpServer::Stop() {
  Impl& s = *impl_;
  if (!s.started || s.stopped) return;
  s.stopped = true;
  for (auto& context : s.contexts) context->stop();
  for (std::thread& t : s.threads) t.join();
  // The workers run what is queued for them (join without stop waits for the queue to empty);
  // their completions wait in the stopped io_contexts' queues. So every session's coroutine is
  // then held by its io_context alone, and destroyed with it while the pool, whose strands the
  // sessions hold, still exists: an upload still open is finished as failed by its destructor and
  // stores nothing. (A commit runs on its session's thread, which finishes it before stopping.)
  s.pool->join();
  // Uploads answered 226 and waiting for proof that the client got it: stored when the client's
  // TCP acknowledged the 226, failed otherwise.
  std::vector<ftp::Session*> pending(s.pending_uploads.begin(), s.pending_uploads.end());
  for (ftp::Session* session : pending) session->ResolvePendingAtStop();
  s.acceptor.reset();
  s.contexts.clear();
  s.pool.reset();
}

uint16_t FtpServer::port() const { return impl_->bound_port; }
std::string FtpServer::address() const { return impl_->bound_address; }
const std::string& FtpServer::certificate_fingerprint() const {
  return impl_->tls_material.fingerprint;
}
const std::string& FtpServer::certificate_file() const {
  return impl_->tls_material.certificate_file;
}
bool FtpServer::certificate_created() const { return impl_->tls_material.created; }
const std::string& FtpServer::server_id() const { return impl_->server_id; }
size_t FtpServer::sessions() const { return impl_->sessions.load(); }

}  // namespace wharf::ingest
