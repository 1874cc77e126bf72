// The FTP server's parts on Boost.Asio (see ftp_server.h): a connection with optional TLS
// (Channel), deadlines, slow work moved off the network threads (Offload), the server's shared
// state (FtpServer::Impl) and one control connection (Session). Included only by ftp_server.cc,
// ftp_session.cc and ftp_transfer.cc: Boost.Asio and OpenSSL are slow to compile.
//
// Threads: each of the server's network threads runs its own io_context, and each session lives
// on one of them: its coroutines, sockets and timers, and its quick disk work (the object store's
// look-ups, commits and the last write of an upload), which takes less time than a trip to
// another thread and back. So a session's steps never wait for another thread to wake, and a
// session held up by the disk holds up only the sessions of its thread. Slow work goes to the
// worker pool (Offload, Background): hashing a password, and writing or reading a large file's
// buffers while the network moves the next ones. The server's shared state (FtpServer::Impl) is
// read-only after Start but for the atomics and what its mutex guards.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <unordered_set>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include "core/clock.h"
#include "ingest/file_session.h"
#include "ingest/ftp_protocol.h"
#include "ingest/ftp_server.h"
#include "ingest/ftp_tls.h"

namespace wharf::ingest::ftp {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

inline constexpr auto kAwaitTuple = asio::as_tuple(asio::use_awaitable);
inline constexpr size_t kDataBufferBytes = size_t{1024} * 1024;
inline constexpr size_t kFirstDataBufferBytes = size_t{16} * 1024;  // an upload's first buffers
inline constexpr size_t kMaxCommandLine = 8192;
inline constexpr auto kDataConnectTimeout = std::chrono::seconds(30);
inline constexpr auto kHandshakeTimeout = std::chrono::seconds(30);
inline constexpr auto kShutdownTimeout = std::chrono::seconds(2);
inline constexpr auto kLoginTimeout = std::chrono::seconds(60);
// How often, at most, a plain upload answered 226 looks whether the client's TCP acknowledged
// the reply (the first looks come sooner: 1, 2, 4... ms).
inline constexpr auto kReceiptPollMax = std::chrono::milliseconds(20);

// A TCP connection, with TLS after Handshake. One read and one write may be in progress at a
// time.
class Channel {
 public:
  explicit Channel(tcp::socket socket) : plain_(std::move(socket)) {}

  tcp::socket& socket() { return tls_ ? tls_->next_layer() : plain_; }
  bool tls() const { return tls_.has_value(); }
  // Whether the TLS session was resumed (a data connection reusing the control's session).
  bool resumed() const;

  // Starts TLS as the server. REQUIRES: !tls() and no operation in progress.
  enum class Kind { kControl, kData };
  asio::awaitable<error_code> Handshake(ssl::context& context, Kind kind);
  asio::awaitable<std::tuple<error_code, size_t>> ReadSome(asio::mutable_buffer buffer);
  asio::awaitable<error_code> Write(asio::const_buffer buffer);
  // The end of a connection: with TLS, sends close_notify and waits up to kShutdownTimeout for
  // the peer's (or its close); then closes.
  asio::awaitable<void> Shutdown();
  // Closes at once; operations in progress end with operation_aborted.
  void Close();

 private:
  tcp::socket plain_;
  std::optional<ssl::stream<tcp::socket>> tls_;
};

// Calls `on_expiry` when `timeout` passes before the Deadline is destroyed.
class Deadline {
 public:
  template <typename F>
  Deadline(const asio::any_io_executor& executor, std::chrono::steady_clock::duration timeout,
           F on_expiry)
      : timer_(executor, timeout), state_(std::make_shared<State>()) {
    timer_.async_wait([state = state_, f = std::move(on_expiry)](error_code ec) mutable {
      if (!ec && state->armed) {
        state->expired = true;
        f();
      }
    });
  }
  ~Deadline() {
    state_->armed = false;
    timer_.cancel();
  }
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;
  bool expired() const { return state_->expired; }

 private:
  struct State {
    bool armed = true;
    bool expired = false;
  };
  asio::steady_timer timer_;
  std::shared_ptr<State> state_;
};

// The worker pool, as one session uses it: its blocking work runs there one piece at a time, in
// the order it was handed over.
using WorkQueue = asio::strand<asio::thread_pool::executor_type>;

// Runs `fn` on `queue` and resumes the caller on its own executor with the result.
template <typename F>
asio::awaitable<std::invoke_result_t<F&>> Offload(const WorkQueue& queue, F fn) {
  std::optional<std::invoke_result_t<F&>> out;
  co_await asio::co_spawn(
      queue,
      [&]() -> asio::awaitable<void> {
        out.emplace(fn());
        co_return;
      },
      asio::use_awaitable);
  co_return std::move(*out);
}

// A function handed to `queue` now, whose result is awaited later: work that overlaps the
// network (the store writes one buffer while the socket fills the next), or that later work of
// the same queue must follow. Get() must be awaited before anything the function uses goes away.
template <typename R>
class Background {
 public:
  template <typename F>
  Background(const WorkQueue& queue, const asio::any_io_executor& home, F fn)
      : state_(std::make_shared<State>(home)) {
    asio::post(queue, [state = state_, fn = std::move(fn)]() mutable {
      R result = fn();
      asio::post(state->ready.get_executor(), [state, result = std::move(result)]() mutable {
        state->result.emplace(std::move(result));
        state->ready.cancel();
      });
    });
  }
  asio::awaitable<R> Get() {
    while (!state_->result) {
      state_->ready.expires_at(std::chrono::steady_clock::time_point::max());
      co_await state_->ready.async_wait(kAwaitTuple);
    }
    co_return std::move(*state_->result);
  }

 private:
  struct State {
    explicit State(const asio::any_io_executor& home) : ready(home) {}
    asio::steady_timer ready;
    std::optional<R> result;
  };
  std::shared_ptr<State> state_;
};

// The address of `endpoint` as users.h and the events see it: an IPv4-mapped IPv6 address is
// the IPv4 address.
asio::ip::address Unmapped(const asio::ip::address& address);

class Session;

}  // namespace wharf::ingest::ftp

namespace wharf::ingest {

struct FtpServer::Impl {
  explicit Impl(FtpServerOptions opts) : options(std::move(opts)) {}

  void Log(const std::string& line) const {
    if (options.log) options.log(line);
  }
  const Clock& clock() const { return options.clock ? *options.clock : system_clock; }
  ftp::asio::awaitable<void> Accept();

  FtpServerOptions options;
  SystemClock system_clock;
  ftp::TlsMaterial tls_material;
  std::optional<ftp::asio::ip::address_v4> public_address;
  std::string server_id;
  std::atomic<size_t> sessions{0};
  // Sessions whose plain upload was answered 226 and awaits proof that the client received it
  // (Session::ReceiveFile); Stop resolves them once the network threads are joined.
  void AddPendingUpload(ftp::Session* session) {
    std::lock_guard lock(pending_mu);
    pending_uploads.insert(session);
  }
  void RemovePendingUpload(ftp::Session* session) {
    std::lock_guard lock(pending_mu);
    pending_uploads.erase(session);
  }
  std::mutex pending_mu;
  std::unordered_set<ftp::Session*> pending_uploads;  // guarded by pending_mu
  // Everything above outlives the sessions' coroutines, which Stop destroys with the io_contexts
  // (an open upload is then finished as failed by its destructor).
  std::unique_ptr<ftp::ssl::context> tls;
  // One io_context per network thread; a session stays on the one it was accepted on.
  std::vector<std::unique_ptr<ftp::asio::io_context>> contexts;
  size_t next_context = 0;  // the accept loop's
  std::optional<ftp::asio::thread_pool> pool;
  std::optional<ftp::tcp::acceptor> acceptor;
  std::vector<std::thread> threads;  // the network threads
  uint16_t bound_port = 0;
  std::string bound_address;
  std::atomic<uint32_t> next_passive_port{0};  // where the next search of the range starts
  bool started = false;
  bool stopped = false;
};

}  // namespace wharf::ingest

namespace wharf::ingest::ftp {

// One control connection: the command loop, login, TLS, and the transfers it starts. Commands
// are read and answered one at a time; while a transfer runs, the loop goes on reading so that
// ABOR, or the loss of the control connection, can stop it, and any other command waits for the
// transfer's end. The transfer writes its own final reply, so the control connection has one
// writer at a time.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(FtpServer::Impl& server, tcp::socket socket);
  ~Session();

  asio::awaitable<void> Run();
  const asio::any_io_executor& executor() const { return executor_; }
  // At the server's Stop, with the network threads stopped: an upload answered 226 and waiting
  // for proof of its receipt is committed when the client's TCP acknowledged the 226, and
  // failed otherwise.
  void ResolvePendingAtStop();

 private:
  struct Transfer {
    std::unique_ptr<Channel> data;
    bool aborted = false;  // by ABOR, the end of the command loop, or the idle timeout
    std::string abort_reason;
    // A plain upload answered 226, not yet committed (ReceiveFile), and whether a command came
    // since.
    bool pending = false;
    bool command_arrived = false;
    // A command came when the 226 was acknowledged: the client had it (set by Run).
    bool received = false;
    bool committing = false;  // its commit is in work_, ahead of anything queued after it
  };
  // What the client's TCP did with everything written on the control connection.
  enum class Delivery { kUnacknowledged, kAcknowledged, kLost };
  using Handler = asio::awaitable<void> (Session::*)(std::string_view arg);

  // --- control connection (ftp_session.cc) ---
  asio::awaitable<std::optional<std::string>> ReadLine();
  asio::awaitable<void> Reply(int code, std::string_view text);
  // A multi-line reply: "code-first", the middle lines (indented by one space), "code last".
  asio::awaitable<void> ReplyLines(int code, std::string_view first,
                                   const std::vector<std::string>& lines, std::string_view last);
  asio::awaitable<void> ReplyError(const Error& error, Operation operation);
  asio::awaitable<void> Dispatch(const Command& command);
  asio::awaitable<void> Watchdog(std::shared_ptr<Session> self);
  void Touch() { last_activity_ = std::chrono::steady_clock::now(); }
  void Log(std::string_view line) const;
  bool TlsRequired() const;  // by the server, or by the logged-in user's protocols
  std::string Path(std::string_view arg) const;  // the virtual path for replies

  asio::awaitable<void> OnUser(std::string_view arg);
  asio::awaitable<void> OnPass(std::string_view arg);
  asio::awaitable<void> OnQuit(std::string_view arg);
  asio::awaitable<void> OnNoop(std::string_view arg);
  asio::awaitable<void> OnSyst(std::string_view arg);
  asio::awaitable<void> OnFeat(std::string_view arg);
  asio::awaitable<void> OnOpts(std::string_view arg);
  asio::awaitable<void> OnHelp(std::string_view arg);
  asio::awaitable<void> OnStat(std::string_view arg);
  asio::awaitable<void> OnAuth(std::string_view arg);
  asio::awaitable<void> OnPbsz(std::string_view arg);
  asio::awaitable<void> OnProt(std::string_view arg);
  asio::awaitable<void> OnCcc(std::string_view arg);
  asio::awaitable<void> OnType(std::string_view arg);
  asio::awaitable<void> OnMode(std::string_view arg);
  asio::awaitable<void> OnStru(std::string_view arg);
  asio::awaitable<void> OnPwd(std::string_view arg);
  asio::awaitable<void> OnCwd(std::string_view arg);
  asio::awaitable<void> OnCdup(std::string_view arg);
  asio::awaitable<void> OnMkd(std::string_view arg);
  asio::awaitable<void> OnRmd(std::string_view arg);
  asio::awaitable<void> OnDele(std::string_view arg);
  asio::awaitable<void> OnRnfr(std::string_view arg);
  asio::awaitable<void> OnRnto(std::string_view arg);
  asio::awaitable<void> OnSize(std::string_view arg);
  asio::awaitable<void> OnMdtm(std::string_view arg);
  asio::awaitable<void> OnMfmt(std::string_view arg);
  // The path SIZE, MDTM or MFMT asks about; nullopt for another verb, or an MFMT without a valid
  // time.
  static std::optional<std::string_view> FactPath(std::string_view verb, std::string_view arg);
  // SIZE, MDTM or MFMT's answer about `info` (Stat's, or a pending upload's).
  asio::awaitable<void> ReplyFileFact(std::string_view verb, const Result<FileInfo>& info);
  // Answers SIZE, MDTM or MFMT about the file of the upload waiting for its commit, received,
  // from the upload (FileSession::StatUpload); false when the command is about anything else.
  asio::awaitable<bool> AnswerAboutPendingUpload(const Command& command);
  asio::awaitable<void> OnMlst(std::string_view arg);
  asio::awaitable<void> OnRest(std::string_view arg);
  asio::awaitable<void> OnAbor(std::string_view arg);

  // --- data connections and transfers (ftp_transfer.cc) ---
  asio::awaitable<void> OnPasv(std::string_view arg);
  asio::awaitable<void> OnEpsv(std::string_view arg);
  asio::awaitable<void> OnPort(std::string_view arg);
  asio::awaitable<void> OnEprt(std::string_view arg);
  asio::awaitable<void> OnRetr(std::string_view arg);
  asio::awaitable<void> OnStor(std::string_view arg);
  asio::awaitable<void> OnAppe(std::string_view arg);
  asio::awaitable<void> OnList(std::string_view arg);
  asio::awaitable<void> OnNlst(std::string_view arg);
  asio::awaitable<void> OnMlsd(std::string_view arg);

  enum class ListFormat { kLong, kNames, kFacts };
  asio::awaitable<void> List(std::string_view arg, ListFormat format);
  asio::awaitable<void> Store(std::string_view arg, bool append);
  // Listens for a passive data connection on the control connection's local address, on a port
  // of the configured range. Closes any earlier listener or active address.
  Result<uint16_t> OpenPassive();
  void ResetDataSetup();
  // 521 when data must be protected and PROT P was not given. False when it replied.
  asio::awaitable<bool> CheckDataProtection();
  // The data connection the last PASV, EPSV, PORT or EPRT set up, with TLS under PROT P.
  asio::awaitable<Result<std::unique_ptr<Channel>>> OpenData();
  // Starts `body` as the running transfer; the command loop goes on.
  std::shared_ptr<Transfer> NewTransfer(std::unique_ptr<Channel> data);
  void StartTransfer(asio::awaitable<void> body);
  asio::awaitable<void> SendText(std::shared_ptr<Transfer> transfer, std::string text);
  asio::awaitable<void> SendFile(std::shared_ptr<Transfer> transfer,
                                 std::unique_ptr<Download> download, std::string path);
  asio::awaitable<void> ReceiveFile(std::shared_ptr<Transfer> transfer,
                                    std::unique_ptr<Upload> upload, std::string path);
  // Called by a transfer as it ends: its last reply, then the command loop may go on.
  asio::awaitable<void> EndTransfer(int code, std::string_view text);
  void AbortTransfer(std::string reason);
  asio::awaitable<void> WaitTransfer();
  // Until the running transfer is over or committing its upload.
  asio::awaitable<void> WaitTransferOrCommit();
  // Whether the client is gone: the control connection closed or reset (a killed client closes
  // both its connections; the data connection's end may be seen first).
  bool ControlGone();
  Delivery ReplyDelivery();
  // After a plain upload's 226: waits for proof that the client received it. Returns why there
  // is none ("" when there is).
  asio::awaitable<std::string> AwaitReceipt(Transfer& transfer);

  FtpServer::Impl& server_;
  Channel control_;
  tcp::endpoint local_;
  tcp::endpoint remote_;
  std::string client_ip_;
  std::string session_id_;
  std::string inbuf_;

  std::optional<std::string> pending_user_;
  const UserConfig* user_ = nullptr;
  std::unique_ptr<FileSession> files_;
  asio::any_io_executor executor_;  // its network thread's: its coroutines, sockets and timers
  WorkQueue work_;                  // this session's slow work, in order

  bool pbsz_ = false;
  bool prot_private_ = false;
  bool epsv_all_ = false;
  bool ascii_ = false;
  MlstFacts mlst_facts_;
  int64_t rest_ = 0;
  std::optional<std::string> rename_from_;
  std::optional<tcp::acceptor> passive_;
  std::optional<tcp::endpoint> active_;

  std::shared_ptr<Transfer> transfer_;  // the running transfer
  asio::steady_timer transfer_done_;    // cancelled when it ends
  asio::steady_timer transfer_wake_;    // cancelled when a pending upload has news to look at
  Upload* pending_upload_ = nullptr;    // while registered in server_.pending_uploads
  std::string pending_path_;
  asio::steady_timer watchdog_;
  std::chrono::steady_clock::time_point last_activity_;
  bool closing_ = false;         // the command loop is over
  bool control_closed_ = false;  // the client closed the control connection (or it broke)
  bool timed_out_ = false;
  bool quit_ = false;
};

}  // namespace wharf::ingest::ftp
