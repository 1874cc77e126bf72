// The FTP server over a real LocalObjectStore in a temporary folder, driven by the real clients
// `curl` and `lftp` (plain FTP and explicit FTPS), and by a small raw client where exact reply
// codes matter: uploads and downloads checked by hash, listings, rename, delete, path escapes,
// wrong passwords and lockout, required TLS, and uploads cut off mid-way.
#include "ingest/ftp_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "ingest/ftp_protocol.h"
#include "ingest/ftp_tls.h"
#include "ingest/lockout.h"
#include "ingest/passwords.h"
#include "ingest/users.h"
#include "objects/objects_testing.h"

namespace wharf::ingest {
namespace {

using objects::testing::CountTemp;
using objects::testing::Md5Hex;
using objects::testing::TempDir;
using namespace std::chrono_literals;

constexpr char kAlicePassword[] = "alice-secret-1";
constexpr char kBobPassword[] = "bob-secret-2";

// --- helpers --------------------------------------------------------------------------------

struct Ran {
  int status = -1;  // the exit status, or -1 when the command did not exit normally
  std::string output;
};

// Runs a shell command (bounded by `timeout 20`) and collects its output and error.
Ran Shell(const std::string& command) {
  Ran ran;
  std::string full = "timeout 20 " + command + " 2>&1";
  FILE* pipe = ::popen(full.c_str(), "r");
  if (pipe == nullptr) return ran;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) ran.output.append(buffer, n);
  int status = ::pclose(pipe);
  ran.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return ran;
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A plain FTP client on blocking sockets, for the exact replies that curl and lftp hide.
class RawClient {
 public:
  explicit RawClient(uint16_t port) {
    fd_ = Connect(port);
    greeting_ = Read();
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  const std::pair<int, std::string>& greeting() const { return greeting_; }

  // Waits (up to 10 s) until the server's next reply is in the socket, not reading it.
  bool WaitUnread() {
    if (!buffer_.empty()) return true;
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 10000) == 1;
  }
  // Closes the control connection, as a client that exits or is killed does: with bytes unread,
  // Linux sends a reset instead of a FIN.
  void Close() {
    ::close(fd_);
    fd_ = -1;
  }

  static int Connect(uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  }

  // One reply: its code and its whole text (every line of a multi-line reply).
  std::pair<int, std::string> Read() {
    std::string text;
    for (;;) {
      std::string line = ReadLine();
      if (line.empty()) return {-1, text};
      text += line + "\n";
      if (line.size() >= 4 && std::isdigit(line[0]) && line[3] == ' ') {
        return {std::stoi(line.substr(0, 3)), text};
      }
    }
  }
  std::pair<int, std::string> Command(const std::string& line) {
    Send(fd_, line + "\r\n");
    return Read();
  }
  int Code(const std::string& line) { return Command(line).first; }
  // Sends a command without reading its reply (a pipelining client).
  void SendOnly(const std::string& line) { Send(fd_, line + "\r\n"); }

  void Login(const std::string& user, const std::string& password) {
    ASSERT_EQ(Code("USER " + user), 331);
    ASSERT_EQ(Code("PASS " + password), 230);
  }
  // EPSV, and a connection to the port it names; -1 when either fails.
  int OpenData() {
    auto [code, text] = Command("EPSV");
    std::smatch m;
    if (code != 229 || !std::regex_search(text, m, std::regex(R"(\(\|\|\|(\d+)\|\))"))) return -1;
    return Connect(static_cast<uint16_t>(std::stoi(m[1])));
  }

  static void Send(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }
  static std::string ReadAll(int fd) {
    std::string out;
    char buffer[65536];
    ssize_t n;
    while ((n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0) out.append(buffer, n);
    return out;
  }

 private:
  std::string ReadLine() {
    for (;;) {
      size_t eol = buffer_.find("\r\n");
      if (eol != std::string::npos) {
        std::string line = buffer_.substr(0, eol);
        buffer_.erase(0, eol + 2);
        return line;
      }
      char chunk[4096];
      ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) return "";
      buffer_.append(chunk, n);
    }
  }

  int fd_ = -1;
  std::string buffer_;
  std::pair<int, std::string> greeting_;
};

UserConfig MakeUser(const std::string& name, const std::string& hash) {
  UserConfig user;
  user.name = name;
  user.password_hash = hash;
  user.home = name + "/";
  return user;
}

// --- the fixture ----------------------------------------------------------------------------

class FtpServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // One hash per password and one store for the whole suite: yescrypt is slow on purpose, and
    // opening a store lays out its folders. Each test uses names of its own in the store.
    alice_hash_ = new std::string(*HashPassword(kAlicePassword));
    bob_hash_ = new std::string(*HashPassword(kBobPassword));
    store_dir_ = new TempDir();
    auto opened = objects::testing::OpenStore(store_dir_->path() + "/objects");
    if (opened.ok()) shared_store_ = opened->release();
  }
  static void TearDownTestSuite() {
    delete shared_store_;
    shared_store_ = nullptr;
    delete store_dir_;
    store_dir_ = nullptr;
    delete alice_hash_;
    alice_hash_ = nullptr;
    delete bob_hash_;
    bob_hash_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(shared_store_, nullptr);
    store_ = shared_store_;
    // Only the events of this test count.
    for (;;) {
      auto events = store_->ReadEvents(1000, first_seq_);
      ASSERT_TRUE(events.ok());
      if (events->empty()) break;
      first_seq_ = events->back().seq;
    }

    LockoutConfig lockout;
    lockout.max_failures = 3;
    lockout_ = std::make_unique<Lockout>(lockout, clock_);
    std::map<std::string, UserConfig> users;
    users.emplace("alice", MakeUser("alice", *alice_hash_));
    // bob may use FTPS only: his login needs AUTH TLS.
    users.emplace("bob", MakeUser("bob", *bob_hash_));
    users.at("bob").protocols.clear();
    users.at("bob").protocols.push_back(FileProtocol::kFtps);
    // carol may upload files of 1,000 bytes at most.
    users.emplace("carol", MakeUser("carol", *alice_hash_));
    users.at("carol").max_file_size = 1000;
    users_ = std::make_unique<Users>(std::move(users), *lockout_);
  }

  void TearDown() override {
    for (auto& server : servers_) server->Stop();
  }

  FtpServer& Start(bool require_tls = false,
                   const std::function<void(FtpServerOptions&)>& tweak = {}) {
    FtpServerOptions options;
    options.config.listen = {"127.0.0.1", 0};
    options.config.require_tls = require_tls;
    options.config.idle_timeout = 20s;
    options.store = store_;
    options.users = users_.get();
    options.data_dir = dir_.path() + "/data";
    options.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(log_mu_);
      log_ += line + "\n";
    };
    if (tweak) tweak(options);
    servers_.push_back(std::make_unique<FtpServer>(options));
    Status started = servers_.back()->Start();
    EXPECT_TRUE(started.ok()) << started.error().message;
    return *servers_.back();
  }

  std::string Url(const FtpServer& server, const std::string& user, const std::string& password,
                  const std::string& path = "/") {
    return "ftp://" + user + ":" + password + "@127.0.0.1:" + std::to_string(server.port()) + path;
  }
  std::string AliceUrl(const FtpServer& server, const std::string& path = "/") {
    return Url(server, "alice", kAlicePassword, path);
  }

  std::string Local(const std::string& name) { return dir_.path() + "/" + name; }

  std::vector<objects::ObjectEvent> Events() {
    std::vector<objects::ObjectEvent> out;
    int64_t after = first_seq_;
    for (;;) {
      auto events = store_->ReadEvents(1000, after);
      if (!events.ok() || events->empty()) return out;
      after = events->back().seq;
      out.insert(out.end(), events->begin(), events->end());
    }
  }
  std::vector<std::string> EventKinds() {
    std::vector<std::string> kinds;
    for (const auto& e : Events()) kinds.push_back(e.kind);
    return kinds;
  }
  std::string EventPayloads() {
    std::string out;
    for (const auto& e : Events()) out += e.payload + "\n";
    return out;
  }
  bool HasEvent(const std::string& kind) {
    auto kinds = EventKinds();
    return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
  }

  // Waits until no session is open (the server has seen every client leave).
  void WaitIdle(const FtpServer& server) {
    for (int i = 0; i < 200 && server.sessions() > 0; ++i) std::this_thread::sleep_for(10ms);
  }

  std::string Log() {
    std::lock_guard<std::mutex> lock(log_mu_);
    return log_;
  }

  static std::string* alice_hash_;
  static std::string* bob_hash_;
  static TempDir* store_dir_;
  static objects::LocalObjectStore* shared_store_;
  TempDir dir_;
  SystemClock clock_;
  objects::LocalObjectStore* store_ = nullptr;
  int64_t first_seq_ = 0;
  std::unique_ptr<Lockout> lockout_;
  std::unique_ptr<Users> users_;
  std::vector<std::unique_ptr<FtpServer>> servers_;
  std::mutex log_mu_;
  std::string log_;
};

std::string* FtpServerTest::alice_hash_ = nullptr;
std::string* FtpServerTest::bob_hash_ = nullptr;
TempDir* FtpServerTest::store_dir_ = nullptr;
objects::LocalObjectStore* FtpServerTest::shared_store_ = nullptr;

// --- curl -----------------------------------------------------------------------------------

TEST_F(FtpServerTest, CurlUploadsDownloadsAndListsInPlainFtp) {
  FtpServer& server = Start();
  std::string bytes = RandomBytes(3 * 1024 * 1024 + 17, 1);
  WriteFile(Local("up.bin"), bytes);

  Ran up = Shell("curl -sS --ftp-create-dirs -T " + Local("up.bin") + " " +
                 AliceUrl(server, "/in/2024/data.bin"));
  ASSERT_EQ(up.status, 0) << up.output;
  auto meta = store_->Head("alice/in/2024/data.bin");
  ASSERT_TRUE(meta.ok()) << meta.error().message;
  EXPECT_EQ(meta->size, static_cast<int64_t>(bytes.size()));
  EXPECT_EQ(meta->etag, Md5Hex(bytes));
  EXPECT_EQ(meta->protocol, "FTP");
  EXPECT_EQ(meta->uploaded_by, "alice");
  EXPECT_TRUE(HasEvent("FTP Server File Upload Completed"));
  EXPECT_TRUE(HasEvent("Object Created"));

  Ran down =
      Shell("curl -sS -o " + Local("down.bin") + " " + AliceUrl(server, "/in/2024/data.bin"));
  ASSERT_EQ(down.status, 0) << down.output;
  EXPECT_EQ(Md5Hex(ReadFile(Local("down.bin"))), Md5Hex(bytes));

  // A download resumed from an offset (REST).
  Ran resumed = Shell("curl -sS -r 3000000- " + AliceUrl(server, "/in/2024/data.bin") + " -o " +
                      Local("tail.bin"));
  ASSERT_EQ(resumed.status, 0) << resumed.output;
  EXPECT_EQ(ReadFile(Local("tail.bin")), bytes.substr(3000000));

  Ran list = Shell("curl -sS " + AliceUrl(server, "/in/2024/"));
  ASSERT_EQ(list.status, 0) << list.output;
  EXPECT_TRUE(std::regex_search(
      list.output, std::regex(R"(^-rw-r--r-- 1 ftp ftp +3145745 \w{3} [ \d]\d \d\d:\d\d data\.bin)",
                              std::regex::multiline)))
      << list.output;
  Ran names = Shell("curl -sS -l " + AliceUrl(server, "/in/"));
  ASSERT_EQ(names.status, 0) << names.output;
  EXPECT_EQ(names.output, "2024\n");  // curl lists in ASCII mode and drops the CRs
}

TEST_F(FtpServerTest, CurlOverExplicitTls) {
  FtpServer& server = Start();
  std::string bytes = RandomBytes(1024 * 1024 + 5, 2);
  WriteFile(Local("up.bin"), bytes);
  // --ssl-reqd: AUTH TLS on the control connection, PROT P on the data connections. (curl's
  // ftps:// scheme is implicit TLS, which the server does not offer.)
  std::string curl = "curl -sS --ssl-reqd -k ";
  Ran up = Shell(curl + "-T " + Local("up.bin") + " " + AliceUrl(server, "/tls.bin"));
  ASSERT_EQ(up.status, 0) << up.output << Log();
  auto meta = store_->Head("alice/tls.bin");
  ASSERT_TRUE(meta.ok()) << meta.error().message;
  EXPECT_EQ(meta->etag, Md5Hex(bytes));
  EXPECT_EQ(meta->protocol, "FTPS");
  EXPECT_TRUE(HasEvent("FTPS Server File Upload Completed"));

  Ran down = Shell(curl + "-o " + Local("down.bin") + " " + AliceUrl(server, "/tls.bin"));
  ASSERT_EQ(down.status, 0) << down.output;
  EXPECT_EQ(Md5Hex(ReadFile(Local("down.bin"))), Md5Hex(bytes));

  Ran list = Shell(curl + AliceUrl(server, "/"));
  ASSERT_EQ(list.status, 0) << list.output;
  EXPECT_NE(list.output.find(" tls.bin"), std::string::npos) << list.output;

  // The certificate was made at first start and kept in the data folder.
  EXPECT_TRUE(server.certificate_created());
  EXPECT_TRUE(
      std::regex_match(server.certificate_fingerprint(), std::regex("SHA256(:[0-9A-F]{2}){32}")))
      << server.certificate_fingerprint();
  Ran shown = Shell("openssl x509 -noout -fingerprint -sha256 -in " + server.certificate_file());
  EXPECT_NE(shown.output.find(server.certificate_fingerprint().substr(7)), std::string::npos)
      << shown.output;
}

TEST_F(FtpServerTest, CurlQuoteCommandsRenameAndDelete) {
  FtpServer& server = Start();
  WriteFile(Local("a.txt"), "alpha\n");
  ASSERT_EQ(Shell("curl -sS -T " + Local("a.txt") + " " + AliceUrl(server, "/a.txt")).status, 0);

  Ran renamed = Shell("curl -sS -Q 'RNFR a.txt' -Q 'RNTO b.txt' " + AliceUrl(server, "/"));
  ASSERT_EQ(renamed.status, 0) << renamed.output;
  EXPECT_FALSE(store_->Head("alice/a.txt").ok());
  EXPECT_TRUE(store_->Head("alice/b.txt").ok());
  EXPECT_NE(renamed.output.find("b.txt"), std::string::npos) << renamed.output;

  Ran deleted = Shell("curl -sS -Q 'DELE b.txt' " + AliceUrl(server, "/"));
  ASSERT_EQ(deleted.status, 0) << deleted.output;
  EXPECT_FALSE(store_->Head("alice/b.txt").ok());
  EXPECT_TRUE(HasEvent("FTP Server File Rename Completed"));
  EXPECT_TRUE(HasEvent("FTP Server File Delete Completed"));

  // A command the server refuses fails curl (21: quote error).
  Ran missing = Shell("curl -sS -Q 'DELE nothing.txt' " + AliceUrl(server, "/"));
  EXPECT_EQ(missing.status, 21) << missing.output;
}

TEST_F(FtpServerTest, CurlWrongPasswordIsRefused) {
  FtpServer& server = Start();
  Ran wrong = Shell("curl -sS " + Url(server, "alice", "not-the-password"));
  EXPECT_EQ(wrong.status, 67) << wrong.output;  // CURLE_LOGIN_DENIED
  EXPECT_NE(Log().find("login of 'alice' failed: wrong password"), std::string::npos) << Log();
}

// --- lftp -----------------------------------------------------------------------------------

TEST_F(FtpServerTest, LftpPutsMovesListsGetsAndRemovesOverTls) {
  FtpServer& server = Start();
  std::string bytes = RandomBytes(2 * 1024 * 1024 + 3, 3);
  WriteFile(Local("put.bin"), bytes);
  // lftp upgrades to TLS when the server offers it (ftp:ssl-allow) and protects data
  // (ftp:ssl-protect-data); it lists with MLSD.
  std::string script =
      "set ssl:verify-certificate no; set net:max-retries 1; "
      "mkdir drop; cd drop; put " +
      Local("put.bin") + " -o part.bin; mv part.bin done.bin; cls -l; get done.bin -o " +
      Local("got.bin") + "; rm done.bin; cd ..; rmdir drop; bye";
  Ran ran = Shell("lftp -e \"" + script + "\" -u alice," + kAlicePassword +
                  " ftp://127.0.0.1:" + std::to_string(server.port()));
  ASSERT_EQ(ran.status, 0) << ran.output << Log();
  EXPECT_NE(ran.output.find("done.bin"), std::string::npos) << ran.output;
  EXPECT_EQ(Md5Hex(ReadFile(Local("got.bin"))), Md5Hex(bytes));
  EXPECT_FALSE(store_->Head("alice/drop/done.bin").ok());
  EXPECT_FALSE(store_->Head("alice/drop/").ok());
  // In clear (no AUTH TLS), listing with LIST and MLSD.
  Ran plain = Shell("lftp -e \"set ftp:ssl-allow no; set net:max-retries 1; put " +
                    Local("put.bin") + " -o plain.bin; ls; cls -l; rm plain.bin; bye\" -u alice," +
                    kAlicePassword + " ftp://127.0.0.1:" + std::to_string(server.port()));
  ASSERT_EQ(plain.status, 0) << plain.output << Log();
  EXPECT_TRUE(std::regex_search(plain.output,
                                std::regex(R"(-rw-r--r-- +1 ftp +ftp +2097155 .* plain\.bin)")))
      << plain.output;
  EXPECT_TRUE(HasEvent("FTP Server File Upload Completed"));
  for (const char* kind :
       {"FTPS Server Directory Create Completed", "FTPS Server File Upload Completed",
        "FTPS Server File Rename Completed", "FTPS Server File Delete Completed",
        "FTPS Server Directory Delete Completed"}) {
    EXPECT_TRUE(HasEvent(kind)) << kind;
  }
}

// --- exact replies --------------------------------------------------------------------------

TEST_F(FtpServerTest, PathEscapesAreRefused) {
  FtpServer& server = Start();
  RawClient ftp(server.port());
  EXPECT_EQ(ftp.greeting().first, 220);
  ftp.Login("alice", kAlicePassword);
  EXPECT_EQ(ftp.Code("CWD ../.."), 550);
  EXPECT_EQ(ftp.Command("PWD").second, "257 \"/\" is the current directory.\n");
  EXPECT_EQ(ftp.Code("CDUP"), 250);  // at the root, CDUP stays there
  int data = ftp.OpenData();
  ASSERT_GE(data, 0);
  auto retr = ftp.Command("RETR ../../etc/passwd");
  EXPECT_EQ(retr.first, 550) << retr.second;
  ::close(data);
  EXPECT_EQ(ftp.Code("SIZE ../../etc/passwd"), 550);
  EXPECT_EQ(ftp.Code("MKD ../outside"), 553);
  EXPECT_EQ(ftp.Code("DELE /../../x"), 550);
  EXPECT_EQ(ftp.Code("CWD a\\..\\.."), 550);  // a backslash is no separator, and refused
  // An absolute path is absolute in the user's view: /etc/passwd is inside the home.
  EXPECT_EQ(ftp.Code("SIZE /etc/passwd"), 550);
  EXPECT_EQ(ftp.Code("QUIT"), 221);
}

TEST_F(FtpServerTest, RepliesOfTheCommandSet) {
  FtpServer& server = Start();
  RawClient ftp(server.port());
  EXPECT_EQ(ftp.Code("LIST"), 530);  // before login
  auto feat = ftp.Command("FEAT");
  EXPECT_EQ(feat.first, 211);
  for (const char* f : {" AUTH TLS\n", " PBSZ\n", " PROT\n", " EPSV\n", " REST STREAM\n",
                        " MLST type*;size*;modify*;perm*;\n", " UTF8\n", " SIZE\n", " MDTM\n"}) {
    EXPECT_NE(feat.second.find(f), std::string::npos) << f;
  }
  EXPECT_EQ(ftp.Code("PBSZ 0"), 503);  // before AUTH TLS
  ftp.Login("alice", kAlicePassword);
  EXPECT_EQ(ftp.Code("SYST"), 215);
  EXPECT_EQ(ftp.Code("OPTS UTF8 ON"), 200);
  EXPECT_EQ(ftp.Code("TYPE I"), 200);
  EXPECT_EQ(ftp.Code("TYPE A"), 200);
  EXPECT_EQ(ftp.Code("TYPE E"), 504);
  EXPECT_EQ(ftp.Code("MODE S"), 200);
  EXPECT_EQ(ftp.Code("MODE B"), 504);
  EXPECT_EQ(ftp.Code("STRU F"), 200);
  EXPECT_EQ(ftp.Code("NOOP"), 200);
  EXPECT_EQ(ftp.Code("HELP"), 214);
  EXPECT_EQ(ftp.Code("STAT"), 211);
  EXPECT_EQ(ftp.Code("XYZZY"), 502);
  // Active mode is off by default.
  EXPECT_EQ(ftp.Code("PORT 127,0,0,1,200,10"), 502);
  EXPECT_EQ(ftp.Code("EPRT |1|127.0.0.1|51210|"), 502);
  auto pasv = ftp.Command("PASV");
  EXPECT_EQ(pasv.first, 227);
  EXPECT_TRUE(std::regex_search(pasv.second, std::regex(R"(\(127,0,0,1,\d+,\d+\))")))
      << pasv.second;

  EXPECT_EQ(ftp.Command("MKD sub").second, "257 \"/sub\" created.\n");
  EXPECT_EQ(ftp.Code("MKD sub"), 550);
  EXPECT_EQ(ftp.Code("CWD sub"), 250);
  EXPECT_EQ(ftp.Command("PWD").second, "257 \"/sub\" is the current directory.\n");

  // STOR, then SIZE, MDTM, MLST, MFMT.
  int data = ftp.OpenData();
  ASSERT_GE(data, 0);
  EXPECT_EQ(ftp.Code("STOR f.txt"), 150);
  RawClient::Send(data, "hello, world\n");
  ::close(data);
  auto stored = ftp.Read();
  EXPECT_EQ(stored.first, 226) << stored.second;
  EXPECT_EQ(ftp.Command("SIZE f.txt").second, "213 13\n");
  auto mdtm = ftp.Command("MDTM f.txt");
  EXPECT_TRUE(std::regex_match(mdtm.second, std::regex("213 \\d{14}\n"))) << mdtm.second;
  auto mlst = ftp.Command("MLST f.txt");
  EXPECT_EQ(mlst.first, 250);
  EXPECT_TRUE(std::regex_search(
      mlst.second, std::regex(R"(\n type=file;size=13;modify=\d{14};perm=rwdf; /sub/f\.txt\n)")))
      << mlst.second;
  EXPECT_EQ(ftp.Code("MFMT 20200101000000 f.txt"), 213);
  EXPECT_EQ(ftp.Code("SIZE /sub"), 550);

  // MLSD of the folder.
  data = ftp.OpenData();
  ASSERT_GE(data, 0);
  EXPECT_EQ(ftp.Code("MLSD"), 150);
  std::string listing = RawClient::ReadAll(data);
  ::close(data);
  EXPECT_EQ(ftp.Read().first, 226);
  EXPECT_TRUE(std::regex_match(
      listing, std::regex(R"(type=file;size=13;modify=\d{14};perm=rwdf; f\.txt\r\n)")))
      << listing;

  // REST then RETR resumes; REST then STOR is refused (objects are written whole).
  EXPECT_EQ(ftp.Code("REST 7"), 350);
  data = ftp.OpenData();
  EXPECT_EQ(ftp.Code("RETR f.txt"), 150);
  EXPECT_EQ(RawClient::ReadAll(data), "world\n");
  ::close(data);
  EXPECT_EQ(ftp.Read().first, 226);
  EXPECT_EQ(ftp.Code("REST 5"), 350);
  data = ftp.OpenData();
  EXPECT_EQ(ftp.Code("STOR f.txt"), 554);
  ::close(data);
  data = ftp.OpenData();
  EXPECT_EQ(ftp.Code("APPE f.txt"), 554);
  ::close(data);

  EXPECT_EQ(ftp.Code("RNTO g.txt"), 503);
  EXPECT_EQ(ftp.Code("RNFR f.txt"), 350);
  EXPECT_EQ(ftp.Code("RNTO g.txt"), 250);
  EXPECT_EQ(ftp.Code("RMD /sub"), 550);  // not empty
  EXPECT_EQ(ftp.Code("DELE g.txt"), 250);
  EXPECT_EQ(ftp.Code("CDUP"), 250);
  EXPECT_EQ(ftp.Code("RMD sub"), 250);
  EXPECT_EQ(ftp.Code("ABOR"), 226);
  EXPECT_EQ(ftp.Code("QUIT"), 221);
}

TEST_F(FtpServerTest, WrongPasswordsUntilLockout) {
  FtpServer& server = Start();
  RawClient ftp(server.port());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(ftp.Code("USER alice"), 331);
    auto reply = ftp.Command("PASS wrong");
    EXPECT_EQ(reply.second, "530 Login incorrect.\n");
  }
  // The third failure locked the address out: even the right password is refused now.
  EXPECT_EQ(ftp.Code("USER alice"), 331);
  auto locked = ftp.Command(std::string("PASS ") + kAlicePassword);
  EXPECT_EQ(locked.first, 530);
  EXPECT_NE(locked.second.find("Too many failed logins from 127.0.0.1; try again in"),
            std::string::npos)
      << locked.second;
  EXPECT_EQ(lockout_->counters().lockouts, 1u);
}

TEST_F(FtpServerTest, RequiredTlsRefusesAPlainLogin) {
  // Per server: USER before AUTH TLS is refused, curl without TLS fails, with TLS it works.
  FtpServer& strict = Start(/*require_tls=*/true);
  {
    RawClient ftp(strict.port());
    auto user = ftp.Command("USER alice");
    EXPECT_EQ(user.first, 530);
    EXPECT_NE(user.second.find("send AUTH TLS before USER"), std::string::npos) << user.second;
  }
  Ran plain = Shell("curl -sS " + AliceUrl(strict, "/"));
  EXPECT_EQ(plain.status, 67) << plain.output;  // CURLE_LOGIN_DENIED: 530 to USER
  Ran tls = Shell("curl -sS --ssl-reqd -k " + AliceUrl(strict, "/"));
  EXPECT_EQ(tls.status, 0) << tls.output;
  // PROT C (clear data) is refused with 521 where TLS is required.
  Ran clear = Shell("curl -sS --ftp-ssl-control -k " + AliceUrl(strict, "/"));
  EXPECT_NE(clear.status, 0) << clear.output;
  EXPECT_NE(clear.output.find("521"), std::string::npos) << clear.output;

  // Per user: bob may use FTPS only, on a server that does not require it.
  FtpServer& server = Start();
  {
    RawClient ftp(server.port());
    auto user = ftp.Command("USER bob");
    EXPECT_EQ(user.first, 530);
    EXPECT_NE(user.second.find("must log in over TLS"), std::string::npos) << user.second;
  }
  Ran bob = Shell("curl -sS --ssl-reqd -k " + Url(server, "bob", kBobPassword, "/"));
  EXPECT_EQ(bob.status, 0) << bob.output;
}

TEST_F(FtpServerTest, DataConnectionResetMidStorLeavesNothing) {
  FtpServer& server = Start();
  RawClient ftp(server.port());
  ftp.Login("alice", kAlicePassword);
  int data = ftp.OpenData();
  ASSERT_GE(data, 0);
  EXPECT_EQ(ftp.Code("STOR cut.bin"), 150);
  RawClient::Send(data, RandomBytes(1024 * 1024, 4));
  // A reset, as when the client's network or process dies.
  linger hard{1, 0};
  ::setsockopt(data, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
  ::close(data);
  auto reply = ftp.Read();
  EXPECT_EQ(reply.first, 426) << reply.second;
  EXPECT_FALSE(store_->Head("alice/cut.bin").ok());
  EXPECT_EQ(CountTemp(store_->root()), 0u);
  EXPECT_FALSE(HasEvent("FTP Server File Upload Completed"));
  EXPECT_TRUE(HasEvent("FTP Server File Upload Failed"));
  EXPECT_NE(EventPayloads().find("\"failure-code\":\"PARTIAL_UPLOAD\""), std::string::npos)
      << EventPayloads();
  EXPECT_NE(Log().find("upload of /cut.bin failed after"), std::string::npos) << Log();
  // The session goes on.
  EXPECT_EQ(ftp.Code("NOOP"), 200);
}

TEST_F(FtpServerTest, KilledClientMidUploadLeavesNothing) {
  // A longer settle time than the default, as a client killed just as its 226 arrived resets
  // the connection a little later on a machine busy with other builds.
  FtpServer& server = Start(false, [](FtpServerOptions& o) { o.upload_end_grace = 50ms; });
  WriteFile(Local("big.bin"), RandomBytes(8 * 1024 * 1024, 5));
  // curl sends slowly and is killed (-9) while the upload runs: both its connections close at
  // once (in clear: two FINs, in either order; under TLS: no close_notify).
  for (std::string tls : {"", "--ssl-reqd -k "}) {
    std::string name = tls.empty() ? "killed.bin" : "killed-tls.bin";
    std::string command = "exec curl -sS --limit-rate 1M " + tls + "-T " + Local("big.bin") + " " +
                          AliceUrl(server, "/" + name);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    std::this_thread::sleep_for(1200ms);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    WaitIdle(server);
    EXPECT_EQ(server.sessions(), 0u);
    auto head = store_->Head("alice/" + name);
    EXPECT_FALSE(head.ok()) << name << " was stored with " << head->size << " bytes";
    EXPECT_EQ(CountTemp(store_->root()), 0u);
    EXPECT_NE(Log().find("upload of /" + name + " failed after"), std::string::npos) << Log();
  }
}

// In clear, a finished upload and a killed client's both end with the data connection's FIN;
// what tells them apart is whether the client receives the 226. These clients send a whole file
// and close the data connection in order, then do different things with the 226.

TEST_F(FtpServerTest, AClientGoneWithThe226UnreadLeavesNothing) {
  // A long settle time, so that only the reset can decide.
  FtpServer& server = Start(false, [](FtpServerOptions& o) { o.upload_end_grace = 2s; });
  RawClient ftp(server.port());
  ftp.Login("alice", kAlicePassword);
  int data = ftp.OpenData();
  ASSERT_GE(data, 0);
  EXPECT_EQ(ftp.Code("STOR unread.bin"), 150);
  RawClient::Send(data, RandomBytes(100000, 21));
  ::close(data);
  // The 226 arrives and is never read: closing the socket now sends a reset.
  ASSERT_TRUE(ftp.WaitUnread());
  ftp.Close();
  WaitIdle(server);
  EXPECT_EQ(server.sessions(), 0u);
  EXPECT_FALSE(store_->Head("alice/unread.bin").ok());
  EXPECT_EQ(CountTemp(store_->root()), 0u);
  EXPECT_FALSE(HasEvent("FTP Server File Upload Completed"));
  EXPECT_NE(EventPayloads().find("\"failure-code\":\"PARTIAL_UPLOAD\""), std::string::npos)
      << EventPayloads();
  EXPECT_NE(Log().find("upload of /unread.bin failed after 100000 bytes: the control connection "
                       "was reset before the client read the 226"),
            std::string::npos)
      << Log();
}

TEST_F(FtpServerTest, BothConnectionsClosedAtOnceLeaveNothing) {
  // As a killed client's: the data connection first (the order the server may see them in),
  // then the control connection at once, before the 226 can arrive.
  FtpServer& server = Start();
  for (int i = 0; i < 5; ++i) {
    std::string name = "both" + std::to_string(i) + ".bin";
    auto ftp = std::make_unique<RawClient>(server.port());
    ftp->Login("alice", kAlicePassword);
    int data = ftp->OpenData();
    ASSERT_GE(data, 0);
    EXPECT_EQ(ftp->Code("STOR " + name), 150);
    RawClient::Send(data, RandomBytes(50000, 30 + i));
    ::close(data);
    ftp->Close();
    WaitIdle(server);
    EXPECT_FALSE(store_->Head("alice/" + name).ok()) << name;
    EXPECT_NE(Log().find("upload of /" + name + " failed after"), std::string::npos) << Log();
  }
  EXPECT_FALSE(HasEvent("FTP Server File Upload Completed"));
  EXPECT_EQ(CountTemp(store_->root()), 0u);
}

TEST_F(FtpServerTest, AClientThatReadsThe226AndClosesWithoutQuitKeepsItsFile) {
  // The settle time is long: the client's orderly close is what commits.
  FtpServer& server = Start(false, [](FtpServerOptions& o) { o.upload_end_grace = 10s; });
  std::string bytes = RandomBytes(100000, 22);
  RawClient ftp(server.port());
  ftp.Login("alice", kAlicePassword);
  int data = ftp.OpenData();
  ASSERT_GE(data, 0);
  EXPECT_EQ(ftp.Code("STOR closed.bin"), 150);
  RawClient::Send(data, bytes);
  ::close(data);
  auto reply = ftp.Read();
  EXPECT_EQ(reply.first, 226) << reply.second;
  ftp.Close();
  WaitIdle(server);  // at most 2 s
  EXPECT_EQ(server.sessions(), 0u);
  auto head = store_->Head("alice/closed.bin");
  ASSERT_TRUE(head.ok()) << Log();
  EXPECT_EQ(head->etag, Md5Hex(bytes));
  EXPECT_TRUE(HasEvent("FTP Server File Upload Completed"));
  EXPECT_FALSE(HasEvent("FTP Server File Upload Failed"));
}

TEST_F(FtpServerTest, AClientThatReadsThe226AndIdlesKeepsItsFile) {
  // The default settle time; the client sends nothing more and keeps the connection open: its
  // TCP acknowledges the 226 (a delayed ACK comes within 40 to 200 ms), and then the file is in.
  FtpServer& server = Start();
  RawClient ftp(server.port());
  ftp.Login("alice", kAlicePassword);
  int data = ftp.OpenData();
  ASSERT_GE(data, 0);
  EXPECT_EQ(ftp.Code("STOR idle.bin"), 150);
  RawClient::Send(data, RandomBytes(20000, 23));
  ::close(data);
  EXPECT_EQ(ftp.Read().first, 226);
  auto start = std::chrono::steady_clock::now();
  bool stored = false;
  while (!stored && std::chrono::steady_clock::now() - start < 2s) {
    stored = store_->Head("alice/idle.bin").ok();
    if (!stored) std::this_thread::sleep_for(5ms);
  }
  EXPECT_TRUE(stored) << Log();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_EQ(ftp.Code("NOOP"), 200);
  EXPECT_EQ(ftp.Code("QUIT"), 221);
}

TEST_F(FtpServerTest, ACommandAfterThe226WaitsForTheCommit) {
  // A long settle time: the command itself is the proof, and it sees the file.
  FtpServer& server = Start(false, [](FtpServerOptions& o) { o.upload_end_grace = 10s; });
  RawClient ftp(server.port());
  ftp.Login("alice", kAlicePassword);
  for (int i = 0; i < 3; ++i) {
    std::string name = "next" + std::to_string(i) + ".bin";
    int data = ftp.OpenData();
    ASSERT_GE(data, 0);
    EXPECT_EQ(ftp.Code("STOR " + name), 150);
    RawClient::Send(data, std::string(1000 + i, 'n'));
    ::close(data);
    EXPECT_EQ(ftp.Read().first, 226);
    EXPECT_EQ(ftp.Command("SIZE " + name).second, fmt::format("213 {}\n", 1000 + i));
  }
  EXPECT_EQ(ftp.Code("QUIT"), 221);
}

TEST_F(FtpServerTest, QuestionsAboutTheNewFileAreAnsweredAsTheCommitWillStoreIt) {
  // What lftp sends after a 226 (MFMT), and SIZE and MDTM, are answered from the upload before
  // its commit: the answers must be what the store then says. The settle time outlasts the
  // pause before each question, and bounds the wait of the pipelined one at the end.
  FtpServer& server = Start(false, [](FtpServerOptions& o) { o.upload_end_grace = 2s; });
  RawClient ftp(server.port());
  ftp.Login("alice", kAlicePassword);
  for (const std::string first : {"MFMT 20200101000000", "SIZE", "MDTM"}) {
    SCOPED_TRACE(first);
    std::string name = "asked/" + first.substr(0, 4) + ".bin";
    int data = ftp.OpenData();
    ASSERT_GE(data, 0);
    EXPECT_EQ(ftp.Code("STOR " + name), 150);
    RawClient::Send(data, std::string(2048, 'q'));
    ::close(data);
    EXPECT_EQ(ftp.Read().first, 226);
    // The 226 and the question a second apart: the answer and the store agree on one time.
    std::this_thread::sleep_for(1100ms);
    auto answer = ftp.Command(first + " /" + name);
    auto mfmt = ftp.Command("MFMT 20200101000000 " + name);
    auto mdtm = ftp.Command("MDTM " + name);
    auto size = ftp.Command("SIZE " + name);
    EXPECT_EQ(answer.first, 213) << answer.second;
    EXPECT_EQ(size.second, "213 2048\n");
    auto head = store_->Head("alice/" + name);
    ASSERT_TRUE(head.ok()) << head.error().message;
    std::string time = ftp::FormatFtpTime(head->last_modified);
    EXPECT_EQ(mdtm.second, "213 " + time + "\n");
    EXPECT_EQ(mfmt.second, "213 Modify=" + time + "; /" + name + "\n");
    const std::string& same = first == "SIZE"   ? size.second
                              : first == "MDTM" ? mdtm.second
                                                : mfmt.second;
    EXPECT_EQ(answer.second, same);
  }
  // A question about another file waits for the commit, and sees the new file in its folder.
  int data = ftp.OpenData();
  ASSERT_GE(data, 0);
  EXPECT_EQ(ftp.Code("STOR asked/last.bin"), 150);
  RawClient::Send(data, "last");
  ::close(data);
  EXPECT_EQ(ftp.Read().first, 226);
  EXPECT_EQ(ftp.Command("SIZE asked/SIZE.bin").second, "213 2048\n");
  EXPECT_TRUE(store_->Head("alice/asked/last.bin").ok());

  // Pipelined: the question goes out before the client reads the 226.
  data = ftp.OpenData();
  ASSERT_GE(data, 0);
  EXPECT_EQ(ftp.Code("STOR piped.bin"), 150);
  RawClient::Send(data, std::string(777, 'p'));
  ::close(data);
  ftp.SendOnly("SIZE piped.bin");
  ftp.SendOnly("MDTM piped.bin");
  EXPECT_EQ(ftp.Read().first, 226);
  EXPECT_EQ(ftp.Read().second, "213 777\n");
  auto piped = ftp.Read();
  auto head = store_->Head("alice/piped.bin");
  ASSERT_TRUE(head.ok()) << head.error().message;
  EXPECT_EQ(piped.second, "213 " + ftp::FormatFtpTime(head->last_modified) + "\n");
  EXPECT_EQ(ftp.Code("QUIT"), 221);
}

TEST_F(FtpServerTest, StopCommitsAnUploadWhose226WasAcknowledged) {
  // The settle time outlasts the test: only Stop resolves the uploads.
  FtpServer& server = Start(false, [](FtpServerOptions& o) { o.upload_end_grace = 60s; });
  RawClient ftp(server.port());
  ftp.Login("alice", kAlicePassword);
  int data = ftp.OpenData();
  ASSERT_GE(data, 0);
  EXPECT_EQ(ftp.Code("STOR acked.bin"), 150);
  RawClient::Send(data, std::string(3000, 'a'));
  ::close(data);
  EXPECT_EQ(ftp.Read().first, 226);
  std::this_thread::sleep_for(500ms);  // the client's delayed ACK has gone out
  EXPECT_FALSE(store_->Head("alice/acked.bin").ok());
  server.Stop();
  EXPECT_TRUE(store_->Head("alice/acked.bin").ok()) << Log();
  EXPECT_NE(Log().find("upload of /acked.bin stored at the server's stop"), std::string::npos)
      << Log();
}

TEST_F(FtpServerTest, StopDuringAnUploadStoresNothing) {
  FtpServer& server = Start();
  RawClient ftp(server.port());
  ftp.Login("alice", kAlicePassword);
  int data = ftp.OpenData();
  ASSERT_GE(data, 0);
  EXPECT_EQ(ftp.Code("STOR stopped.bin"), 150);
  RawClient::Send(data, RandomBytes(1024 * 1024, 8));
  std::this_thread::sleep_for(100ms);
  server.Stop();
  EXPECT_EQ(server.sessions(), 0u);
  EXPECT_FALSE(store_->Head("alice/stopped.bin").ok());
  EXPECT_EQ(CountTemp(store_->root()), 0u);
  EXPECT_TRUE(HasEvent("FTP Server File Upload Failed"));
  ::close(data);
}

TEST_F(FtpServerTest, AborStopsARunningDownload) {
  FtpServer& server = Start();
  ASSERT_TRUE(objects::testing::PutBytes(*store_, "alice/big.bin", RandomBytes(16 << 20, 6)).ok());
  RawClient ftp(server.port());
  ftp.Login("alice", kAlicePassword);
  int data = ftp.OpenData();
  ASSERT_GE(data, 0);
  EXPECT_EQ(ftp.Code("RETR big.bin"), 150);
  std::this_thread::sleep_for(100ms);  // the server now waits for the client to read
  auto aborted = ftp.Command(
      "\xff\xf4\xff\xf2"
      "ABOR");
  EXPECT_EQ(aborted.first, 426) << aborted.second;
  EXPECT_EQ(ftp.Read().first, 226);
  ::close(data);
  EXPECT_NE(Log().find("download of /big.bin stopped after"), std::string::npos) << Log();
  EXPECT_EQ(ftp.Code("NOOP"), 200);
}

TEST_F(FtpServerTest, AnUploadPastTheSizeLimitIsRefused) {
  FtpServer& server = Start();
  RawClient ftp(server.port());
  ftp.Login("carol", kAlicePassword);
  int data = ftp.OpenData();
  ASSERT_GE(data, 0);
  EXPECT_EQ(ftp.Code("STOR big.bin"), 150);
  RawClient::Send(data, std::string(5000, 'x'));
  ::close(data);
  auto reply = ftp.Read();
  EXPECT_EQ(reply.first, 552) << reply.second;
  EXPECT_NE(reply.second.find("1000 bytes"), std::string::npos) << reply.second;
  EXPECT_FALSE(store_->Head("carol/big.bin").ok());
}

TEST_F(FtpServerTest, ConcurrentUploadsFromSeveralClients) {
  FtpServer& server = Start();
  std::string command;
  std::vector<std::string> contents;
  for (int i = 0; i < 4; ++i) {
    contents.push_back(RandomBytes(512 * 1024 + i, 10 + i));
    WriteFile(Local("c" + std::to_string(i)), contents.back());
    command += "curl -sS --ftp-create-dirs " + std::string(i % 2 ? "--ssl-reqd -k " : "") + "-T " +
               Local("c" + std::to_string(i)) + " " +
               AliceUrl(server, "/c/" + std::to_string(i) + ".bin") + " & ";
  }
  Ran ran = Shell("sh -c '" + command + "wait'");
  EXPECT_EQ(ran.status, 0) << ran.output;
  for (int i = 0; i < 4; ++i) {
    auto meta = store_->Head("alice/c/" + std::to_string(i) + ".bin");
    ASSERT_TRUE(meta.ok()) << i << ": " << ran.output;
    EXPECT_EQ(meta->etag, Md5Hex(contents[i]));
  }
}

TEST_F(FtpServerTest, ActiveModeWhenAllowed) {
  FtpServer& server = Start(false, [](FtpServerOptions& o) { o.config.allow_active = true; });
  ASSERT_TRUE(objects::testing::PutBytes(*store_, "alice/a.bin", RandomBytes(300000, 7)).ok());
  Ran down = Shell("curl -sS -P 127.0.0.1 -o " + Local("a.bin") + " " + AliceUrl(server, "/a.bin"));
  ASSERT_EQ(down.status, 0) << down.output << Log();
  EXPECT_EQ(ReadFile(Local("a.bin")), RandomBytes(300000, 7));
  RawClient ftp(server.port());
  ftp.Login("alice", kAlicePassword);
  // Only the client's own address, and no privileged port.
  EXPECT_EQ(ftp.Code("PORT 10,1,2,3,200,10"), 501);
  EXPECT_EQ(ftp.Code("EPRT |1|127.0.0.1|21|"), 501);
  EXPECT_EQ(ftp.Code("EPRT |3|127.0.0.1|5000|"), 522);
}

TEST_F(FtpServerTest, PassivePortRangeAndPublicAddress) {
  // A port free right now, as the whole range.
  int probe = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(addr);
  ASSERT_EQ(::bind(probe, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::getsockname(probe, reinterpret_cast<sockaddr*>(&addr), &length);
  uint16_t port = ntohs(addr.sin_port);
  ::close(probe);
  FtpServer& server = Start(false, [port](FtpServerOptions& o) {
    o.config.passive_port_min = port;
    o.config.passive_port_max = port;
    o.config.public_address = "203.0.113.9";
  });
  RawClient ftp(server.port());
  ftp.Login("alice", kAlicePassword);
  auto pasv = ftp.Command("PASV");
  EXPECT_EQ(pasv.second, fmt::format("227 Entering Passive Mode (203,0,113,9,{},{}).\n", port >> 8,
                                     port & 0xFF));
  auto epsv = ftp.Command("EPSV");
  EXPECT_EQ(epsv.second, fmt::format("229 Entering Extended Passive Mode (|||{}|)\n", port));
  // The one port of the range is taken by another session's listener: 425.
  RawClient other(server.port());
  other.Login("alice", kAlicePassword);
  EXPECT_EQ(other.Code("EPSV"), 425);
  EXPECT_EQ(other.Code("EPSV ALL"), 200);
  EXPECT_EQ(other.Code("PASV"), 503);
}

TEST_F(FtpServerTest, ConnectionsPastTheLimitAreRefused) {
  FtpServer& server = Start(false, [](FtpServerOptions& o) { o.max_sessions = 1; });
  RawClient first(server.port());
  EXPECT_EQ(first.greeting().first, 220);
  RawClient second(server.port());
  EXPECT_EQ(second.greeting().first, 421);
}

TEST_F(FtpServerTest, AnIdleSessionIsClosed) {
  FtpServer& server = Start(false, [](FtpServerOptions& o) { o.config.idle_timeout = 1s; });
  RawClient ftp(server.port());
  auto start = std::chrono::steady_clock::now();
  auto reply = ftp.Read();
  EXPECT_EQ(reply.first, 421) << reply.second;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  WaitIdle(server);
  EXPECT_EQ(server.sessions(), 0u);
}

TEST_F(FtpServerTest, TheCertificateIsKeptAcrossStarts) {
  FtpServer& first = Start();
  std::string fingerprint = first.certificate_fingerprint();
  EXPECT_TRUE(first.certificate_created());
  first.Stop();
  FtpServer& second = Start();
  EXPECT_FALSE(second.certificate_created());
  EXPECT_EQ(second.certificate_fingerprint(), fingerprint);
}

// --- the protocol's text --------------------------------------------------------------------

TEST(FtpProtocolTest, ParsesCommandsAndArguments) {
  ftp::Command c = ftp::ParseCommand("retr my file.txt");
  EXPECT_EQ(c.verb, "RETR");
  EXPECT_EQ(c.arg, "my file.txt");
  // The Telnet IP and Synch a client sends before ABOR (the DM urgent byte is out of band).
  EXPECT_EQ(ftp::ParseCommand("\xff\xf4\xff"
                              "ABOR")
                .verb,
            "ABOR");
  EXPECT_EQ(ftp::ParseCommand("\xff\xf4\xff\xf2"
                              "ABOR")
                .verb,
            "ABOR");

  auto port = ftp::ParsePortArgument("127,0,0,1,195,80");
  ASSERT_TRUE(port.ok());
  EXPECT_EQ(port->host, "127.0.0.1");
  EXPECT_EQ(port->port, 50000);
  EXPECT_FALSE(ftp::ParsePortArgument("127,0,0,1,195").ok());
  EXPECT_FALSE(ftp::ParsePortArgument("256,0,0,1,195,80").ok());
  auto eprt = ftp::ParseEprtArgument("|2|::1|6275|");
  ASSERT_TRUE(eprt.ok());
  EXPECT_TRUE(eprt->v6);
  EXPECT_EQ(eprt->port, 6275);
  EXPECT_EQ(ftp::ParseEprtArgument("|3|x|1|").error().code, "UnsupportedProtocol");
  EXPECT_FALSE(ftp::ParseEprtArgument("|1|::1|6275|").ok());

  EXPECT_EQ(ftp::PasvReplyText({10, 0, 0, 7}, 50000), "Entering Passive Mode (10,0,0,7,195,80).");
  EXPECT_EQ(ftp::EpsvReplyText(50000), "Entering Extended Passive Mode (|||50000|)");
  EXPECT_EQ(ftp::QuotePath("/a\"b"), "\"/a\"\"b\"");
  EXPECT_EQ(ftp::StripListOptions("-la /in"), "/in");
  EXPECT_EQ(ftp::StripListOptions("-a"), "");
}

TEST(FtpProtocolTest, TimesAndListings) {
  TimePoint t = TimePoint(std::chrono::seconds(1704164645));  // 2024-01-02T03:04:05Z
  EXPECT_EQ(ftp::FormatFtpTime(t), "20240102030405");
  EXPECT_EQ(ftp::ParseFtpTime("20240102030405.250"), t);
  EXPECT_FALSE(ftp::ParseFtpTime("20241302030405").has_value());

  ftp::ListEntry file{"a.csv", EntryType::kFile, 1234, t};
  EXPECT_EQ(ftp::ListLine(file, t + std::chrono::hours(24)),
            "-rw-r--r-- 1 ftp ftp         1234 Jan  2 03:04 a.csv");
  EXPECT_EQ(ftp::ListLine(file, t + std::chrono::hours(24 * 365)),
            "-rw-r--r-- 1 ftp ftp         1234 Jan  2  2024 a.csv");
  ftp::ListEntry folder{"in", EntryType::kDirectory, 0, std::nullopt};
  EXPECT_EQ(ftp::MlsxLine(folder, {}, PermissionSet::All()), "type=dir;perm=elcmdf; in");
  ftp::MlstFacts facts = ftp::ParseMlstOpts("size;Type;");
  EXPECT_EQ(ftp::MlstOptsText(facts), "type;size;");
  EXPECT_EQ(ftp::MlsxLine(file, facts, PermissionSet::All()), "type=file;size=1234; a.csv");

  Error quota{kQuotaExceeded, "over the quota"};
  EXPECT_EQ(ftp::ReplyForError(quota, ftp::Operation::kCreate).code, 552);
  Error escape{kInvalidPath, "'..' climbs above /"};
  EXPECT_EQ(ftp::ReplyForError(escape, ftp::Operation::kRead).code, 550);
  EXPECT_EQ(ftp::ReplyForError(escape, ftp::Operation::kCreate).code, 553);
  Error broken{"StorageFailure", "/var/data/objects/tmp/x: No space left on device"};
  auto reply = ftp::ReplyForError(broken, ftp::Operation::kCreate);
  EXPECT_EQ(reply.code, 451);
  EXPECT_EQ(reply.text.find("/var/data"), std::string::npos);
}

TEST(FtpTlsTest, SelfSignedCertificateAndMismatchedKey) {
  auto one = ftp::MakeSelfSignedCertificate("test");
  auto two = ftp::MakeSelfSignedCertificate("test");
  ASSERT_TRUE(one.ok() && two.ok());
  EXPECT_NE(one->fingerprint, two->fingerprint);
  EXPECT_EQ(ftp::CertificateFingerprint(one->certificate_pem).value(), one->fingerprint);
  TempDir dir;
  WriteFile(dir.path() + "/cert.pem", one->certificate_pem);
  WriteFile(dir.path() + "/key.pem", two->private_key_pem);
  auto mismatched =
      ftp::LoadOrCreateCertificate(dir.path() + "/cert.pem", dir.path() + "/key.pem", "");
  ASSERT_FALSE(mismatched.ok());
  EXPECT_NE(mismatched.error().message.find("does not belong to the certificate"),
            std::string::npos)
      << mismatched.error().message;
  auto half = ftp::LoadOrCreateCertificate(dir.path() + "/cert.pem", "", "");
  EXPECT_FALSE(half.ok());
}

}  // namespace
}  // namespace wharf::ingest
