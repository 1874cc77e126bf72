// The SFTP server: its wire format, the host key, and (SftpEndToEnd, run by tests/sftp_test.sh)
// the whole server over a real LocalObjectStore with OpenSSH's `sftp` and `curl`. The handler's
// requests one by one are sftp_handler_test.cc.
#include "ingest/sftp_server.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <list>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "ingest/lockout.h"
#include "ingest/passwords.h"
#include "ingest/sftp_handler.h"
#include "ingest/sftp_protocol.h"
#include "ingest/users.h"
#include "objects/objects_testing.h"

namespace wharf::ingest {
namespace {

using objects::testing::CountTemp;
using objects::testing::Md5Hex;
using objects::testing::TempDir;
using sftp::PacketWriter;
using sftp::Reader;
using sftp::StatusCode;

// Runs `command` with sh, returning its exit code and what it printed (stdout and stderr).
std::pair<int, std::string> Shell(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The threads of this process (the test and the server in it), as the kernel counts them.
size_t ThreadsOfThisProcess() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoul(line.substr(8));
  }
  return 0;
}

// Waits up to `limit` for `done` to hold; returns whether it did.
bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

size_t Count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// --- the wire format -----------------------------------------------------------------------

TEST(SftpProtocol, PacketsRoundTrip) {
  std::string out;
  {
    sftp::Attributes a;
    a.flags = sftp::kAttrSize | sftp::kAttrPermissions | sftp::kAttrAcModTime;
    a.size = 1ull << 40;
    a.permissions = 0100644;
    a.mtime = 1700000000;
    PacketWriter(out, sftp::kAttrs).U32(7).String("name").U64(42).Attrs(a);
  }
  size_t used = 0;
  std::string error;
  auto packet = sftp::NextPacket(out, kSftpMaxPacket, &used, &error);
  ASSERT_TRUE(packet) << error;
  EXPECT_EQ(used, out.size());
  Reader in(*packet);
  uint8_t type;
  uint32_t id;
  std::string_view name;
  uint64_t n;
  sftp::Attributes a;
  ASSERT_TRUE(in.U8(&type) && in.U32(&id) && in.String(&name) && in.U64(&n) && in.Attrs(&a));
  EXPECT_EQ(type, sftp::kAttrs);
  EXPECT_EQ(id, 7u);
  EXPECT_EQ(name, "name");
  EXPECT_EQ(n, 42u);
  EXPECT_EQ(a.size, 1ull << 40);
  EXPECT_EQ(a.permissions, 0100644u);
  EXPECT_EQ(a.mtime, 1700000000u);
  EXPECT_EQ(in.remaining(), 0u);
  EXPECT_FALSE(in.U32(&id));  // nothing left
}

TEST(SftpProtocol, NextPacketWaitsForWholePacketsAndRefusesHugeOnes) {
  std::string out;
  PacketWriter(out, sftp::kInit).U32(3);
  size_t used = 0;
  std::string error;
  EXPECT_FALSE(sftp::NextPacket(std::string_view(out).substr(0, 6), 1000, &used, &error));
  EXPECT_TRUE(error.empty());
  std::string huge("\x7f\xff\xff\xff\x01", 5);
  EXPECT_FALSE(sftp::NextPacket(huge, 1000, &used, &error));
  EXPECT_NE(error.find("2147483647 bytes"), std::string::npos) << error;
  error.clear();
  EXPECT_FALSE(sftp::NextPacket(std::string("\0\0\0\0", 4), 1000, &used, &error));
  EXPECT_FALSE(error.empty());
}

TEST(SftpProtocol, LongNamesReadLikeLsL) {
  sftp::Attributes file;
  file.permissions = 0100644;
  file.size = 1234;
  file.mtime = 1709553600;  // 2024-03-04 12:00 UTC
  EXPECT_EQ(sftp::LongName("a.csv", file, "alice", 1709553600 + 3600),
            "-rw-r--r--    1 alice    alice        1234 Mar  4 12:00 a.csv");
  sftp::Attributes dir;
  dir.permissions = 0040755;
  dir.mtime = 1709553600;
  EXPECT_EQ(sftp::LongName("in", dir, "a-very-long-name", 1709553600 + 365 * 86400),
            "drwxr-xr-x    1 a-very-long-name a-very-long-name        0 Mar  4  2024 in");
}

// --- the host key --------------------------------------------------------------------------

TEST(SftpHostKey, IsCreatedOnceAndItsFingerprintIsOpenSshs) {
  TempDir dir;
  std::string path = dir.path() + "/data/ssh_host_ed25519_key";
  auto made = LoadOrCreateHostKey(path);
  ASSERT_TRUE(made.ok()) << made.error().message;
  EXPECT_TRUE(made->created);
  EXPECT_EQ(made->fingerprint.rfind("SHA256:", 0), 0u);
  EXPECT_EQ(made->public_key.rfind("ssh-ed25519 ", 0), 0u);
  auto [code, listed] = Shell("ssh-keygen -lf " + path);
  EXPECT_EQ(code, 0) << listed;
  EXPECT_NE(listed.find(made->fingerprint), std::string::npos) << listed;
  EXPECT_NE(ReadFile(path + ".pub").find(made->public_key), std::string::npos);
  auto again = LoadOrCreateHostKey(path);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->fingerprint, made->fingerprint);

  std::ofstream(dir.path() + "/bad") << "not a key\n";
  auto bad = LoadOrCreateHostKey(dir.path() + "/bad");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find(dir.path() + "/bad"), std::string::npos);
}

// --- the server's set-up --------------------------------------------------------------------

TEST(SftpServer, OptionsComeFromTheProjectFile) {
  SftpServerConfig config;
  config.listen = ListenAddress{"0.0.0.0", 2022};
  config.idle_timeout = std::chrono::seconds(30);
  SftpServerOptions options = SftpServerOptionsFrom(config, "/srv/data");
  EXPECT_EQ(options.listen.ToString(), "0.0.0.0:2022");
  EXPECT_EQ(options.host_key, "/srv/data/ssh_host_ed25519_key");
  EXPECT_EQ(options.idle_timeout, std::chrono::seconds(30));
  EXPECT_EQ(options.statvfs_path, "/srv/data");
  config.host_key = "/etc/wharf/key";
  EXPECT_EQ(SftpServerOptionsFrom(config, "/srv/data").host_key, "/etc/wharf/key");
}

TEST(SftpServer, StartNamesTheAddressOrKeyThatIsWrong) {
  TempDir dir;
  auto store = objects::testing::OpenStore(dir.path() + "/objects");
  ASSERT_TRUE(store.ok());
  SystemClock clock;
  Lockout lockout(LockoutConfig{}, clock);
  Users users({}, lockout);
  SftpServerOptions options;
  options.listen = ListenAddress{"127.0.0.1", 0};
  options.host_key = dir.path() + "/key";
  options.log = [](const std::string&) {};
  SftpServer first(options, users, **store);
  ASSERT_TRUE(first.Start().ok());
  EXPECT_TRUE(first.host_key().created);
  EXPECT_EQ(first.address(), fmt::format("127.0.0.1:{}", first.port()));

  options.listen.port = first.port();
  SftpServer taken(options, users, **store);
  Status busy = taken.Start();
  ASSERT_FALSE(busy.ok());
  EXPECT_NE(busy.error().message.find(first.address()), std::string::npos) << busy.error().message;
  EXPECT_FALSE(taken.host_key().created) << "the key made by the first one is reused";

  options.listen.port = 0;
  options.host_key = dir.path() + "/objects";  // a folder, not a key
  SftpServer bad_key(options, users, **store);
  Status unreadable = bad_key.Start();
  ASSERT_FALSE(unreadable.ok());
  EXPECT_NE(unreadable.error().message.find(options.host_key), std::string::npos)
      << unreadable.error().message;
  first.Stop();
  first.Stop();  // idempotent
}

// --- the whole server with real clients ----------------------------------------------------
//
// Run by tests/sftp_test.sh (ctest -R '^sftp$'), which sets WHARF_SFTP_E2E=1; the layer's test
// run skips them so that they do not run twice.

constexpr char kPassword[] = "correct horse battery staple";

class SftpEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::getenv("WHARF_SFTP_E2E") == nullptr) {
      GTEST_SKIP() << "run by tests/sftp_test.sh (ctest -R '^sftp$')";
    }
    auto opened = objects::testing::OpenStore(root());
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(*opened);
    key_ = dir_.path() + "/alice_key";
    auto [code, out] = Shell("ssh-keygen -q -t ed25519 -N '' -C alice -f " + key_);
    ASSERT_EQ(code, 0) << out;
    std::string line = ReadFile(key_ + ".pub");
    while (!line.empty() && line.back() == '\n') line.pop_back();
    auto key = ParseSshPublicKey(line);
    ASSERT_TRUE(key.ok()) << key.error().message;
    auto hash = HashPassword(kPassword);
    ASSERT_TRUE(hash.ok());
    UserConfig& alice = users_config_["alice"];
    alice.name = "alice";
    alice.home = "alice/";
    alice.password_hash = *hash;
    alice.ssh_keys.push_back(*key);
  }

  void TearDown() override {
    if (server_) server_->Stop();
    for (auto& c : clients_) Finish(c);
  }

  // An OpenSSH `sftp` client reading its batch from a FIFO: it runs what the test writes there
  // (Send) and otherwise sits logged in and idle; Finish closes the FIFO, which ends its batch.
  struct FifoClient {
    int commands = -1;  // the FIFO, opened read-write here so that writes never fail
    FILE* output = nullptr;
    pid_t pid = -1;  // sftp's
  };

  FifoClient& StartFifoClient(const std::string& name, const std::string& sftp_options = "") {
    FifoClient& c = clients_.emplace_back();
    std::string fifo = dir_.path() + "/" + name + ".fifo";
    EXPECT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << fifo;
    c.commands = ::open(fifo.c_str(), O_RDWR | O_CLOEXEC);  // not inherited by other clients
    EXPECT_GE(c.commands, 0) << fifo;
    std::string command = fmt::format(
        "echo $$; exec sftp -q -b {} {} -P {} -i {} -oStrictHostKeyChecking=no "
        "-oUserKnownHostsFile=/dev/null -oIdentitiesOnly=yes -oLogLevel=ERROR alice@127.0.0.1 2>&1",
        fifo, sftp_options, server_->port(), key_);
    c.output = ::popen(command.c_str(), "re");
    EXPECT_NE(c.output, nullptr) << command;
    char line[32];
    if (c.output != nullptr && std::fgets(line, sizeof line, c.output) != nullptr) {
      c.pid = std::atoi(line);
    }
    return c;
  }

  void Send(FifoClient& c, const std::string& commands) {
    ASSERT_EQ(::write(c.commands, commands.data(), commands.size()),
              static_cast<ssize_t>(commands.size()));
  }

  // Ends the client's batch and waits for it: its exit code and what it printed.
  std::pair<int, std::string> Finish(FifoClient& c) {
    if (c.commands >= 0) ::close(c.commands);
    c.commands = -1;
    if (c.output == nullptr) return {-1, "not started"};
    std::string out;
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, c.output)) > 0) out.append(buffer, n);
    int status = ::pclose(c.output);
    c.output = nullptr;
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
  }

  // Sessions open and parked: no thread serves them.
  size_t Parked() { return server_->active_sessions() - server_->serving_threads(); }

  std::string root() const { return dir_.path() + "/objects"; }

  void StartServer(int max_failures, std::chrono::seconds idle_timeout = kDefaultIdleTimeout) {
    LockoutConfig lockout;
    lockout.max_failures = max_failures;
    lockout_ = std::make_unique<Lockout>(lockout, clock_);
    users_ = std::make_unique<Users>(users_config_, *lockout_);
    SftpServerOptions options;
    options.listen = ListenAddress{"127.0.0.1", 0};
    options.host_key = dir_.path() + "/data/ssh_host_ed25519_key";
    options.statvfs_path = dir_.path();
    options.idle_timeout = idle_timeout;
    options.session_defaults.server_id = "s-0123456789abcdef0";
    options.log = [this](const std::string& line) {
      std::lock_guard lock(mu_);
      log_.push_back(line);
      if (line.find(": logged in as ") != std::string::npos) {
        max_logged_in_ = std::max(max_logged_in_, ++logged_in_);
      }
      if (line.find(": session of ") != std::string::npos) --logged_in_;
    };
    server_ = std::make_unique<SftpServer>(options, *users_, *store_);
    Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started.error().message;
    ASSERT_GT(server_->port(), 0);
  }

  // Waits until the server has no session left (their threads have finished).
  void WaitForSessionsToEnd() {
    for (int i = 0; i < 200 && server_->active_sessions() > 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    EXPECT_EQ(server_->active_sessions(), 0u);
  }

  std::string Log() {
    std::lock_guard lock(mu_);
    std::string all;
    for (const auto& l : log_) all += l + "\n";
    return all;
  }

  std::string Curl(const std::string& credentials, const std::string& path, int* code) {
    auto [c, out] = Shell(fmt::format("curl -sS --insecure -u '{}' sftp://127.0.0.1:{}{}",
                                      credentials, server_->port(), path));
    *code = c;
    return out;
  }

  TempDir dir_;
  SystemClock clock_;
  std::unique_ptr<objects::LocalObjectStore> store_;
  std::map<std::string, UserConfig> users_config_;
  std::unique_ptr<Lockout> lockout_;
  std::unique_ptr<Users> users_;
  std::unique_ptr<SftpServer> server_;
  std::string key_;
  std::mutex mu_;
  std::vector<std::string> log_;
  int logged_in_ = 0;
  int max_logged_in_ = 0;
  std::list<FifoClient> clients_;
};

TEST_F(SftpEndToEnd, OpenSshSftpAndCurl) {
  StartServer(/*max_failures=*/100);
  EXPECT_TRUE(server_->host_key().created);
  std::string work = dir_.path() + "/client";
  std::filesystem::create_directories(work);
  auto started = std::chrono::steady_clock::now();
  auto [code, out] = Shell(fmt::format(
      "bash {}/tests/sftp_test.sh clients 127.0.0.1 {} alice {} '{}' "
      "'{}' {}",
      WHARF_SOURCE_DIR, server_->port(), key_, kPassword, server_->host_key().fingerprint, work));
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(code, 0) << out << "\nserver log:\n" << Log();
  std::cout << out << "(the clients took " << seconds << " s)\n";
  WaitForSessionsToEnd();

  // What the home holds, and nothing anywhere else.
  auto page = store_->List(objects::ListQuery{});
  ASSERT_TRUE(page.ok());
  std::vector<std::string> keys;
  for (const auto& o : page->objects) keys.push_back(o.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"alice/c1.bin", "alice/c2.bin", "alice/curl.txt",
                                            "alice/upload.bin"}));
  EXPECT_EQ(Md5Hex(objects::testing::GetBytes(*store_, "alice/upload.bin").value()),
            Md5Hex(ReadFile(work + "/data.bin")));
  EXPECT_EQ(objects::testing::GetBytes(*store_, "alice/curl.txt").value(), "hello from sftp\n");
  EXPECT_EQ(CountTemp(root()), 0u) << "nothing half-written is left";
  EXPECT_GE(max_logged_in_, 2) << "the two uploads ran at the same time\n" << Log();
  EXPECT_NE(Log().find("handles were open"), std::string::npos)
      << "the killed client had its upload open\n"
      << Log();

  // The events: the uploads completed, and the killed one failed with PARTIAL_UPLOAD.
  auto events = store_->ReadEvents(1000, 0);
  ASSERT_TRUE(events.ok());
  int completed = 0, partial = 0;
  for (const auto& e : *events) {
    if (e.kind == "SFTP Server File Upload Completed") ++completed;
    if (e.kind == "SFTP Server File Upload Failed" &&
        e.payload.find("PARTIAL_UPLOAD") != std::string::npos &&
        e.payload.find("killed.bin") != std::string::npos) {
      ++partial;
    }
  }
  EXPECT_GE(completed, 5);  // upload.bin, a.txt, curl.txt, c1.bin, c2.bin
  EXPECT_EQ(partial, 1);
}

TEST_F(SftpEndToEnd, WrongPasswordsUntilLockout) {
  StartServer(/*max_failures=*/3);
  int code = 0;
  for (int i = 0; i < 3; ++i) {
    Curl("alice:wrong", "/", &code);
    EXPECT_EQ(code, 67) << "login denied";
  }
  std::string out = Curl(std::string("alice:") + kPassword, "/", &code);
  EXPECT_EQ(code, 67) << "the right password is refused while the address is locked out: " << out;
  LockoutCounters counters = lockout_->counters();
  EXPECT_EQ(counters.lockouts, 1u);
  EXPECT_GE(counters.refused, 1u);
  EXPECT_NE(Log().find("locked out"), std::string::npos) << Log();
}

TEST_F(SftpEndToEnd, AConnectionWithOnlyKeyProbesCountsOnce) {
  StartServer(/*max_failures=*/100);
  std::string other = dir_.path() + "/other_key";
  ASSERT_EQ(Shell("ssh-keygen -q -t ed25519 -N '' -f " + other).first, 0);
  auto [code, out] = Shell(
      fmt::format("echo ls | sftp -q -b - -P {} -i {} -oStrictHostKeyChecking=no "
                  "-oUserKnownHostsFile=/dev/null -oIdentitiesOnly=yes -oPasswordAuthentication=no "
                  "-oLogLevel=ERROR alice@127.0.0.1",
                  server_->port(), other));
  EXPECT_NE(code, 0) << out;
  WaitForSessionsToEnd();
  EXPECT_EQ(lockout_->counters().failures, 1u) << Log();
  EXPECT_NE(Log().find("closed without logging in"), std::string::npos) << Log();
}

TEST_F(SftpEndToEnd, StopEndsSessionsAndGivesUpTheirUploads) {
  StartServer(/*max_failures=*/100);
  std::string big = dir_.path() + "/big.bin";
  ASSERT_EQ(Shell("head -c 8388608 /dev/urandom > " + big).first, 0);
  // Parked sessions: three idle ones, and one whose upload is open and waits for more data
  // (sftp -l 100 sleeps about 20 s after its first 255 KiB write).
  for (int i = 0; i < 3; ++i) Send(StartFifoClient(fmt::format("idle{}", i)), "ls /\n");
  Send(StartFifoClient("slow", "-l 100"), fmt::format("put {} /slow.bin\n", big));
  EXPECT_TRUE(WaitFor(
      [&] { return server_->active_sessions() == 4 && Parked() == 4 && CountTemp(root()) == 1; },
      std::chrono::seconds(30)))
      << "open " << server_->active_sessions() << ", serving threads " << server_->serving_threads()
      << ", uploads open " << CountTemp(root()) << "\n"
      << Log();

  // And one session mid-upload, served by its thread.
  std::thread client([&] {
    Shell(
        fmt::format("echo 'put {} /stopped.bin' | sftp -q -b - -l 8000 -P {} -i {} "
                    "-oStrictHostKeyChecking=no -oUserKnownHostsFile=/dev/null "
                    "-oIdentitiesOnly=yes -oLogLevel=ERROR alice@127.0.0.1",
                    big, server_->port(), key_));
  });
  WaitFor([&] { return Count(Log(), "logged in") == 5; }, std::chrono::seconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the upload is under way
  auto stopping = std::chrono::steady_clock::now();
  server_->Stop();
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - stopping).count();
  client.join();
  EXPECT_LT(seconds, 2.0);
  EXPECT_EQ(server_->active_sessions(), 0u);
  EXPECT_EQ(server_->serving_threads(), 0u);
  EXPECT_FALSE(store_->Head("alice/stopped.bin").ok());
  EXPECT_FALSE(store_->Head("alice/slow.bin").ok());
  EXPECT_EQ(CountTemp(root()), 0u);
  std::string log = Log();
  EXPECT_EQ(Count(log, "ended: the server is stopping"), 5u) << log;
  EXPECT_EQ(Count(log, "the server is stopping (1 handles were open)"), 2u) << log;
  FifoClient& slow = clients_.back();  // asleep in its bandwidth limit for a while yet
  if (slow.pid > 0) ::kill(slow.pid, SIGKILL);
  Finish(slow);
  clients_.pop_back();
  for (auto& c : clients_) {
    Send(c, "ls /\n");
    auto [code, out] = Finish(c);
    EXPECT_NE(code, 0) << "the session was ended: " << out;
  }
}

TEST_F(SftpEndToEnd, IdleSessionsAreClosed) {
  StartServer(/*max_failures=*/100, /*idle_timeout=*/std::chrono::seconds(1));
  auto started = std::chrono::steady_clock::now();
  auto [code, out] = Shell(fmt::format(
      "(echo 'ls /'; sleep 2.5; echo 'ls /') | sftp -q -b - -P {} -i {} -oStrictHostKeyChecking=no "
      "-oUserKnownHostsFile=/dev/null -oIdentitiesOnly=yes -oLogLevel=ERROR alice@127.0.0.1",
      server_->port(), key_));
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_NE(code, 0) << "the second ls finds the session closed: " << out;
  EXPECT_LT(seconds, 10);
  EXPECT_NE(Log().find("idle for 1 s; closed"), std::string::npos) << Log();
}

// Twenty logged-in sessions that wait between commands hold no thread (the parker watches
// their sockets), and each carries on when its client sends the next command.
TEST_F(SftpEndToEnd, IdleSessionsHoldNoThreadAndCarryOn) {
  StartServer(/*max_failures=*/100);
  const size_t threads_before = ThreadsOfThisProcess();  // the test, the accept thread, the parker
  constexpr int kClients = 20;
  std::vector<FifoClient*> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(&StartFifoClient(fmt::format("c{}", i)));
    Send(*clients.back(), "ls /\n");
  }
  EXPECT_TRUE(WaitFor(
      [&] {
        return server_->active_sessions() == kClients && server_->serving_threads() == 0 &&
               Count(Log(), "logged in") == kClients;
      },
      std::chrono::seconds(60)))
      << "open " << server_->active_sessions() << ", serving threads " << server_->serving_threads()
      << "\n"
      << Log();
  // Their threads have ended, not only stopped counting.
  EXPECT_TRUE(
      WaitFor([&] { return ThreadsOfThisProcess() <= threads_before; }, std::chrono::seconds(5)))
      << ThreadsOfThisProcess() << " threads; " << threads_before << " before the sessions";

  // Each session is used again: put, get and ls.
  std::mt19937 random(7);
  for (int i = 0; i < kClients; ++i) {
    std::string bytes(64 * 1024 + i, '\0');
    for (char& b : bytes) b = static_cast<char>(random());
    std::ofstream(fmt::format("{}/up{}.bin", dir_.path(), i), std::ios::binary) << bytes;
    Send(*clients[i], fmt::format("put {0}/up{1}.bin /idle{1}.bin\nget /idle{1}.bin "
                                  "{0}/down{1}.bin\nls -1 /\n",
                                  dir_.path(), i));
  }
  for (int i = 0; i < kClients; ++i) {
    auto [code, out] = Finish(*clients[i]);
    EXPECT_EQ(code, 0) << "client " << i << ": " << out;
    EXPECT_NE(out.find(fmt::format("idle{}.bin", i)), std::string::npos) << out;
    EXPECT_EQ(ReadFile(fmt::format("{}/down{}.bin", dir_.path(), i)),
              ReadFile(fmt::format("{}/up{}.bin", dir_.path(), i)))
        << "client " << i;
  }
  WaitForSessionsToEnd();
  auto page = store_->List(objects::ListQuery{});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->objects.size(), static_cast<size_t>(kClients));
  EXPECT_EQ(Count(Log(), "ended: the client closed the session"), static_cast<size_t>(kClients))
      << Log();
}

// The parker closes a parked session when its idle timeout passes, as a serving thread would.
TEST_F(SftpEndToEnd, IdleTimeoutClosesAParkedSession) {
  StartServer(/*max_failures=*/100, /*idle_timeout=*/std::chrono::seconds(2));
  FifoClient& client = StartFifoClient("idle");
  Send(client, "ls /\n");
  ASSERT_TRUE(WaitFor([&] { return server_->active_sessions() == 1 && Parked() == 1; },
                      std::chrono::seconds(20)))
      << Log();
  auto parked = std::chrono::steady_clock::now();
  EXPECT_TRUE(WaitFor([&] { return server_->active_sessions() == 0; }, std::chrono::seconds(10)))
      << Log();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - parked).count();
  // Parked half a second after its last packet, closed 2 s after it (a busy machine may lag).
  EXPECT_LT(seconds, 4.0) << "closed at the idle timeout";
  EXPECT_NE(Log().find("ended: idle for 2 s; closed"), std::string::npos) << Log();
  Send(client, "ls /\n");
  auto [code, out] = Finish(client);
  EXPECT_NE(code, 0) << "the session was closed: " << out;
}

}  // namespace
}  // namespace wharf::ingest
