#include "ingest/users.h"

#include <gtest/gtest.h>

#include "ingest/address.h"
#include "ingest/passwords.h"

namespace wharf::ingest {
namespace {

using std::chrono::seconds;

// SHA-512 crypt of "password" (cheap to check, so the tests stay fast); bob's is yescrypt.
constexpr char kSha512[] =
    "$6$T5e1YCJOYiEXo2T0$e1B7A.fSgDXjVxSpdfb5upSxg6j.ic7D.o594RqcHZfoZ8o42xjnQpH/"
    "SyK3vII6zZzsAxizjYbvwnzf78cno.";
constexpr char kAliceKey[] =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINNMIl+Ih1btTnJfAGCl7C7rtNPhWIFN4/X/DWTTgbH9 alice";
constexpr char kBobKey[] =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG+KrutmbLW/l7xJu/FlBMelFJp8aoe688r5T5cGwbjm bob";

std::string Blob(const char* line) { return ParseSshPublicKey(line)->blob; }

// Users read from a real project file, as the servers will get them.
class UsersTest : public ::testing::Test {
 protected:
  UsersTest() : clock_(TimePoint(seconds(1'700'000'000))), lockout_(LockoutConfig{}, clock_) {
    auto bob_hash = HashPassword("bob's secret");
    EXPECT_TRUE(bob_hash.ok());
    std::string text = std::string(R"(
users:
  alice:
    password_hash: ')") +
                       kSha512 + R"('
    ssh_keys: [')" + kAliceKey +
                       R"(']
    allowed_networks: [192.0.2.0/24, "2001:db8:1::/48"]
    protocols: [sftp, ftps]
    permissions: [list, read, upload]
    quota_bytes: 1000
    quota_files: 3
    max_file_size: 600
  bob:
    password_hash: ')" +
                       *bob_hash + R"('
  carol:
    ssh_keys: [')" + kBobKey +
                       R"(']
)";
    auto project = ParseProject(text, "wharf.yaml", "/tmp");
    EXPECT_TRUE(project.ok()) << project.error().message;
    users_ = std::make_unique<Users>(project->users, lockout_);
  }

  VirtualClock clock_;
  Lockout lockout_;
  std::unique_ptr<Users> users_;
};

TEST_F(UsersTest, PasswordLogin) {
  Login login = users_->Authenticate("alice", "password", "192.0.2.10", FileProtocol::kSftp);
  ASSERT_TRUE(login.accepted()) << login.reason;
  ASSERT_NE(login.user, nullptr);
  EXPECT_EQ(login.user->name, "alice");
  EXPECT_EQ(login.user->home, "alice/");

  login = users_->Authenticate("bob", "bob's secret", "198.51.100.1", FileProtocol::kFtp);
  ASSERT_TRUE(login.accepted()) << login.reason;
  EXPECT_EQ(login.user->name, "bob");
  EXPECT_EQ(lockout_.counters().failures, 0u);
}

TEST_F(UsersTest, EveryRefusalIsAFailure) {
  struct Case {
    const char* user;
    const char* password;
    const char* source;
    FileProtocol protocol;
    const char* reason;
  };
  const Case cases[] = {
      {"alice", "Password", "192.0.2.10", FileProtocol::kSftp, "wrong password for user 'alice'"},
      {"alice", "", "192.0.2.10", FileProtocol::kSftp, "wrong password for user 'alice'"},
      {"mallory", "password", "192.0.2.10", FileProtocol::kSftp, "unknown user 'mallory'"},
      {"Alice", "password", "192.0.2.10", FileProtocol::kSftp, "unknown user 'Alice'"},
      {"carol", "password", "192.0.2.10", FileProtocol::kSftp,
       "user 'carol' has no password (keys only)"},
      {"alice", "password", "198.51.100.7", FileProtocol::kSftp,
       "user 'alice' may not log in from 198.51.100.7 (allowed_networks)"},
      {"alice", "password", "2001:db8:2::1", FileProtocol::kSftp,
       "user 'alice' may not log in from 2001:db8:2::1 (allowed_networks)"},
      {"alice", "password", "garbage", FileProtocol::kSftp,
       "user 'alice' may not log in from garbage (allowed_networks)"},
      {"alice", "password", "192.0.2.10", FileProtocol::kFtp,
       "user 'alice' may not log in by ftp (protocols)"},
  };
  uint64_t failures = 0;
  for (const Case& c : cases) {
    Login login = users_->Authenticate(c.user, c.password, c.source, c.protocol);
    EXPECT_EQ(login.result, LoginResult::kRejected) << c.reason;
    EXPECT_EQ(login.user, nullptr);
    EXPECT_EQ(login.reason, c.reason);
    EXPECT_EQ(lockout_.counters().failures, ++failures) << c.reason;
    lockout_.RecordSuccess(c.source);  // keep each case from locking out the next
  }
  // The allowed networks in their other forms.
  EXPECT_TRUE(users_->Authenticate("alice", "password", "2001:db8:1:ff::1", FileProtocol::kFtps)
                  .accepted());
  EXPECT_TRUE(users_->Authenticate("alice", "password", "::ffff:192.0.2.200", FileProtocol::kSftp)
                  .accepted());
  EXPECT_TRUE(users_->Authenticate("bob", "bob's secret", "garbage", FileProtocol::kSftp)
                  .accepted());  // no allow-list: any source
}

TEST_F(UsersTest, WrongPasswordsUntilLockout) {
  for (int i = 0; i < 4; ++i) {
    Login login = users_->Authenticate("alice", "guess" + std::to_string(i), "192.0.2.66",
                                       FileProtocol::kSftp);
    EXPECT_EQ(login.result, LoginResult::kRejected);
  }
  Login fifth = users_->Authenticate("mallory", "x", "192.0.2.66", FileProtocol::kSftp);
  EXPECT_EQ(fifth.result, LoginResult::kRejected);
  EXPECT_EQ(fifth.reason, "unknown user 'mallory'; the address is now locked out");

  // Now even the right password is refused, without a hash being computed.
  Login locked = users_->Authenticate("alice", "password", "192.0.2.66", FileProtocol::kSftp);
  EXPECT_EQ(locked.result, LoginResult::kLockedOut);
  EXPECT_EQ(locked.retry_after, seconds(60));
  EXPECT_EQ(locked.reason, "the address is locked out for 60 s more");
  EXPECT_EQ(locked.user, nullptr);
  Login by_key = users_->AuthenticateKey("alice", Blob(kAliceKey), "192.0.2.66", KeyStage::kProbe);
  EXPECT_EQ(by_key.result, LoginResult::kLockedOut);
  EXPECT_EQ(lockout_.counters().refused, 2u);

  // Another address is not concerned; the first one gets in after the minute.
  EXPECT_TRUE(
      users_->Authenticate("alice", "password", "192.0.2.67", FileProtocol::kSftp).accepted());
  clock_.AdvanceTo(clock_.Now() + seconds(60));
  EXPECT_TRUE(
      users_->Authenticate("alice", "password", "192.0.2.66", FileProtocol::kSftp).accepted());
}

TEST_F(UsersTest, PublicKeyLogin) {
  std::string alice = Blob(kAliceKey);
  Login probe = users_->AuthenticateKey("alice", alice, "192.0.2.10", KeyStage::kProbe);
  ASSERT_TRUE(probe.accepted()) << probe.reason;
  Login signed_in = users_->AuthenticateKey("alice", alice, "192.0.2.10", KeyStage::kSigned);
  ASSERT_TRUE(signed_in.accepted()) << signed_in.reason;
  EXPECT_EQ(signed_in.user->name, "alice");
  EXPECT_TRUE(
      users_->AuthenticateKey("carol", Blob(kBobKey), "203.0.113.5", KeyStage::kSigned).accepted());

  // An agent offers every key it has: probes that match nothing are not failures.
  for (int i = 0; i < 20; ++i) {
    Login wrong = users_->AuthenticateKey("alice", Blob(kBobKey), "192.0.2.10", KeyStage::kProbe);
    EXPECT_EQ(wrong.result, LoginResult::kRejected);
    EXPECT_EQ(wrong.reason, "user 'alice' has no such key in ssh_keys");
  }
  EXPECT_EQ(lockout_.counters().failures, 0u);
  // The connection that ends without a login counts once.
  users_->RecordFailedConnection("192.0.2.10");
  EXPECT_EQ(lockout_.counters().failures, 1u);

  // Signed attempts that fail do count.
  Login refused = users_->AuthenticateKey("alice", Blob(kBobKey), "192.0.2.10", KeyStage::kSigned);
  EXPECT_EQ(refused.result, LoginResult::kRejected);
  EXPECT_EQ(lockout_.counters().failures, 2u);
  EXPECT_EQ(users_->AuthenticateKey("nobody", alice, "192.0.2.10", KeyStage::kSigned).reason,
            "unknown user 'nobody'");
  EXPECT_EQ(users_->AuthenticateKey("alice", alice, "203.0.113.1", KeyStage::kSigned).reason,
            "user 'alice' may not log in from 203.0.113.1 (allowed_networks)");
  EXPECT_EQ(users_->AuthenticateKey("bob", alice, "203.0.113.1", KeyStage::kSigned).reason,
            "user 'bob' has no such key in ssh_keys");  // bob has no keys
  EXPECT_EQ(lockout_.counters().failures, 5u);
  // Three of those came from 192.0.2.10; two more lock it out.
  users_->AuthenticateKey("alice", Blob(kBobKey), "192.0.2.10", KeyStage::kSigned);
  Login fifth = users_->AuthenticateKey("alice", Blob(kBobKey), "192.0.2.10", KeyStage::kSigned);
  EXPECT_EQ(fifth.reason,
            "user 'alice' has no such key in ssh_keys; the address is now locked out");
  EXPECT_EQ(users_->AuthenticateKey("alice", alice, "192.0.2.10", KeyStage::kProbe).result,
            LoginResult::kLockedOut);
}

TEST_F(UsersTest, Permissions) {
  const UserConfig& alice = *users_->Find("alice");
  EXPECT_TRUE(Users::Require(alice, Permission::kRead, "/in/a.csv").ok());
  EXPECT_TRUE(Users::Require(alice, Permission::kUpload, "/in/a.csv").ok());
  Status del = Users::Require(alice, Permission::kDelete, "/in/a.csv");
  ASSERT_FALSE(del.ok());
  EXPECT_EQ(del.error().code, kAccessDenied);
  EXPECT_EQ(del.error().message,
            "user 'alice' may not delete /in/a.csv (permissions: list, read, upload)");
  EXPECT_FALSE(Users::Require(alice, Permission::kRename, "/a").ok());
  EXPECT_EQ(Users::Require(alice, Permission::kMkdir, "/new").error().message,
            "user 'alice' may not mkdir /new (permissions: list, read, upload)");
  const UserConfig& bob = *users_->Find("bob");
  for (Permission p : kAllPermissions) EXPECT_TRUE(Users::Require(bob, p, "/x").ok());
  UserConfig none = bob;
  none.permissions = PermissionSet::None();
  EXPECT_EQ(Users::Require(none, Permission::kList, "/").error().message,
            "user 'bob' may not list / (permissions: none)");
}

TEST_F(UsersTest, QuotasAndMaxFileSize) {
  const UserConfig& alice = *users_->Find("alice");  // 1000 bytes, 3 files, 600 per file
  EXPECT_TRUE(Users::CheckUpload(alice, {0, 0}, 0, std::nullopt).ok());
  EXPECT_TRUE(Users::CheckUpload(alice, {400, 2}, 600, std::nullopt).ok());
  Status big = Users::CheckUpload(alice, {0, 0}, 601, std::nullopt);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, kFileTooLarge);
  EXPECT_EQ(big.error().message, "the file is larger than the 600 bytes user 'alice' may upload");
  Status bytes = Users::CheckUpload(alice, {500, 1}, 501, std::nullopt);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.error().code, kQuotaExceeded);
  EXPECT_EQ(
      bytes.error().message,
      "the upload would bring the home of user 'alice' to 1001 bytes, over the quota of 1000");
  Status files = Users::CheckUpload(alice, {0, 3}, 0, std::nullopt);
  ASSERT_FALSE(files.ok());
  EXPECT_EQ(files.error().message, "user 'alice' has 3 files, the quota is 3");
  // Overwriting a file frees what it held and adds no file.
  EXPECT_TRUE(Users::CheckUpload(alice, {1000, 3}, 500, int64_t{500}).ok());
  EXPECT_FALSE(Users::CheckUpload(alice, {1000, 3}, 501, int64_t{500}).ok());
  // No limits, no refusals.
  EXPECT_TRUE(Users::CheckUpload(*users_->Find("bob"), {int64_t{1} << 50, 1'000'000},
                                 int64_t{1} << 40, std::nullopt)
                  .ok());
}

TEST(AddressTest, ParsesAndMatches) {
  EXPECT_EQ(ParseIpAddress("192.0.2.7")->ToString(), "192.0.2.7");
  EXPECT_EQ(ParseIpAddress("::ffff:192.0.2.7")->ToString(), "192.0.2.7");
  EXPECT_FALSE(ParseIpAddress("::ffff:192.0.2.7")->v6);
  EXPECT_EQ(ParseIpAddress("[2001:db8::1]")->ToString(), "2001:db8::1");
  EXPECT_EQ(ParseIpAddress("fe80::1%eth0")->ToString(), "fe80::1");
  for (const char* bad : {"", "host", "1.2.3", "1.2.3.4.5", "[1.2.3.4", "2001:db8::1::2"})
    EXPECT_FALSE(ParseIpAddress(bad).has_value()) << bad;

  auto net = [](const char* t) { return *ParseIpNetwork(t); };
  auto addr = [](const char* t) { return *ParseIpAddress(t); };
  EXPECT_TRUE(NetworkContains(net("0.0.0.0/0"), addr("203.0.113.1")));
  EXPECT_FALSE(NetworkContains(net("0.0.0.0/0"), addr("2001:db8::1")));
  EXPECT_TRUE(NetworkContains(net("::/0"), addr("2001:db8::1")));
  EXPECT_TRUE(NetworkContains(net("192.0.2.128/25"), addr("192.0.2.200")));
  EXPECT_FALSE(NetworkContains(net("192.0.2.128/25"), addr("192.0.2.127")));
  EXPECT_TRUE(NetworkContains(net("192.0.2.7"), addr("192.0.2.7")));
  EXPECT_FALSE(NetworkContains(net("192.0.2.7"), addr("192.0.2.6")));
  EXPECT_TRUE(NetworkContains(net("2001:db8:1::/48"), addr("2001:db8:1:ffff::1")));
  EXPECT_FALSE(NetworkContains(net("2001:db8:1::/48"), addr("2001:db8:2::1")));
  EXPECT_TRUE(NetworkContains(net("2001:db8::/33"), addr("2001:db8:7fff::1")));
  EXPECT_FALSE(NetworkContains(net("2001:db8::/33"), addr("2001:db8:8000::1")));
  EXPECT_TRUE(NetworkContains(net("::ffff:10.0.0.0/104"), addr("10.9.9.9")));
  EXPECT_TRUE(NetworkContains(net("10.0.0.0/8"), addr("::ffff:10.9.9.9")));
  EXPECT_FALSE(NetworkContains(net("::ffff:10.0.0.0/104"), addr("11.9.9.9")));
}

}  // namespace
}  // namespace wharf::ingest
