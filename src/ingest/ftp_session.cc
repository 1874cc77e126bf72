// An FTP control connection: the command loop, login, AUTH TLS, and the commands that need no
// data connection (see ftp_internal.h; transfers are in ftp_transfer.cc).
#include <openssl/rand.h>

#include <charconv>
#include <cstring>
#include <unordered_map>

#include <fmt/format.h>

#include "ingest/ftp_internal.h"
#include "ingest/transfer_events.h"

namespace wharf::ingest::ftp {
namespace {

std::string NewSessionId() {
  unsigned char bytes[8];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    std::memcpy(bytes, &now, sizeof(bytes));
  }
  std::string out;
  for (unsigned char b : bytes) out += fmt::format("{:02x}", b);
  return out;
}

bool UserNeedsTls(const UserConfig& user) {
  return !Users::AllowsProtocol(user, FileProtocol::kFtp) &&
         Users::AllowsProtocol(user, FileProtocol::kFtps);
}

// Commands that only read one path's metadata in the store (through Blocking) before they reply.
bool ReadsAFile(std::string_view verb) {
  return verb == "MFMT" || verb == "MDTM" || verb == "SIZE" || verb == "MLST";
}

struct CommandInfo {
  asio::awaitable<void> (Session::*handler)(std::string_view);
  bool needs_login;
};

}  // namespace

Session::Session(FtpServer::Impl& server, tcp::socket socket)
    : server_(server),
      control_(std::move(socket)),
      session_id_(NewSessionId()),
      executor_(control_.socket().get_executor()),
      work_(asio::make_strand(*server.pool)),
      transfer_done_(executor_),
      transfer_wake_(executor_),
      watchdog_(executor_) {
  error_code ec;
  // Replies are small and each one waits for the last: Nagle's algorithm would hold a reply
  // back until the client's delayed ACK of the one before (40 ms per file).
  control_.socket().set_option(tcp::no_delay(true), ec);
  local_ = control_.socket().local_endpoint(ec);
  remote_ = control_.socket().remote_endpoint(ec);
  client_ip_ = Unmapped(remote_.address()).to_string();
  server_.sessions.fetch_add(1);
  Touch();
}

Session::~Session() {
  server_.RemovePendingUpload(this);
  server_.sessions.fetch_sub(1);
}

void Session::Log(std::string_view line) const {
  // What a client typed (a user name) may hold control characters: they never reach the log.
  std::string clean(line);
  for (char& c : clean) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
  }
  server_.Log(fmt::format("ftp {} {}{}: {}", client_ip_, session_id_,
                          user_ ? " " + user_->name : std::string(), clean));
}

bool Session::TlsRequired() const {
  return server_.options.config.require_tls || (user_ != nullptr && UserNeedsTls(*user_));
}

std::string Session::Path(std::string_view arg) const {
  auto resolved = files_->Resolve(arg);
  return resolved.ok() ? resolved->path : std::string(arg);
}

asio::awaitable<void> Session::Run() {
  auto self = shared_from_this();
  asio::co_spawn(executor_, Watchdog(self), asio::detached);
  co_await Reply(220, "wharf FTP server ready.");
  while (!quit_) {
    std::optional<std::string> line = co_await ReadLine();
    if (!line) break;
    Touch();
    Command command = ParseCommand(*line);
    if (command.verb.empty()) continue;
    if (transfer_) {
      if (transfer_->pending) {
        // An upload answered 226 waits for proof that the client got the reply: a command that
        // came after it is one. (An ABOR now finds the transfer over and gets its own 226.) It
        // proves it at once if the 226 was acknowledged when it came; a pipelining client sends
        // commands before it reads the 226, and AwaitReceipt then waits for the acknowledgement.
        // Taken now, before a reply to this command is queued behind the 226.
        transfer_->command_arrived = true;
        if (ReplyDelivery() == Delivery::kAcknowledged) transfer_->received = true;
        // What clients send right after an upload (lftp sets the time with MFMT, others ask the
        // size) is answered from the upload, before the commit it proves: the commit then runs
        // while the reply travels and the client prepares its next command.
        bool answered = co_await AnswerAboutPendingUpload(command);
        transfer_wake_.cancel();
        if (answered) {
          rename_from_.reset();
          continue;
        }
        if (ReadsAFile(command.verb)) {
          // A question about another file: its look-up waits for the commit, so that it sees
          // the file.
          co_await WaitTransferOrCommit();
          if (command.verb != "RNTO" && command.verb != "RNFR") rename_from_.reset();
          co_await Dispatch(command);
          continue;
        }
      } else if (command.verb == "ABOR") {
        // RFC 959 section 4.1.3: ABOR during a transfer ends it (426 from the transfer, then
        // 226).
        AbortTransfer("the client sent ABOR");
        co_await WaitTransfer();
        co_await Reply(226, "ABOR command successful.");
        continue;
      }
      co_await WaitTransfer();
    }
    if (command.verb != "RNTO" && command.verb != "RNFR") rename_from_.reset();
    co_await Dispatch(command);
  }
  // The end: a transfer still running fails (the client left, idled out or quit mid-way).
  if (!quit_) control_closed_ = !timed_out_;
  if (transfer_) {
    AbortTransfer(timed_out_ ? "the session was idle too long" : "the control connection closed");
    co_await WaitTransfer();
  }
  if (timed_out_) {
    co_await Reply(421, "Idle timeout: closing control connection.");
  }
  closing_ = true;
  watchdog_.cancel();
  ResetDataSetup();
  if (!control_closed_) {
    co_await control_.Shutdown();
  } else {
    control_.Close();
  }
}

asio::awaitable<void> Session::Watchdog(std::shared_ptr<Session> self) {
  while (!closing_) {
    // Before login a connection gets at most kLoginTimeout of quiet: idle strangers should not
    // hold the server's connections for the whole idle timeout.
    auto idle = server_.options.config.idle_timeout;
    if (files_ == nullptr) idle = std::min<std::chrono::seconds>(idle, kLoginTimeout);
    watchdog_.expires_at(last_activity_ + idle);
    co_await watchdog_.async_wait(kAwaitTuple);
    if (closing_) break;
    if (std::chrono::steady_clock::now() < last_activity_ + idle) continue;
    Log("idle for " + std::to_string(idle.count()) + " s; closing");
    timed_out_ = true;
    AbortTransfer("the session was idle too long");
    error_code ignored;
    control_.socket().cancel(ignored);  // ends the command loop's read
    break;
  }
  (void)self;
}

asio::awaitable<std::optional<std::string>> Session::ReadLine() {
  char chunk[4096];
  for (;;) {
    if (timed_out_) co_return std::nullopt;  // the watchdog fired while a command ran
    size_t eol = inbuf_.find('\n');
    if (eol != std::string::npos) {
      std::string line = inbuf_.substr(0, eol);
      inbuf_.erase(0, eol + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      co_return line;
    }
    if (inbuf_.size() > kMaxCommandLine) {
      co_await Reply(500, "Command line too long.");
      co_return std::nullopt;
    }
    auto [ec, n] = co_await control_.ReadSome(asio::buffer(chunk));
    if (ec) co_return std::nullopt;
    inbuf_.append(chunk, n);
  }
}

asio::awaitable<void> Session::Reply(int code, std::string_view text) {
  std::string line = fmt::format("{} {}\r\n", code, text);
  (void)co_await control_.Write(asio::buffer(line));
}

asio::awaitable<void> Session::ReplyLines(int code, std::string_view first,
                                          const std::vector<std::string>& lines,
                                          std::string_view last) {
  std::string text = fmt::format("{}-{}\r\n", code, first);
  for (const std::string& line : lines) text += " " + line + "\r\n";
  text += fmt::format("{} {}\r\n", code, last);
  (void)co_await control_.Write(asio::buffer(text));
}

asio::awaitable<void> Session::ReplyError(const Error& error, Operation operation) {
  ftp::Reply reply = ReplyForError(error, operation);
  if (reply.code == 451) Log(error.code + ": " + error.message);
  co_await Reply(reply.code, reply.text);
}

asio::awaitable<void> Session::Dispatch(const Command& command) {
  static const std::unordered_map<std::string_view, CommandInfo> kCommands = {
      {"USER", {&Session::OnUser, false}}, {"PASS", {&Session::OnPass, false}},
      {"QUIT", {&Session::OnQuit, false}}, {"NOOP", {&Session::OnNoop, false}},
      {"SYST", {&Session::OnSyst, false}}, {"FEAT", {&Session::OnFeat, false}},
      {"OPTS", {&Session::OnOpts, false}}, {"HELP", {&Session::OnHelp, false}},
      {"STAT", {&Session::OnStat, false}}, {"AUTH", {&Session::OnAuth, false}},
      {"PBSZ", {&Session::OnPbsz, false}}, {"PROT", {&Session::OnProt, false}},
      {"CCC", {&Session::OnCcc, false}},   {"TYPE", {&Session::OnType, true}},
      {"MODE", {&Session::OnMode, true}},  {"STRU", {&Session::OnStru, true}},
      {"PWD", {&Session::OnPwd, true}},    {"XPWD", {&Session::OnPwd, true}},
      {"CWD", {&Session::OnCwd, true}},    {"XCWD", {&Session::OnCwd, true}},
      {"CDUP", {&Session::OnCdup, true}},  {"XCUP", {&Session::OnCdup, true}},
      {"MKD", {&Session::OnMkd, true}},    {"XMKD", {&Session::OnMkd, true}},
      {"RMD", {&Session::OnRmd, true}},    {"XRMD", {&Session::OnRmd, true}},
      {"DELE", {&Session::OnDele, true}},  {"RNFR", {&Session::OnRnfr, true}},
      {"RNTO", {&Session::OnRnto, true}},  {"SIZE", {&Session::OnSize, true}},
      {"MDTM", {&Session::OnMdtm, true}},  {"MFMT", {&Session::OnMfmt, true}},
      {"MLST", {&Session::OnMlst, true}},  {"REST", {&Session::OnRest, true}},
      {"ABOR", {&Session::OnAbor, true}},  {"PASV", {&Session::OnPasv, true}},
      {"EPSV", {&Session::OnEpsv, true}},  {"PORT", {&Session::OnPort, true}},
      {"EPRT", {&Session::OnEprt, true}},  {"RETR", {&Session::OnRetr, true}},
      {"STOR", {&Session::OnStor, true}},  {"APPE", {&Session::OnAppe, true}},
      {"LIST", {&Session::OnList, true}},  {"NLST", {&Session::OnNlst, true}},
      {"MLSD", {&Session::OnMlsd, true}},
  };
  auto it = kCommands.find(command.verb);
  if (it == kCommands.end()) {
    co_await Reply(502, "Command not implemented.");
    co_return;
  }
  if (it->second.needs_login && files_ == nullptr) {
    co_await Reply(530, "Please log in with USER and PASS.");
    co_return;
  }
  co_await (this->*(it->second.handler))(command.arg);
}

// --- login and TLS --------------------------------------------------------------------------

asio::awaitable<void> Session::OnUser(std::string_view arg) {
  if (files_ != nullptr) {
    co_await Reply(530, "Already logged in; the user cannot be changed.");
    co_return;
  }
  if (arg.empty()) {
    co_await Reply(501, "USER needs a user name.");
    co_return;
  }
  if (!control_.tls()) {
    // RFC 4217 section 11: a server whose policy needs a protected login refuses USER.
    if (server_.options.config.require_tls) {
      co_await Reply(530, "This server requires TLS: send AUTH TLS before USER.");
      co_return;
    }
    // A user whose protocols allow FTPS but not FTP: refused here, before the password crosses
    // the network in clear (this tells a client that the name is such a user).
    const UserConfig* user = server_.options.users->Find(arg);
    if (user != nullptr && UserNeedsTls(*user)) {
      co_await Reply(530, "This user must log in over TLS: send AUTH TLS before USER.");
      co_return;
    }
  }
  pending_user_ = std::string(arg);
  co_await Reply(331, "Password required.");
}

asio::awaitable<void> Session::OnPass(std::string_view arg) {
  if (files_ != nullptr) {
    co_await Reply(503, "Already logged in.");
    co_return;
  }
  if (!pending_user_) {
    co_await Reply(503, "Send USER first.");
    co_return;
  }
  std::string name = std::move(*pending_user_);
  pending_user_.reset();
  FileProtocol protocol = control_.tls() ? FileProtocol::kFtps : FileProtocol::kFtp;
  Users& users = *server_.options.users;
  std::string password(arg);
  // A slow hash by design (tens of milliseconds): on a worker, not on a network thread.
  Login login = co_await Offload(
      work_, [&] { return users.Authenticate(name, password, client_ip_, protocol); });
  if (login.result == LoginResult::kLockedOut) {
    Log("login of '" + name + "' refused: " + login.reason);
    co_await Reply(530, fmt::format("Too many failed logins from {}; try again in {} s.",
                                    client_ip_, login.retry_after.count()));
    co_return;
  }
  if (!login.accepted()) {
    Log("login of '" + name + "' failed: " + login.reason);
    co_await Reply(530, "Login incorrect.");
    co_return;
  }
  user_ = login.user;
  SessionInfo info;
  info.protocol = protocol;
  info.server_id = server_.server_id;
  info.session_id = session_id_;
  info.client_ip = client_ip_;
  info.bucket = server_.options.bucket;
  info.region = server_.options.region;
  info.account = server_.options.account;
  info.clock = server_.options.clock;
  files_ = std::make_unique<FileSession>(*server_.options.store, *user_, std::move(info));
  Log(std::string("logged in by ") + TransferProtocolName(protocol));
  co_await Reply(230, "Login successful.");
}

asio::awaitable<void> Session::OnQuit(std::string_view) {
  quit_ = true;
  co_await Reply(221, "Goodbye.");
}

asio::awaitable<void> Session::OnAuth(std::string_view arg) {
  std::string mechanism;
  for (char c : arg) mechanism.push_back(static_cast<char>(std::toupper(c)));
  if (control_.tls()) {
    co_await Reply(503, "TLS is already on.");
    co_return;
  }
  // RFC 4217 section 4: "TLS"; "SSL" and "TLS-C" are older names clients still send.
  if (mechanism != "TLS" && mechanism != "SSL" && mechanism != "TLS-C") {
    co_await Reply(504, "AUTH supports TLS only.");
    co_return;
  }
  co_await Reply(234, "AUTH TLS successful.");
  // Anything the client sent after AUTH before the handshake would be taken as protected; it
  // is dropped (the STARTTLS command injection).
  inbuf_.clear();
  error_code ec;
  {
    Deadline deadline(control_.socket().get_executor(), kHandshakeTimeout,
                      [this] { control_.Close(); });
    ec = co_await control_.Handshake(*server_.tls, Channel::Kind::kControl);
  }
  if (ec) {
    Log("TLS handshake on the control connection failed: " + ec.message());
    control_.Close();
    co_return;
  }
  // RFC 4217 section 5: a new AUTH resets the protection state; USER starts again.
  pbsz_ = false;
  prot_private_ = false;
  pending_user_.reset();
}

asio::awaitable<void> Session::OnPbsz(std::string_view arg) {
  if (!control_.tls()) {
    co_await Reply(503, "PBSZ needs AUTH TLS first.");
    co_return;
  }
  if (arg.empty() || arg.find_first_not_of("0123456789") != std::string_view::npos) {
    co_await Reply(501, "PBSZ takes a number.");
    co_return;
  }
  pbsz_ = true;
  // RFC 4217 section 8: TLS needs no buffer; any size is answered with 0.
  co_await Reply(200, "PBSZ=0");
}

asio::awaitable<void> Session::OnProt(std::string_view arg) {
  if (!control_.tls()) {
    co_await Reply(503, "PROT needs AUTH TLS first.");
    co_return;
  }
  if (!pbsz_) {
    co_await Reply(503, "PROT needs PBSZ first.");
    co_return;
  }
  std::string level;
  for (char c : arg) level.push_back(static_cast<char>(std::toupper(c)));
  if (level == "P") {
    prot_private_ = true;
    co_await Reply(200, "PROT now Private.");
  } else if (level == "C") {
    prot_private_ = false;
    co_await Reply(200, "PROT now Clear.");
  } else if (level == "S" || level == "E") {
    co_await Reply(536, "PROT " + level + " is not supported with TLS; use P or C.");
  } else {
    co_await Reply(504, "PROT takes C or P.");
  }
}

asio::awaitable<void> Session::OnCcc(std::string_view) {
  co_await Reply(534, "CCC is refused: the control connection stays protected.");
}

// --- server information ---------------------------------------------------------------------

asio::awaitable<void> Session::OnNoop(std::string_view) { co_await Reply(200, "NOOP ok."); }

asio::awaitable<void> Session::OnSyst(std::string_view) { co_await Reply(215, "UNIX Type: L8"); }

asio::awaitable<void> Session::OnFeat(std::string_view) {
  std::vector<std::string> features = {"AUTH TLS", "PBSZ", "PROT", "UTF8",        "EPSV", "PASV",
                                       "SIZE",     "MDTM", "MFMT", "REST STREAM", "TVFS"};
  if (server_.options.config.allow_active) features.push_back("EPRT");
  // RFC 3659 section 7.8: the facts offered, those in use marked with '*'.
  features.push_back(fmt::format("MLST type{};size{};modify{};perm{};", mlst_facts_.type ? "*" : "",
                                 mlst_facts_.size ? "*" : "", mlst_facts_.modify ? "*" : "",
                                 mlst_facts_.perm ? "*" : ""));
  co_await ReplyLines(211, "Features:", features, "End");
}

asio::awaitable<void> Session::OnOpts(std::string_view arg) {
  std::string_view option = arg.substr(0, arg.find(' '));
  std::string name;
  for (char c : option) name.push_back(static_cast<char>(std::toupper(c)));
  std::string_view value = option.size() < arg.size() ? arg.substr(option.size() + 1) : "";
  if (name == "UTF8" || name == "UTF-8") {
    // Paths are UTF-8 always (RFC 2640); OFF cannot be honoured.
    std::string on;
    for (char c : value) on.push_back(static_cast<char>(std::toupper(c)));
    if (on == "OFF") {
      co_await Reply(504, "UTF8 is always on.");
    } else {
      co_await Reply(200, "UTF8 mode is always on.");
    }
  } else if (name == "MLST") {
    mlst_facts_ = ParseMlstOpts(value);
    co_await Reply(200, "MLST OPTS " + MlstOptsText(mlst_facts_));
  } else {
    co_await Reply(501, "OPTS supports UTF8 and MLST.");
  }
}

asio::awaitable<void> Session::OnHelp(std::string_view) {
  std::vector<std::string> lines = {
      "ABOR APPE AUTH CCC CDUP CWD DELE EPRT EPSV FEAT HELP LIST MDTM MFMT",
      "MKD MLSD MLST MODE NLST NOOP OPTS PASS PASV PBSZ PORT PROT PWD QUIT",
      "REST RETR RMD RNFR RNTO SIZE STAT STOR STRU SYST TYPE USER"};
  co_await ReplyLines(214, "The following commands are recognized:", lines, "Help OK.");
}

asio::awaitable<void> Session::OnStat(std::string_view arg) {
  if (!arg.empty()) {
    co_await Reply(504, "STAT with a path is not supported; use LIST.");
    co_return;
  }
  std::vector<std::string> lines;
  lines.push_back("Connected from " + client_ip_);
  lines.push_back(user_ ? "Logged in as " + user_->name : std::string("Not logged in"));
  lines.push_back(std::string("TYPE: ") + (ascii_ ? "ASCII (transferred as binary)" : "BINARY") +
                  "; control: " + (control_.tls() ? "TLS" : "clear") +
                  "; data: " + (prot_private_ ? "TLS (PROT P)" : "clear (PROT C)"));
  if (transfer_) lines.push_back("A transfer is in progress");
  co_await ReplyLines(211, "wharf FTP server status:", lines, "End of status.");
}

// --- transfer parameters --------------------------------------------------------------------

asio::awaitable<void> Session::OnType(std::string_view arg) {
  std::string type;
  for (char c : arg) type.push_back(static_cast<char>(std::toupper(c)));
  if (type == "I" || type == "L 8" || type == "L8") {
    ascii_ = false;
    co_await Reply(200, "Type set to I.");
  } else if (type == "A" || type == "A N") {
    // Files are stored and sent exactly as they are: no end-of-line translation.
    ascii_ = true;
    co_await Reply(200, "Type set to A (files are transferred unchanged, as binary).");
  } else {
    co_await Reply(504, "TYPE takes I or A.");
  }
}

asio::awaitable<void> Session::OnMode(std::string_view arg) {
  if (arg == "S" || arg == "s") {
    co_await Reply(200, "Mode set to S.");
  } else {
    co_await Reply(504, "Only MODE S (stream) is supported.");
  }
}

asio::awaitable<void> Session::OnStru(std::string_view arg) {
  if (arg == "F" || arg == "f") {
    co_await Reply(200, "Structure set to F.");
  } else {
    co_await Reply(504, "Only STRU F (file) is supported.");
  }
}

asio::awaitable<void> Session::OnRest(std::string_view arg) {
  int64_t offset = 0;
  auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), offset);
  if (arg.empty() || ec != std::errc() || end != arg.data() + arg.size() || offset < 0) {
    co_await Reply(501, "REST takes a byte offset.");
    co_return;
  }
  rest_ = offset;
  co_await Reply(350, fmt::format("Restarting at {}. Send RETR to resume a download.", offset));
}

asio::awaitable<void> Session::OnAbor(std::string_view) {
  // A transfer in progress was handled by the command loop; nothing is running now.
  ResetDataSetup();
  co_await Reply(226, "No transfer to abort.");
}

// --- folders and files ----------------------------------------------------------------------

asio::awaitable<void> Session::OnPwd(std::string_view) {
  co_await Reply(257, QuotePath(files_->cwd()) + " is the current directory.");
}

asio::awaitable<void> Session::OnCwd(std::string_view arg) {
  Status changed = files_->ChangeDirectory(arg);
  if (!changed.ok()) {
    co_await ReplyError(changed.error(), Operation::kRead);
    co_return;
  }
  co_await Reply(250, "Directory changed to " + files_->cwd());
}

asio::awaitable<void> Session::OnCdup(std::string_view) {
  if (files_->cwd() == "/") {
    co_await Reply(250, "Directory changed to /");
    co_return;
  }
  co_await OnCwd("..");
}

asio::awaitable<void> Session::OnMkd(std::string_view arg) {
  Status made = files_->MakeDirectory(arg);
  if (!made.ok()) {
    co_await ReplyError(made.error(), Operation::kCreate);
    co_return;
  }
  co_await Reply(257, QuotePath(Path(arg)) + " created.");
}

asio::awaitable<void> Session::OnRmd(std::string_view arg) {
  Status removed = files_->RemoveDirectory(arg);
  if (!removed.ok()) {
    co_await ReplyError(removed.error(), Operation::kChange);
    co_return;
  }
  co_await Reply(250, "Directory removed.");
}

asio::awaitable<void> Session::OnDele(std::string_view arg) {
  Status removed = files_->Remove(arg);
  if (!removed.ok()) {
    co_await ReplyError(removed.error(), Operation::kChange);
    co_return;
  }
  co_await Reply(250, "File deleted.");
}

asio::awaitable<void> Session::OnRnfr(std::string_view arg) {
  auto info = files_->Stat(arg);
  // Without the list permission the name cannot be checked here; RNTO will tell.
  if (!info.ok() && info.error().code != kAccessDenied) {
    co_await ReplyError(info.error(), Operation::kRead);
    co_return;
  }
  rename_from_ = std::string(arg);
  co_await Reply(350, "Ready for RNTO.");
}

asio::awaitable<void> Session::OnRnto(std::string_view arg) {
  if (!rename_from_) {
    co_await Reply(503, "Send RNFR first.");
    co_return;
  }
  std::string from = std::move(*rename_from_);
  rename_from_.reset();
  // RNTO onto an existing file replaces it, as rename(2) does.
  Status renamed = files_->Rename(from, arg, true);
  if (!renamed.ok()) {
    co_await ReplyError(renamed.error(), Operation::kCreate);
    co_return;
  }
  co_await Reply(250, "Rename successful.");
}

asio::awaitable<void> Session::OnSize(std::string_view arg) {
  co_await ReplyFileFact("SIZE", files_->Stat(arg));
}

asio::awaitable<void> Session::OnMdtm(std::string_view arg) {
  co_await ReplyFileFact("MDTM", files_->Stat(arg));
}

asio::awaitable<void> Session::OnMfmt(std::string_view arg) {
  std::optional<std::string_view> path = FactPath("MFMT", arg);
  if (!path) {
    co_await Reply(501, "MFMT takes YYYYMMDDHHMMSS and a path.");
    co_return;
  }
  co_await ReplyFileFact("MFMT", files_->Stat(*path));
}

std::optional<std::string_view> Session::FactPath(std::string_view verb, std::string_view arg) {
  if (verb == "SIZE" || verb == "MDTM") return arg;
  if (verb != "MFMT") return std::nullopt;
  size_t space = arg.find(' ');
  if (space == std::string_view::npos || !ParseFtpTime(arg.substr(0, space))) return std::nullopt;
  return arg.substr(space + 1);
}

asio::awaitable<void> Session::ReplyFileFact(std::string_view verb, const Result<FileInfo>& info) {
  if (!info.ok()) {
    co_await ReplyError(info.error(), Operation::kRead);
  } else if (info->type != EntryType::kFile) {
    co_await Reply(550, info->path.path + " is not a plain file.");
  } else if (verb == "SIZE") {
    co_await Reply(213, std::to_string(info->size));
  } else if (verb == "MDTM") {
    co_await Reply(213, FormatFtpTime(info->modified));
  } else {
    // MFMT. A stored object's time is when it was stored and cannot be set: the reply says which
    // time the file has (draft-somers-ftp-mfxx: "213 Modify=TIME; PATH").
    co_await Reply(213, "Modify=" + FormatFtpTime(info->modified) + "; " + info->path.path);
  }
}

asio::awaitable<bool> Session::AnswerAboutPendingUpload(const Command& command) {
  // Only an upload known to be received: one not yet proven may still fail.
  if (pending_upload_ == nullptr || !transfer_->received) co_return false;
  std::optional<std::string_view> path = FactPath(command.verb, command.arg);
  if (!path) co_return false;
  auto info = files_->StatUpload(*pending_upload_, *path);
  // Another file, or an error its handler will report: the usual way, after the commit.
  if (!info.ok() || !*info) co_return false;
  co_await ReplyFileFact(command.verb, std::move(**info));
  co_return true;
}

asio::awaitable<void> Session::OnMlst(std::string_view arg) {
  auto info = files_->Stat(arg);
  if (!info.ok()) {
    co_await ReplyError(info.error(), Operation::kRead);
    co_return;
  }
  ListEntry entry;
  entry.name = info->path.path;
  entry.type = info->type;
  entry.size = info->size;
  if (info->type == EntryType::kFile) entry.modified = info->modified;
  std::vector<std::string> lines = {MlsxLine(entry, mlst_facts_, user_->permissions)};
  co_await ReplyLines(250, "Listing " + info->path.path, lines, "End");
}

}  // namespace wharf::ingest::ftp
