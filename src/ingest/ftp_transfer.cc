// FTP data connections (PASV, EPSV, PORT, EPRT) and transfers (RETR, STOR, APPE, LIST, NLST,
// MLSD); see ftp_internal.h.
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "core/memory.h"
#include "ingest/ftp_internal.h"

namespace wharf::ingest::ftp {

// --- data connection setup ------------------------------------------------------------------

void Session::ResetDataSetup() {
  if (passive_) {
    error_code ignored;
    passive_->close(ignored);
    passive_.reset();
  }
  active_.reset();
}

Result<uint16_t> Session::OpenPassive() {
  ResetDataSetup();
  const FtpServerConfig& config = server_.options.config;
  tcp::acceptor acceptor(executor_);
  error_code last;
  auto listen_on = [&](uint16_t port) {
    error_code ec;
    acceptor.close(ec);
    acceptor.open(local_.protocol(), ec);
    if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor.bind(tcp::endpoint(local_.address(), port), ec);
    if (!ec) acceptor.listen(4, ec);
    if (ec) last = ec;
    return !ec;
  };
  bool listening = false;
  uint32_t low = config.passive_port_min, high = config.passive_port_max;
  if (low == 0 && high == 0) {
    listening = listen_on(0);
  } else {
    // Each search starts where the last one ended, so that sessions spread over the range.
    uint32_t count = high - low + 1;
    for (uint32_t i = 0; i < count && !listening; ++i) {
      listening = listen_on(static_cast<uint16_t>(low + server_.next_passive_port++ % count));
    }
  }
  if (!listening) {
    return MakeError("NoPassivePort", low == 0 && high == 0
                                          ? "cannot listen for a data connection: " + last.message()
                                          : fmt::format("no free passive port in {}-{} ({})", low,
                                                        high, last.message()));
  }
  error_code ec;
  uint16_t port = acceptor.local_endpoint(ec).port();
  passive_.emplace(std::move(acceptor));
  return port;
}

asio::awaitable<void> Session::OnPasv(std::string_view) {
  if (epsv_all_) {
    co_await Reply(503, "PASV is not allowed after EPSV ALL.");
    co_return;
  }
  std::optional<asio::ip::address_v4> announced = server_.public_address;
  asio::ip::address local = Unmapped(local_.address());
  if (!announced && local.is_v4()) announced = local.to_v4();
  if (!announced) {
    co_await Reply(425, "PASV needs an IPv4 connection; use EPSV.");
    co_return;
  }
  auto port = OpenPassive();
  if (!port.ok()) {
    Log(port.error().message);
    co_await Reply(425, "Cannot open a passive data connection: " + port.error().message);
    co_return;
  }
  co_await Reply(227, PasvReplyText(announced->to_bytes(), *port));
}

asio::awaitable<void> Session::OnEpsv(std::string_view arg) {
  std::string mode;
  for (char c : arg) mode.push_back(static_cast<char>(std::toupper(c)));
  if (mode == "ALL") {
    // RFC 2428 section 3: from now on only EPSV; PORT, EPRT and PASV are refused.
    epsv_all_ = true;
    co_await Reply(200, "EPSV ALL ok.");
    co_return;
  }
  const char* family = Unmapped(local_.address()).is_v4() ? "1" : "2";
  if (!mode.empty() && mode != family) {
    co_await Reply(522, fmt::format("Network protocol not supported, use ({})", family));
    co_return;
  }
  auto port = OpenPassive();
  if (!port.ok()) {
    Log(port.error().message);
    co_await Reply(425, "Cannot open a passive data connection: " + port.error().message);
    co_return;
  }
  co_await Reply(229, EpsvReplyText(*port));
}

asio::awaitable<void> Session::OnPort(std::string_view arg) {
  if (!server_.options.config.allow_active) {
    co_await Reply(502, "PORT is off on this server; use PASV or EPSV.");
    co_return;
  }
  if (epsv_all_) {
    co_await Reply(503, "PORT is not allowed after EPSV ALL.");
    co_return;
  }
  auto parsed = ParsePortArgument(arg);
  if (!parsed.ok()) {
    co_await Reply(501, parsed.error().message);
    co_return;
  }
  error_code ec;
  asio::ip::address address = asio::ip::make_address(parsed->host, ec);
  // RFC 2577 section 3: connecting to any address but the client's own would let the server
  // be used to reach third parties (the FTP bounce attack); low ports likewise.
  if (ec || Unmapped(address) != Unmapped(remote_.address())) {
    co_await Reply(501, "PORT must name your own address.");
    co_return;
  }
  if (parsed->port < 1024) {
    co_await Reply(501, "PORT to a port below 1024 is refused.");
    co_return;
  }
  ResetDataSetup();
  active_ = tcp::endpoint(address, parsed->port);
  co_await Reply(200, "PORT command successful.");
}

asio::awaitable<void> Session::OnEprt(std::string_view arg) {
  if (!server_.options.config.allow_active) {
    co_await Reply(502, "EPRT is off on this server; use PASV or EPSV.");
    co_return;
  }
  if (epsv_all_) {
    co_await Reply(503, "EPRT is not allowed after EPSV ALL.");
    co_return;
  }
  auto parsed = ParseEprtArgument(arg);
  if (!parsed.ok()) {
    if (parsed.error().code == "UnsupportedProtocol") {
      co_await Reply(522, "Network protocol not supported, use (1,2)");
    } else {
      co_await Reply(501, parsed.error().message);
    }
    co_return;
  }
  error_code ec;
  asio::ip::address address = asio::ip::make_address(parsed->host, ec);
  if (ec || Unmapped(address) != Unmapped(remote_.address())) {
    co_await Reply(501, "EPRT must name your own address.");
    co_return;
  }
  if (parsed->port < 1024) {
    co_await Reply(501, "EPRT to a port below 1024 is refused.");
    co_return;
  }
  ResetDataSetup();
  // The connection is made from the control connection's family: an IPv4 client of a server
  // listening on [::] is reached at its IPv4-mapped address.
  if (address.is_v4() && local_.address().is_v6()) {
    address = asio::ip::make_address_v6(asio::ip::v4_mapped, address.to_v4());
  }
  active_ = tcp::endpoint(address, parsed->port);
  co_await Reply(200, "EPRT command successful.");
}

asio::awaitable<bool> Session::CheckDataProtection() {
  if (TlsRequired() && !prot_private_) {
    // RFC 4217 section 10: a server that needs protected data refuses the transfer with 521.
    ResetDataSetup();
    co_await Reply(521, "Data connections must be protected: send PBSZ 0 and PROT P.");
    co_return false;
  }
  co_return true;
}

asio::awaitable<Result<std::unique_ptr<Channel>>> Session::OpenData() {
  std::unique_ptr<Channel> channel;
  if (passive_) {
    std::optional<tcp::socket> accepted;
    error_code failure;
    bool expired = false;
    {
      tcp::acceptor& acceptor = *passive_;
      Deadline deadline(executor_, kDataConnectTimeout, [&acceptor] {
        error_code ignored;
        acceptor.close(ignored);
      });
      while (!accepted) {
        auto [ec, socket] = co_await acceptor.async_accept(kAwaitTuple);
        if (ec) {
          failure = ec;
          break;
        }
        // Only the client may connect: anyone else who found the port is turned away.
        error_code peer_ec;
        tcp::endpoint peer = socket.remote_endpoint(peer_ec);
        if (peer_ec || Unmapped(peer.address()) != Unmapped(remote_.address())) {
          Log("refused a data connection from " +
              (peer_ec ? std::string("an unknown address") : peer.address().to_string()));
          error_code ignored;
          socket.close(ignored);
          continue;
        }
        accepted.emplace(std::move(socket));
      }
      expired = deadline.expired();
    }
    ResetDataSetup();
    if (!accepted) {
      co_return MakeError(
          "NoDataConnection",
          expired ? fmt::format("no data connection came within {} s", kDataConnectTimeout.count())
                  : "accepting it failed: " + failure.message());
    }
    channel = std::make_unique<Channel>(std::move(*accepted));
  } else if (active_) {
    tcp::endpoint endpoint = *active_;
    ResetDataSetup();
    tcp::socket socket(executor_);
    error_code ec;
    {
      Deadline deadline(executor_, kDataConnectTimeout, [&socket] {
        error_code ignored;
        socket.close(ignored);
      });
      std::tie(ec) = co_await socket.async_connect(endpoint, kAwaitTuple);
    }
    if (ec) {
      co_return MakeError("NoDataConnection",
                          "cannot connect to " + endpoint.address().to_string() + " port " +
                              std::to_string(endpoint.port()) + ": " + ec.message());
    }
    channel = std::make_unique<Channel>(std::move(socket));
  } else {
    co_return MakeError("NoDataConnection", "send PASV or EPSV first");
  }

  if (prot_private_) {
    Channel& data = *channel;
    error_code ec;
    {
      Deadline deadline(executor_, kHandshakeTimeout, [&data] { data.Close(); });
      ec = co_await data.Handshake(*server_.tls, Channel::Kind::kData);
    }
    if (ec) {
      co_return MakeError("NoDataConnection",
                          "the TLS handshake on the data connection failed: " + ec.message());
    }
  }
  co_return std::move(channel);
}

// --- the running transfer -------------------------------------------------------------------

std::shared_ptr<Session::Transfer> Session::NewTransfer(std::unique_ptr<Channel> data) {
  transfer_ = std::make_shared<Transfer>();
  transfer_->data = std::move(data);
  return transfer_;
}

void Session::StartTransfer(asio::awaitable<void> body) {
  auto self = shared_from_this();
  asio::co_spawn(
      executor_,
      [self, body = std::move(body)]() mutable -> asio::awaitable<void> {
        co_await std::move(body);
      },
      [self](const std::exception_ptr& e) {
        if (!e || !self->transfer_) return;
        // Not expected: the transfer's coroutine failed. The client cannot get its reply, so
        // the connection ends rather than hang.
        self->Log("a transfer ended with an internal error");
        self->transfer_->data->Close();
        self->transfer_.reset();
        self->transfer_done_.cancel();
        self->control_.Close();
      });
}

asio::awaitable<void> Session::EndTransfer(int code, std::string_view text) {
  if (!closing_) co_await Reply(code, text);
  transfer_.reset();
  transfer_done_.cancel();
}

void Session::AbortTransfer(std::string reason) {
  if (!transfer_ || transfer_->aborted) return;
  transfer_->aborted = true;
  transfer_->abort_reason = std::move(reason);
  transfer_->data->Close();
  transfer_wake_.cancel();
}

asio::awaitable<void> Session::WaitTransfer() {
  while (transfer_) {
    transfer_done_.expires_at(std::chrono::steady_clock::time_point::max());
    co_await transfer_done_.async_wait(kAwaitTuple);
  }
}

asio::awaitable<void> Session::WaitTransferOrCommit() {
  while (transfer_ && !transfer_->committing) {
    transfer_done_.expires_at(std::chrono::steady_clock::time_point::max());
    co_await transfer_done_.async_wait(kAwaitTuple);
  }
}

bool Session::ControlGone() {
  if (control_closed_) return true;
  tcp::socket& socket = control_.socket();
  if (!socket.is_open()) return true;
  // A peek that reads nothing: 0 is the client's FIN, an error other than "nothing yet" a reset.
  char byte;
  ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return true;
  return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

Session::Delivery Session::ReplyDelivery() {
  tcp::socket& socket = control_.socket();
  if (!socket.is_open()) return Delivery::kLost;
  int fd = socket.native_handle();
  tcp_info info{};
  socklen_t length = sizeof(info);
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) != 0) return Delivery::kLost;
  // Reset (a socket closed with unread bytes, or an orphaned one that bytes reached, answers
  // with a reset): the connection is closed. The client's FIN leaves it in CLOSE_WAIT.
  if (info.tcpi_state != TCP_ESTABLISHED && info.tcpi_state != TCP_CLOSE_WAIT) {
    return Delivery::kLost;
  }
  int unacknowledged = 0;  // bytes sent and not yet acknowledged (or not yet sent)
  if (::ioctl(fd, SIOCOUTQ, &unacknowledged) != 0) return Delivery::kLost;
  return unacknowledged == 0 ? Delivery::kAcknowledged : Delivery::kUnacknowledged;
}

asio::awaitable<std::string> Session::AwaitReceipt(Transfer& transfer) {
  // Linux answers bytes that reach a closed socket with a reset and never acknowledges them,
  // and a socket closed with unread bytes sends a reset instead of a FIN. So the 226 was
  // received by a live client when its bytes are acknowledged and no reset follows: a command
  // after it, the client's FIN (it closed after reading everything), or `upload_end_grace` of
  // quiet after the acknowledgement (a client that idles; its delayed ACK comes within 40 to
  // 200 ms). A killed client's control connection is closed already when the 226 reaches it,
  // or is closed with the reply unread: a reset, or a FIN with the reply unacknowledged.
  const auto settle = server_.options.upload_end_grace;
  auto poll = std::chrono::milliseconds(1);
  std::optional<std::chrono::steady_clock::time_point> acked_at;
  for (;;) {
    if (transfer.received) co_return "";
    Delivery delivery = ReplyDelivery();
    if (delivery == Delivery::kLost) {
      co_return "the control connection was reset before the client read the 226";
    }
    if (transfer.aborted) {
      // The command loop ended: the client closed the control connection, or it idled out.
      if (delivery == Delivery::kAcknowledged) co_return "";
      co_return timed_out_ ? "the session was idle too long and the 226 was never acknowledged"
                           : "the control connection closed before the client received the 226";
    }
    auto now = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point wake;
    if (delivery == Delivery::kAcknowledged) {
      if (transfer.command_arrived) co_return "";
      if (!acked_at) acked_at = now;
      if (now >= *acked_at + settle) co_return "";
      wake = *acked_at + settle;
    } else {
      wake = now + poll;
      poll = std::min<std::chrono::milliseconds>(poll * 2, kReceiptPollMax);
    }
    transfer_wake_.expires_at(wake);
    co_await transfer_wake_.async_wait(kAwaitTuple);
  }
}

void Session::ResolvePendingAtStop() {
  if (pending_upload_ == nullptr) return;
  Upload& upload = *pending_upload_;
  pending_upload_ = nullptr;
  server_.RemovePendingUpload(this);
  // A command proved the 226 received (Run); a reply to it may still be unacknowledged.
  bool received = transfer_ && transfer_->received;
  if (received || ReplyDelivery() == Delivery::kAcknowledged) {
    auto stored = upload.Finish(true);
    if (stored.ok()) {
      Log("upload of " + pending_path_ + " stored at the server's stop: the client had the 226");
    } else {
      Log(fmt::format("upload of {} was answered 226 but could not be stored: {}: {}",
                      pending_path_, stored.error().code, stored.error().message));
    }
    return;
  }
  int64_t written = upload.written();
  (void)upload.Finish(false);
  Log(
      fmt::format("upload of {} failed after {} bytes: the server stopped before the client "
                  "acknowledged the 226; nothing was stored",
                  pending_path_, written));
}

asio::awaitable<void> Session::SendText(std::shared_ptr<Transfer> transfer, std::string text) {
  Channel& data = *transfer->data;
  error_code ec = co_await data.Write(asio::buffer(text));
  if (ec || transfer->aborted) {
    data.Close();
    co_await EndTransfer(426, "Connection closed; transfer aborted.");
    co_return;
  }
  Touch();
  co_await data.Shutdown();
  co_await EndTransfer(226, "Transfer complete.");
}

asio::awaitable<void> Session::SendFile(std::shared_ptr<Transfer> transfer,
                                        std::unique_ptr<Download> download, std::string path) {
  Channel& data = *transfer->data;
  Download& source = *download;
  // Two buffers: the store fills one while the other goes out. Pages of their own (PageBuffer),
  // given back when the transfer ends; no bigger than the file.
  const size_t buffer_bytes = static_cast<size_t>(
      std::clamp<int64_t>(source.meta().size, 1, static_cast<int64_t>(kDataBufferBytes)));
  PageBuffer reading(buffer_bytes), sending(buffer_bytes);
  int64_t sent = 0;
  std::optional<Error> failure;
  bool broken = false;
  // The next piece is read from the store while this one goes out.
  std::optional<Background<Result<size_t>>> next;
  auto read_next = [&] {
    next.emplace(work_, executor_, [&source, into = reading.data(), n = reading.size()] {
      return source.ReadInto(into, n);
    });
  };
  read_next();
  for (;;) {
    Result<size_t> piece = co_await next->Get();
    next.reset();
    if (!piece.ok()) {
      failure = piece.error();
      break;
    }
    if (*piece == 0) break;
    if (transfer->aborted) {
      broken = true;
      break;
    }
    std::swap(reading, sending);
    read_next();
    error_code ec = co_await data.Write(asio::buffer(sending.data(), *piece));
    if (ec) {
      broken = true;
      break;
    }
    sent += static_cast<int64_t>(*piece);
    Touch();
  }
  if (next) (void)co_await next->Get();  // the reader must be done with `source`
  bool ok = !failure && !broken && !transfer->aborted;
  if (ok) {
    co_await data.Shutdown();
  } else {
    data.Close();
  }
  source.Finish(ok);
  if (failure) {
    Log("download of " + path + " failed: " + failure->code + ": " + failure->message);
    co_await EndTransfer(451, "Local error reading the file; transfer aborted.");
  } else if (!ok) {
    Log(fmt::format("download of {} stopped after {} bytes: {}", path, sent,
                    transfer->aborted ? transfer->abort_reason : "the data connection broke"));
    co_await EndTransfer(426, "Connection closed; transfer aborted.");
  } else {
    co_await EndTransfer(226, fmt::format("Transfer complete: {} bytes sent.", sent));
  }
}

asio::awaitable<void> Session::ReceiveFile(std::shared_ptr<Transfer> transfer,
                                           std::unique_ptr<Upload> upload, std::string path) {
  Channel& data = *transfer->data;
  const bool tls = data.tls();
  Upload& target = *upload;
  // Two buffers: the store writes one while the socket fills the other. They start small (most
  // files are): two zeroed buffers of kDataBufferBytes per file would cost 512 page faults (two
  // of 256 KiB cost 128, a tenth of the server's time for 10 KiB files). One that fills up grows
  // to kDataBufferBytes.
  // Grown, they are mappings of their own (PageBuffer), given back to the kernel when the
  // transfer ends.
  PageBuffer filling(kFirstDataBufferBytes), writing(kFirstDataBufferBytes);
  std::optional<Background<Status>> write;
  std::optional<Error> write_error;
  error_code end;
  bool grow = false;
  for (;;) {
    if (grow) filling.Reserve(kDataBufferBytes);
    size_t fill = 0;
    while (fill < filling.size()) {
      auto [ec, n] =
          co_await data.ReadSome(asio::buffer(filling.data() + fill, filling.size() - fill));
      fill += n;
      if (n > 0) Touch();
      if (ec) {
        end = ec;
        break;
      }
    }
    if (write) {
      Status wrote = co_await write->Get();
      write.reset();
      if (!wrote.ok()) {
        write_error = wrote.error();
        break;
      }
    }
    grow = grow || fill == filling.size();
    if (end == asio::error::eof) {
      // At the client's end of the data, the last write also seals the file: written, synced
      // and in place, all that can fail for the disk's sake, before any 226. Done here, on the
      // session's thread: the last piece is all of most files, and a trip to a worker and back
      // costs more than writing a few KiB to the page cache.
      Status wrote = fill > 0 ? target.Write(std::string_view(filling.data(), fill)) : Status{};
      if (wrote.ok()) wrote = target.Seal();
      if (!wrote.ok()) write_error = wrote.error();
      break;
    }
    if (fill > 0) {
      std::swap(filling, writing);
      const char* bytes = writing.data();
      write.emplace(work_, executor_,
                    [&target, bytes, fill] { return target.Write(std::string_view(bytes, fill)); });
    }
    if (end) break;
  }
  if (write) {
    Status wrote = co_await write->Get();
    if (!wrote.ok() && !write_error) write_error = wrote.error();
  }

  if (write_error) {
    // Over the quota or the size limit, or the store failed: the upload is already dropped.
    data.Close();
    ftp::Reply reply = ReplyForError(*write_error, Operation::kCreate);
    if (reply.code == 451) Log(write_error->code + ": " + write_error->message);
    co_await EndTransfer(reply.code, reply.text);
    co_return;
  }
  // The end of the data is the end of the file only when the client ended it: FIN in clear,
  // close_notify under TLS (a TLS connection closed without it is truncated), and the client
  // still there (a killed client's connections both close; the data one may be seen first, and
  // in clear its FIN looks like a finished upload's: see AwaitReceipt).
  std::string why;
  if (transfer->aborted) {
    why = transfer->abort_reason;
  } else if (end != asio::error::eof) {
    why = end == ssl::error::stream_truncated
              ? "the TLS data connection closed without close_notify"
              : "the data connection broke: " + end.message();
  } else if (ControlGone()) {
    why = "the control connection closed before the upload ended";
  }
  if (!why.empty()) {
    data.Close();
    int64_t written = target.written();
    (void)target.Finish(false);
    Log(fmt::format("upload of {} failed after {} bytes: {}; nothing was stored", path, written,
                    why));
    co_await EndTransfer(426, "Connection closed; transfer aborted; nothing was stored.");
    co_return;
  }
  co_await data.Shutdown();
  if (tls) {
    auto stored = target.Finish(true);
    if (!stored.ok()) {
      ftp::Reply reply = ReplyForError(stored.error(), Operation::kCreate);
      if (reply.code == 451) Log(stored.error().code + ": " + stored.error().message);
      co_await EndTransfer(reply.code, reply.text);
      co_return;
    }
    co_await EndTransfer(
        226, fmt::format("Transfer complete: {} bytes stored as {}.", stored->size, path));
    co_return;
  }

  // In clear, the 226 goes out now and the file is committed once the client is known to have
  // received it; a killed client never does (AwaitReceipt).
  int64_t size = target.written();
  co_await Reply(226, fmt::format("Transfer complete: {} bytes stored as {}.", size, path));
  transfer->pending = true;
  pending_upload_ = &target;
  pending_path_ = path;
  server_.AddPendingUpload(this);
  std::string refused = co_await AwaitReceipt(*transfer);
  server_.RemovePendingUpload(this);
  pending_upload_ = nullptr;
  if (!refused.empty()) {
    (void)target.Finish(false);
    Log(fmt::format("upload of {} failed after {} bytes: {}; nothing was stored", path, size,
                    refused));
  } else {
    // On the session's thread: a command that came after the 226 (WaitTransferOrCommit) runs
    // once the commit is done, and sees the file.
    transfer->committing = true;
    transfer_done_.cancel();
    auto stored = target.Finish(true);
    if (!stored.ok()) {
      // The client was told 226: rare once the file is sealed (the index transaction failed).
      // Finish recorded the Upload Failed event with the reason when it could.
      Log(fmt::format("upload of {} was answered 226 but could not be stored: {}: {}", path,
                      stored.error().code, stored.error().message));
    }
  }
  transfer_.reset();
  transfer_done_.cancel();
}

// --- transfer commands ----------------------------------------------------------------------

asio::awaitable<void> Session::OnRetr(std::string_view arg) {
  int64_t offset = rest_;
  rest_ = 0;
  if (!co_await CheckDataProtection()) co_return;
  auto download = files_->OpenDownload(arg, offset);
  if (!download.ok()) {
    ResetDataSetup();
    co_await ReplyError(download.error(), Operation::kRead);
    co_return;
  }
  std::string shown = Path(arg);
  co_await Reply(150, fmt::format("Opening BINARY mode data connection for {} ({} bytes).", shown,
                                  (*download)->meta().size));
  auto data = co_await OpenData();
  if (!data.ok()) {
    (*download)->Finish(false);
    co_await Reply(425, "Cannot open data connection: " + data.error().message);
    co_return;
  }
  auto transfer = NewTransfer(std::move(*data));
  StartTransfer(SendFile(transfer, std::move(*download), shown));
}

asio::awaitable<void> Session::OnStor(std::string_view arg) { co_await Store(arg, false); }

asio::awaitable<void> Session::OnAppe(std::string_view arg) { co_await Store(arg, true); }

asio::awaitable<void> Session::Store(std::string_view arg, bool append) {
  int64_t offset = rest_;
  rest_ = 0;
  if (!co_await CheckDataProtection()) co_return;
  if (append) {
    // Objects are written whole: APPE can create a file, not add to one.
    auto info = files_->Stat(arg);
    if (info.ok() && info->type == EntryType::kFile) {
      ResetDataSetup();
      co_await Reply(554, "APPE to an existing file is not supported: files are stored whole.");
      co_return;
    }
  }
  // REST > 0 is refused by OpenUpload (kNotSupported, 554): objects are written whole.
  auto upload = files_->OpenUpload(arg, offset);
  if (!upload.ok()) {
    ResetDataSetup();
    co_await ReplyError(upload.error(), Operation::kCreate);
    co_return;
  }
  std::string shown = Path(arg);
  co_await Reply(150, "Ok to send data for " + shown + ".");
  auto data = co_await OpenData();
  if (!data.ok()) {
    (void)(*upload)->Finish(false);
    co_await Reply(425, "Cannot open data connection: " + data.error().message);
    co_return;
  }
  auto transfer = NewTransfer(std::move(*data));
  StartTransfer(ReceiveFile(transfer, std::move(*upload), shown));
}

asio::awaitable<void> Session::OnList(std::string_view arg) {
  co_await List(StripListOptions(arg), ListFormat::kLong);
}

asio::awaitable<void> Session::OnNlst(std::string_view arg) {
  co_await List(StripListOptions(arg), ListFormat::kNames);
}

asio::awaitable<void> Session::OnMlsd(std::string_view arg) {
  co_await List(arg, ListFormat::kFacts);
}

asio::awaitable<void> Session::List(std::string_view arg, ListFormat format) {
  rest_ = 0;
  if (!co_await CheckDataProtection()) co_return;
  FileSession& files = *files_;
  std::string path(arg);
  TimePoint now = server_.clock().Now();
  const PermissionSet permissions = user_->permissions;
  const MlstFacts facts = mlst_facts_;
  // NLST of a folder other than the current one names its entries by their path from there,
  // as the client wrote it.
  std::string prefix = path;
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (!prefix.empty() || (!path.empty() && path[0] == '/')) prefix += '/';
  auto line = [&](const ListEntry& entry) {
    switch (format) {
      case ListFormat::kLong:
        return ListLine(entry, now);
      case ListFormat::kNames:
        return entry.name;
      case ListFormat::kFacts:
        return MlsxLine(entry, facts, permissions);
    }
    return std::string();
  };
  auto listing = [&]() -> Result<std::string> {
    WHARF_TRY(FileInfo info, files.Stat(path));
    std::string out;
    if (info.type == EntryType::kFile) {
      if (format == ListFormat::kFacts) {
        return MakeError(kNotDirectory, info.path.path + " is a file, not a folder");
      }
      ListEntry entry{path, EntryType::kFile, info.size, info.modified};
      return line(entry) + "\r\n";
    }
    std::string token;
    do {
      WHARF_TRY(DirectoryPage page, files.List(path, token));
      for (const DirectoryEntry& e : page.entries) {
        if (!FitsInListing(e.name)) continue;
        ListEntry entry;
        entry.name = format == ListFormat::kNames ? prefix + e.name : e.name;
        entry.type = e.type;
        if (e.type == EntryType::kFile) {
          entry.size = e.meta.size;
          entry.modified = e.meta.last_modified;
        }
        out += line(entry) + "\r\n";
      }
      token = page.next_token;
    } while (!token.empty());
    return out;
  }();
  if (!listing.ok()) {
    ResetDataSetup();
    if (format == ListFormat::kFacts && listing.error().code == kNotDirectory) {
      co_await Reply(501, listing.error().message);
    } else {
      co_await ReplyError(listing.error(), Operation::kRead);
    }
    co_return;
  }
  co_await Reply(150, "Here comes the directory listing.");
  auto data = co_await OpenData();
  if (!data.ok()) {
    co_await Reply(425, "Cannot open data connection: " + data.error().message);
    co_return;
  }
  auto transfer = NewTransfer(std::move(*data));
  StartTransfer(SendText(transfer, std::move(*listing)));
}

}  // namespace wharf::ingest::ftp
