#include "core/project.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace wharf {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

// A project folder with two definition files, a sub-folder and a fake environment.
class ProjectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "wharf_project_XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = fs::path(pattern).lexically_normal().string();
    Write("products.asl.json",
          R"({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}})");
    fs::create_directories(dir_ + "/defs/nested");
    Write("defs/other.json", "{}");
    env_["DEMO_SECRET"] = "from-the-environment";
    env_["EMPTY_SECRET"] = "";
    options_.getenv = [this](const std::string& name) -> std::optional<std::string> {
      auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name, std::ios::binary) << text;
  }

  // Parses `text` as the folder's "wharf.yaml".
  Result<Project> Parse(const std::string& text) {
    return ParseProject(text, "wharf.yaml", dir_, options_);
  }
  std::string ErrorOf(const std::string& text) {
    auto p = Parse(text);
    if (p.ok()) return "(no error)";
    EXPECT_EQ(p.error().code, "InvalidProject") << text;
    return p.error().message;
  }

  std::string dir_;
  std::map<std::string, std::string> env_;
  ProjectLoadOptions options_;
};

TEST_F(ProjectTest, EmptyFileGivesTheDefaults) {
  for (const char* text : {"", "# nothing yet\n", "---\n", "state_machines:\nfunctions:\n"}) {
    auto p = Parse(text);
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_TRUE(p->state_machines.empty());
    EXPECT_TRUE(p->functions.empty());
    EXPECT_EQ(p->http.listen.host, "127.0.0.1");
    EXPECT_EQ(p->http.listen.port, 8700);
    EXPECT_TRUE(p->auth.access_keys.empty());
    EXPECT_FALSE(p->auth.unauthenticated);
    EXPECT_TRUE(p->quotas);
    EXPECT_FALSE(p->power_loss_durability);
    EXPECT_EQ(p->data_dir, dir_ + "/data");
    EXPECT_EQ(p->folder, dir_);
    EXPECT_EQ(p->file, "wharf.yaml");
    EXPECT_TRUE(p->users.empty());
    EXPECT_FALSE(p->servers.sftp.has_value());
    EXPECT_FALSE(p->servers.ftp.has_value());
    EXPECT_EQ(p->servers.lockout.max_failures, 5);
  }
}

TEST_F(ProjectTest, EveryKey) {
  auto p = Parse(R"(
state_machines:
  products:
    definition: products.asl.json
    type: EXPRESS
  other: defs/other.json
functions:
  preprocess:
    command: [node, preprocess.js, --verbose]
    timeout: 1.5
    env: {MODE: demo, COUNT: 3, DEBUG: true, EMPTY: ""}
    cwd: defs
    concurrency: 4
  register-2_b:
    command: ["./bin/register"]
http:
  listen: "[::1]:0"
auth:
  unauthenticated: true
  access_keys:
    - access_key_id: AKIAIOSFODNN7EXAMPLE
      secret_access_key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
    - access_key_id: wharf-ci.2
      secret_access_key_env: DEMO_SECRET
quotas: false
data: ../state
durability: power-loss
)");
  ASSERT_TRUE(p.ok()) << p.error().message;

  ASSERT_EQ(p->state_machines.size(), 2u);
  const StateMachineConfig& products = p->state_machines.at("products");
  EXPECT_EQ(products.name, "products");
  EXPECT_EQ(products.definition_file, dir_ + "/products.asl.json");
  EXPECT_EQ(products.type, StateMachineType::kExpress);
  EXPECT_STREQ(StateMachineTypeName(products.type), "EXPRESS");
  EXPECT_EQ(products.where, "wharf.yaml:4:17: state_machines.products.definition");
  const StateMachineConfig& other = p->state_machines.at("other");
  EXPECT_EQ(other.definition_file, dir_ + "/defs/other.json");
  EXPECT_EQ(other.type, StateMachineType::kStandard);
  EXPECT_EQ(other.where, "wharf.yaml:6:10: state_machines.other");

  ASSERT_EQ(p->functions.size(), 2u);
  const FunctionConfig& pre = p->functions.at("preprocess");
  EXPECT_EQ(pre.name, "preprocess");
  EXPECT_EQ(pre.command, (std::vector<std::string>{"node", "preprocess.js", "--verbose"}));
  EXPECT_EQ(pre.timeout, milliseconds(1500));
  EXPECT_EQ(pre.env, (std::map<std::string, std::string>{
                         {"MODE", "demo"}, {"COUNT", "3"}, {"DEBUG", "true"}, {"EMPTY", ""}}));
  EXPECT_EQ(pre.working_dir, dir_ + "/defs");
  EXPECT_EQ(pre.concurrency, 4);
  EXPECT_EQ(pre.where, "wharf.yaml:9:5: functions.preprocess");
  const FunctionConfig& reg = p->functions.at("register-2_b");
  EXPECT_EQ(reg.command, (std::vector<std::string>{dir_ + "/bin/register"}));
  EXPECT_EQ(reg.timeout, kDefaultFunctionTimeout);
  EXPECT_EQ(reg.timeout, milliseconds(900'000));
  EXPECT_EQ(reg.working_dir, dir_);
  EXPECT_EQ(reg.concurrency, 0);
  EXPECT_TRUE(reg.env.empty());

  EXPECT_EQ(p->http.listen.host, "::1");
  EXPECT_EQ(p->http.listen.port, 0);
  EXPECT_EQ(p->http.listen.ToString(), "[::1]:0");
  EXPECT_TRUE(p->auth.unauthenticated);
  ASSERT_EQ(p->auth.access_keys.size(), 2u);
  EXPECT_EQ(p->auth.access_keys[0].access_key_id, "AKIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(p->auth.access_keys[0].secret_access_key, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
  EXPECT_EQ(p->auth.access_keys[1].access_key_id, "wharf-ci.2");
  EXPECT_EQ(p->auth.access_keys[1].secret_access_key, "from-the-environment");
  EXPECT_FALSE(p->quotas);
  EXPECT_TRUE(p->power_loss_durability);
  EXPECT_EQ(p->data_dir, fs::path(dir_).parent_path().string() + "/state");
}

TEST_F(ProjectTest, RelativePathsResolveAgainstTheProjectFolder) {
  std::string text = std::string(R"(
state_machines:
  a: ./defs/nested/../other.json
  b: {definition: )") +
                     dir_ + R"(/products.asl.json}
functions:
  f: {command: [bin/tool, ./arg], cwd: ./defs/nested/..}
  g: {command: [/usr/bin/env, x], cwd: /tmp}
  h: {command: [sh]}
data: /var/lib/wharf
)";
  auto p = Parse(text);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->state_machines.at("a").definition_file, dir_ + "/defs/other.json");
  EXPECT_EQ(p->state_machines.at("b").definition_file, dir_ + "/products.asl.json");
  // command[0] with a '/' is made absolute; the arguments are passed as written.
  EXPECT_EQ(p->functions.at("f").command, (std::vector<std::string>{dir_ + "/bin/tool", "./arg"}));
  EXPECT_EQ(p->functions.at("f").working_dir, dir_ + "/defs");
  EXPECT_EQ(p->functions.at("g").command[0], "/usr/bin/env");
  EXPECT_EQ(p->functions.at("g").working_dir, "/tmp");
  EXPECT_EQ(p->functions.at("h").command[0], "sh");  // looked up in PATH when it runs
  EXPECT_EQ(p->data_dir, "/var/lib/wharf");
}

TEST_F(ProjectTest, LoadProjectReadsTheFileAndResolvesFromItsFolder) {
  Write("defs/wharf.yaml", "state_machines:\n  o: other.json\nfunctions:\n  f: {command: [x]}\n");
  std::string cwd = fs::current_path().string();
  ASSERT_EQ(chdir(dir_.c_str()), 0);
  auto p = LoadProject("defs/wharf.yaml", options_);  // a relative path, as a user types it
  ASSERT_EQ(chdir(cwd.c_str()), 0);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->file, dir_ + "/defs/wharf.yaml");
  EXPECT_EQ(p->folder, dir_ + "/defs");
  EXPECT_EQ(p->state_machines.at("o").definition_file, dir_ + "/defs/other.json");
  EXPECT_EQ(p->functions.at("f").working_dir, dir_ + "/defs");
  EXPECT_EQ(p->data_dir, dir_ + "/defs/data");

  // Messages name the file as it was given.
  Write("bad.yaml", "functions:\n  f:\n    command: [x]\n    timeout: -3\n");
  auto bad = LoadProject(dir_ + "/bad.yaml", options_);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, dir_ +
                                     "/bad.yaml:4:14: functions.f.timeout: must be a "
                                     "positive number of seconds, got -3");

  auto missing = LoadProject(dir_ + "/nope.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "Io");
  EXPECT_EQ(missing.error().message, dir_ + "/nope.yaml: cannot read: No such file or directory");
  auto folder = LoadProject(dir_);
  ASSERT_FALSE(folder.ok());
  EXPECT_EQ(folder.error().code, "Io");

  Write("huge.yaml", "# " + std::string(4 << 20, 'x') + "\n");
  auto huge = LoadProject(dir_ + "/huge.yaml");
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.error().message, dir_ + "/huge.yaml: the project file is larger than 4 MiB");
}

TEST_F(ProjectTest, SecretsFromTheRealEnvironment) {
  ASSERT_EQ(setenv("WHARF_PROJECT_TEST_SECRET", "s3cret", 1), 0);
  auto p = ParseProject(
      "auth:\n  access_keys:\n    - {access_key_id: K, secret_access_key_env: "
      "WHARF_PROJECT_TEST_SECRET}\n",
      "wharf.yaml", dir_);
  unsetenv("WHARF_PROJECT_TEST_SECRET");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->auth.access_keys[0].secret_access_key, "s3cret");
  auto unset = ParseProject(
      "auth:\n  access_keys:\n    - {access_key_id: K, secret_access_key_env: "
      "WHARF_PROJECT_TEST_SECRET}\n",
      "wharf.yaml", dir_);
  ASSERT_FALSE(unset.ok());
  EXPECT_EQ(unset.error().message,
            "wharf.yaml:3:49: auth.access_keys[0].secret_access_key_env: the variable "
            "WHARF_PROJECT_TEST_SECRET is not set");
}

TEST_F(ProjectTest, AnchorsMergeKeysAndExtensionKeys) {
  auto p = Parse(R"(
x-defaults: &defaults
  timeout: 60
  env: {REGION: eu}
functions:
  a:
    <<: *defaults
    command: [a]
  b:
    <<: *defaults
    command: [b]
    timeout: 5
)");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->functions.at("a").timeout, milliseconds(60'000));
  EXPECT_EQ(p->functions.at("a").env.at("REGION"), "eu");
  EXPECT_EQ(p->functions.at("b").timeout, milliseconds(5'000));

  // The flow form the README shows.
  p = Parse(R"(
x-defaults: &defaults
  timeout: 60
  env: { REGION: eu-west-1 }
functions:
  preprocess: { <<: *defaults, command: [node, preprocess.js] }
  register:   { <<: *defaults, command: [node, register.js], timeout: 10 }
)");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->functions.at("preprocess").timeout, milliseconds(60'000));
  EXPECT_EQ(p->functions.at("register").timeout, milliseconds(10'000));
  EXPECT_EQ(p->functions.at("register").env.at("REGION"), "eu-west-1");
}

struct Bad {
  const char* yaml;
  const char* message;  // the whole message
};

// Every kind of mistake, with the whole message: file, line, column, key path, what is wrong.
TEST_F(ProjectTest, BadFiles) {
  const Bad cases[] = {
      // The file as a whole.
      {"- a\n- b\n",
       "wharf.yaml:1:1: the project file must be a mapping of sections "
       "(state_machines, functions, ...), got a list"},
      {"just text",
       "wharf.yaml:1:1: the project file must be a mapping of sections "
       "(state_machines, functions, ...), got 'just text'"},
      {"function:\n  f: {command: [x]}\n",
       "wharf.yaml:1:1: function: unknown key; expected state_machines, functions, http, auth, "
       "users, servers, rules, schedules, quotas, data, durability (did you mean 'functions'?)"},
      {"durability: fsync\n",
       "wharf.yaml:1:13: durability: must be process-crash or power-loss, got 'fsync'"},
      {"tables:\n  - name: a\n",
       "wharf.yaml:1:1: tables: not supported by this version of wharf yet"},
      {"functions: {}\nfunctions: {}\n",
       "wharf.yaml:2:1: functions: duplicate key (first at line 1)"},
      {"functions: [\n", "wharf.yaml:2:1: YAML syntax error: end of sequence flow not found"},
      {"functions:\n  f:\n    command: [x]\n   timeout: 3\n",
       "wharf.yaml:4:4: YAML syntax error: end of map not found"},
      {"quotas: true\n---\nquotas: false\n",
       "wharf.yaml:2:1: a second YAML document; the file must hold exactly one"},
      {"quotas: !custom true\n", "wharf.yaml:1:9: quotas: unsupported tag '!custom'"},
      {"data: \"\xff\"\n", "wharf.yaml:1:7: data: the text is not valid UTF-8"},

      // functions
      {"functions:\n  preprocess:\n    command: [node, p.js]\n    timeout: -3\n",
       "wharf.yaml:4:14: functions.preprocess.timeout: must be a positive number of seconds, "
       "got -3"},
      {"functions:\n  f: {command: [x], timeout: 0}\n",
       "wharf.yaml:2:30: functions.f.timeout: must be a positive number of seconds, got 0"},
      {"functions:\n  f: {command: [x], timeout: '30'}\n",
       "wharf.yaml:2:30: functions.f.timeout: must be a positive number of seconds, got '30'"},
      {"functions:\n  f: {command: [x], timeout: 30s}\n",
       "wharf.yaml:2:30: functions.f.timeout: must be a positive number of seconds, got '30s'"},
      {"functions:\n  f: {command: [x], timeout: .nan}\n",
       "wharf.yaml:2:30: functions.f.timeout: must be a positive number of seconds, got .nan"},
      {"functions:\n  f: {command: [x], timeout: 31536001}\n",
       "wharf.yaml:2:30: functions.f.timeout: must be at most 31536000 seconds (one year), got "
       "31536001"},
      {"functions:\n  f: {command: [x], timeout: .inf}\n",
       "wharf.yaml:2:30: functions.f.timeout: must be at most 31536000 seconds (one year), got "
       ".inf"},
      {"functions:\n  f: {command: [x], timeot: 3}\n",
       "wharf.yaml:2:21: functions.f.timeot: unknown key; expected command, timeout, env, cwd, "
       "concurrency (did you mean 'timeout'?)"},
      {"functions:\n  f: {timeout: 3}\n", "wharf.yaml:2:6: functions.f.command: is required"},
      {"functions:\n  f:\n", "wharf.yaml:2:3: functions.f.command: is required"},
      {"functions:\n  f: {command: node main.js}\n",
       "wharf.yaml:2:16: functions.f.command: must be a non-empty list of strings (the argv), "
       "for example [node, main.js]; got 'node main.js'"},
      {"functions:\n  f: {command: []}\n",
       "wharf.yaml:2:16: functions.f.command: must be a non-empty list of strings (the argv), "
       "for example [node, main.js]; got a list"},
      {"functions:\n  f: {command: [node, {a: 1}]}\n",
       "wharf.yaml:2:23: functions.f.command[1]: must be a string, got a mapping"},
      {"functions:\n  f: {command: [node, ~]}\n",
       "wharf.yaml:2:23: functions.f.command[1]: must be a string, got null"},
      {"functions:\n  f: {command: ['']}\n",
       "wharf.yaml:2:17: functions.f.command[0]: the program is empty"},
      {"functions:\n  f: {command: [x], env: [A=1]}\n",
       "wharf.yaml:2:26: functions.f.env: must be a mapping, got a list"},
      {"functions:\n  f: {command: [x], env: {WHARF_ATTEMPT_ID: x}}\n",
       "wharf.yaml:2:27: functions.f.env.WHARF_ATTEMPT_ID: names starting with WHARF_ are set by "
       "wharf"},
      {"functions:\n  f: {command: [x], env: {'A=B': x}}\n",
       "wharf.yaml:2:27: functions.f.env.A=B: is not a valid environment variable name"},
      {"functions:\n  f: {command: [x], env: {A: [1]}}\n",
       "wharf.yaml:2:30: functions.f.env.A: must be a string, got a list"},
      {"functions:\n  f:\n    command: [x]\n    env:\n      A: 1\n      A: 2\n",
       "wharf.yaml:6:7: functions.f.env.A: duplicate key (first at line 5)"},
      {"functions:\n  f: {command: [x], cwd: ''}\n",
       "wharf.yaml:2:26: functions.f.cwd: must be a folder, got ''"},
      {"functions:\n  f:\n    command: [x]\n    cwd:\n",
       "wharf.yaml:4:5: functions.f.cwd: must be a folder, got null"},
      {"functions:\n  f: {command: [x], concurrency: 0}\n",
       "wharf.yaml:2:34: functions.f.concurrency: must be a whole number from 1 to 100000 (leave "
       "it out for no limit), got 0"},
      {"functions:\n  f: {command: [x], concurrency: 2.5}\n",
       "wharf.yaml:2:34: functions.f.concurrency: must be a whole number from 1 to 100000 (leave "
       "it out for no limit), got 2.5"},
      {"functions:\n  f: {command: [x], concurrency: '4'}\n",
       "wharf.yaml:2:34: functions.f.concurrency: must be a whole number from 1 to 100000 (leave "
       "it out for no limit), got '4'"},
      {"functions:\n  f: {command: [x], concurrency: 100001}\n",
       "wharf.yaml:2:34: functions.f.concurrency: must be a whole number from 1 to 100000 (leave "
       "it out for no limit), got 100001"},
      {"functions:\n  pre process: {command: [x]}\n",
       "wharf.yaml:2:3: functions.pre process: a function name has 1 to 64 letters, digits, '-' "
       "or '_' (as Lambda's)"},
      {"functions:\n  a.b: {command: [x]}\n",
       "wharf.yaml:2:3: functions.a.b: a function name has 1 to 64 letters, digits, '-' or '_' "
       "(as Lambda's)"},
      {"functions:\n  f: {command: [a]}\n  g: {command: [b]}\n  f: {command: [c]}\n",
       "wharf.yaml:4:3: functions.f: duplicate key (first at line 2)"},
      {"functions: [a, b]\n", "wharf.yaml:1:12: functions: must be a mapping, got a list"},
      {"functions:\n  f: [x]\n", "wharf.yaml:2:6: functions.f: must be a mapping, got a list"},

      // state_machines
      {"state_machines:\n  p: missing.asl.json\n",
       "wharf.yaml:2:6: state_machines.p: the file 'missing.asl.json' does not exist (looked for "
       "DIR/missing.asl.json)"},
      {"state_machines:\n  p:\n    definition: defs\n",
       "wharf.yaml:3:17: state_machines.p.definition: 'defs' is a folder; name the definition "
       "file"},
      {"state_machines:\n  p: {definition: products.asl.json, type: standard}\n",
       "wharf.yaml:2:44: state_machines.p.type: must be STANDARD or EXPRESS, got 'standard'"},
      {"state_machines:\n  p: {type: EXPRESS}\n",
       "wharf.yaml:2:6: state_machines.p.definition: is required"},
      {"state_machines:\n  p: {definition: products.asl.json, typ: EXPRESS}\n",
       "wharf.yaml:2:38: state_machines.p.typ: unknown key; expected definition, type (did you "
       "mean 'type'?)"},
      {"state_machines:\n  p: [products.asl.json]\n",
       "wharf.yaml:2:6: state_machines.p: must be a definition file name or a mapping with "
       "definition and type, got a list"},
      {"state_machines:\n  p:\n",
       "wharf.yaml:2:3: state_machines.p: must be a definition file "
       "name or a mapping with definition and type, got null"},
      {"state_machines:\n  p: {definition: ''}\n",
       "wharf.yaml:2:19: state_machines.p.definition: must be a file name, got ''"},
      {"state_machines:\n  'my machine': products.asl.json\n",
       "wharf.yaml:2:3: state_machines.my machine: a state machine name may not contain white "
       "space, control characters or any of < > { } [ ] ? * \" # % \\ ^ | ~ ` $ & , ; : /"},
      {"state_machines:\n  'a:b': products.asl.json\n",
       "wharf.yaml:2:3: state_machines.a:b: a state machine name may not contain white space, "
       "control characters or any of < > { } [ ] ? * \" # % \\ ^ | ~ ` $ & , ; : /"},
      {"state_machines:\n  p: products.asl.json\n  p: defs/other.json\n",
       "wharf.yaml:3:3: state_machines.p: duplicate key (first at line 2)"},

      // http
      {"http:\n  listen: 8700\n",
       "wharf.yaml:2:11: http.listen: must be HOST:PORT, for example 127.0.0.1:8700; got '8700'"},
      {"http:\n  listen: 127.0.0.1:70000\n",
       "wharf.yaml:2:11: http.listen: the port must be a number from 0 to 65535; got "
       "'127.0.0.1:70000'"},
      {"http:\n  listen: 'localhost:'\n",
       "wharf.yaml:2:11: http.listen: the port must be a number from 0 to 65535; got "
       "'localhost:'"},
      {"http:\n  listen: ':8700'\n",
       "wharf.yaml:2:11: http.listen: the host is missing, for example 127.0.0.1:8700; got "
       "':8700'"},
      {"http:\n  listen: '::1:8700'\n",
       "wharf.yaml:2:11: http.listen: an IPv6 address goes in brackets, for example [::1]:8700; "
       "got '::1:8700'"},
      {"http:\n  listen: '[::1]8700'\n",
       "wharf.yaml:2:11: http.listen: must be [IPV6]:PORT, for example [::1]:8700; got "
       "'[::1]8700'"},
      {"http:\n  listen: 'my host:80'\n",
       "wharf.yaml:2:11: http.listen: the host 'my host' is not a host name or an address"},
      {"http:\n  port: 8700\n", "wharf.yaml:2:3: http.port: unknown key; expected listen"},
      {"http: [127.0.0.1:8700]\n", "wharf.yaml:1:7: http: must be a mapping, got a list"},

      // auth
      {"auth:\n  access_keys: {id: x}\n",
       "wharf.yaml:2:16: auth.access_keys: must be a list, got a mapping"},
      {"auth:\n  access_keys:\n    - AKID\n",
       "wharf.yaml:3:7: auth.access_keys[0]: must be a mapping, got 'AKID'"},
      {"auth:\n  access_keys:\n    - secret_access_key: s\n",
       "wharf.yaml:3:7: auth.access_keys[0].access_key_id: is required"},
      {"auth:\n  access_keys:\n    - {access_key_id: 'a/b', secret_access_key: s}\n",
       "wharf.yaml:3:23: auth.access_keys[0].access_key_id: must be 1 to 128 letters, digits, "
       "'_', '-' or '.', got 'a/b'"},
      {"auth:\n  access_keys:\n    - {access_key_id: K1, secret_access_key: s}\n"
       "    - {access_key_id: K1, secret_access_key: t}\n",
       "wharf.yaml:4:23: auth.access_keys[1].access_key_id: the access key id 'K1' is listed "
       "twice"},
      {"auth:\n  access_keys:\n    - {access_key_id: K, secret_access_key: s, "
       "secret_access_key_env: DEMO_SECRET}\n",
       "wharf.yaml:3:71: auth.access_keys[0].secret_access_key_env: give either "
       "secret_access_key or secret_access_key_env, not both"},
      {"auth:\n  access_keys:\n    - {access_key_id: K}\n",
       "wharf.yaml:3:7: auth.access_keys[0].secret_access_key: is required (or "
       "secret_access_key_env, to read it from the environment)"},
      {"auth:\n  access_keys:\n    - {access_key_id: K, secret_access_key_env: NOT_SET}\n",
       "wharf.yaml:3:49: auth.access_keys[0].secret_access_key_env: the variable NOT_SET is not "
       "set"},
      {"auth:\n  access_keys:\n    - {access_key_id: K, secret_access_key_env: EMPTY_SECRET}\n",
       "wharf.yaml:3:49: auth.access_keys[0].secret_access_key_env: the variable EMPTY_SECRET is "
       "empty"},
      {"auth:\n  access_keys:\n    - {access_key_id: K, secret_access_key: ''}\n",
       "wharf.yaml:3:45: auth.access_keys[0].secret_access_key: must be a non-empty string"},
      {"auth:\n  access_keys:\n    - {access_key_id: K, secret: s}\n",
       "wharf.yaml:3:26: auth.access_keys[0].secret: unknown key; expected access_key_id, "
       "secret_access_key, secret_access_key_env"},
      {"auth:\n  unauthenticated: yes\n",
       "wharf.yaml:2:20: auth.unauthenticated: must be true or false, got 'yes'"},

      // quotas, data
      {"quotas: 'false'\n", "wharf.yaml:1:9: quotas: must be true or false, got 'false'"},
      {"quotas: 0\n", "wharf.yaml:1:9: quotas: must be true or false, got 0"},
      {"data: ''\n", "wharf.yaml:1:7: data: must be a folder, got ''"},
      {"data: [a]\n", "wharf.yaml:1:7: data: must be a folder, got a list"},
  };
  for (const Bad& c : cases) {
    std::string expected = c.message;
    if (size_t at = expected.find("DIR"); at != std::string::npos) expected.replace(at, 3, dir_);
    EXPECT_EQ(ErrorOf(c.yaml), expected) << c.yaml;
  }
}

TEST_F(ProjectTest, SecretsNeverAppearInMessages) {
  const char* cases[] = {
      "auth:\n  access_keys:\n    - {access_key_id: K, secret_access_key: [TOPSECRET]}\n",
      "auth:\n  access_keys:\n    - {access_key_id: K, secret_access_key: {TOPSECRET: 1}}\n",
  };
  for (const char* text : cases) {
    std::string message = ErrorOf(text);
    EXPECT_EQ(message.find("TOPSECRET"), std::string::npos) << message;
    EXPECT_NE(message.find("secret_access_key: must be a non-empty string"), std::string::npos)
        << message;
  }
}

TEST(ListenAddressTest, ParsesAndPrints) {
  struct Good {
    const char* text;
    const char* host;
    uint16_t port;
  };
  for (const Good& g :
       {Good{"127.0.0.1:8700", "127.0.0.1", 8700}, Good{"localhost:0", "localhost", 0},
        Good{"0.0.0.0:65535", "0.0.0.0", 65535}, Good{"[::]:80", "::", 80},
        Good{"[fe80::1%eth0]:8080", "fe80::1%eth0", 8080},
        Good{"wharf.internal:00443", "wharf.internal", 443}}) {
    auto a = ParseListenAddress(g.text);
    ASSERT_TRUE(a.ok()) << g.text << ": " << a.error().message;
    EXPECT_EQ(a->host, g.host);
    EXPECT_EQ(a->port, g.port);
    auto again = ParseListenAddress(a->ToString());
    ASSERT_TRUE(again.ok()) << a->ToString();
    EXPECT_EQ(again->host, a->host);
  }
  for (const char* bad : {"", ":", "host", "host:", "host:-1", "host:123456", "host:65536", "[::1]",
                          "[::1]:", "[]:80", "[host]:80", "a b:80", "h:8 0"}) {
    EXPECT_FALSE(ParseListenAddress(bad).ok()) << bad;
  }
}

// The checked-in example declares what its functions file does.
TEST(ProjectExampleTest, ProductsExampleLoads) {
  std::string dir = std::string(WHARF_SOURCE_DIR) + "/examples/products";
  auto p = LoadProject(dir + "/wharf.yaml");
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_EQ(p->state_machines.count("products"), 1u);
  EXPECT_EQ(p->state_machines.at("products").definition_file, dir + "/products.asl.json");
  ASSERT_EQ(p->functions.size(), 2u);
  EXPECT_EQ(p->functions.at("preprocess").command,
            (std::vector<std::string>{"node", "preprocess.js"}));
  EXPECT_EQ(p->functions.at("preprocess").timeout, milliseconds(30'000));
  EXPECT_EQ(p->functions.at("register").command, (std::vector<std::string>{"node", "register.js"}));
  EXPECT_EQ(p->functions.at("register").env.at("REGISTRY"), "demo");
  EXPECT_EQ(p->functions.at("register").working_dir, dir);
  EXPECT_EQ(p->http.listen.ToString(), "127.0.0.1:8700");
  EXPECT_EQ(p->auth.access_keys.size(), 1u);
  EXPECT_EQ(p->data_dir, dir + "/data");
}

// Nothing a user writes may crash the loader: random bytes, random YAML-ish text and mutations
// of a valid project all end in a project or an InvalidProject error naming the file.
TEST_F(ProjectTest, RandomInputNeverCrashes) {
  const std::string valid = R"(
state_machines:
  products: {definition: products.asl.json, type: EXPRESS}
functions:
  f: {command: [node, "a.js"], timeout: 2.5, env: {A: '1'}, cwd: defs, concurrency: 3}
http: {listen: "[::1]:8700"}
auth:
  access_keys: [{access_key_id: K, secret_access_key_env: DEMO_SECRET}]
  unauthenticated: false
quotas: true
data: ./d
users:
  alice:
    password_hash: '$y$j9T$UcisLRQBjER9lzyyrFoP31$eGSqap/z12uWa.RjKWI78Pl9MaMGB95.VR6okIMSOc1'
    ssh_keys: [ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINNMIl+Ih1btTnJfAGCl7C7rtNPhWIFN4/X/DWTTgbH9 a]
    home: /in/acme
    permissions: [list, read, upload]
    allowed_networks: [10.0.0.0/8, "2001:db8::/32"]
    quota_bytes: 1GiB
servers:
  sftp: {listen: 0.0.0.0:2222}
  ftp: {listen: 0.0.0.0:2121, passive_ports: 50000-50100, public_address: 192.0.2.1}
  lockout: {max_failures: 5, window: 300, ban: 60, max_ban: 3600}
)";
  {
    auto p = Parse(valid);
    ASSERT_TRUE(p.ok()) << p.error().message;
  }
  const std::string alphabet = "-:?[]{},&*!|>'\"%@`#\n \t\\abc01.~<=/";
  std::mt19937 rng(3);
  for (int i = 0; i < 3000; ++i) {
    std::string text;
    if (i % 3 == 0) {
      size_t n = rng() % 300;
      for (size_t k = 0; k < n; ++k) text += static_cast<char>(rng() % 256);
    } else if (i % 3 == 1) {
      size_t n = rng() % 300;
      for (size_t k = 0; k < n; ++k) text += alphabet[rng() % alphabet.size()];
    } else {
      text = valid;
      for (int m = 0; m < 1 + static_cast<int>(rng() % 4); ++m) {
        size_t at = rng() % text.size();
        switch (rng() % 3) {
          case 0:
            text.insert(at, 1, alphabet[rng() % alphabet.size()]);
            break;
          case 1:
            text.erase(at, 1);
            break;
          default:
            text[at] = static_cast<char>(rng() % 256);
            break;
        }
      }
    }
    auto p = Parse(text);
    if (!p.ok()) {
      EXPECT_EQ(p.error().code, "InvalidProject");
      EXPECT_EQ(p.error().message.rfind("wharf.yaml", 0), 0u) << p.error().message;
    }
  }
}

// --- users and servers ---------------------------------------------------------------------

// Real keys made by ssh-keygen, and real hashes made by libcrypt.
constexpr char kEd25519[] =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINNMIl+Ih1btTnJfAGCl7C7rtNPhWIFN4/X/DWTTgbH9 user@ed25519";
constexpr char kEd25519Bob[] =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG+KrutmbLW/l7xJu/FlBMelFJp8aoe688r5T5cGwbjm bob";
constexpr char kRsa2048[] =
    "ssh-rsa "
    "AAAAB3NzaC1yc2EAAAADAQABAAABAQC0OQXvyY21dYp36TpX6al/+jld1U3B16BeVh7JHzwy/"
    "4iQ5Vg1hqmBTca7ReAwQWesi9t4O9jGtp+ZGSHFdpLjYgXWKrpY5TD4xhl61G4NfQUd1CjM2gz8+csPPfJP/"
    "TiHhsuVn+A1qNE/J3/JJRYP6/AYsADvogR5h323pU8iEDB+LRImCwi28iygQH8bGQhRrpfBp/"
    "8aZSALaQKUzLWoJsoGPbNm//"
    "uFY9EQKvSljE5spzU9f6F22GC0uZR7cwYDTE6qxgbOyLM4ZbXAo7ZumzIwOnA7O+"
    "12t49dqahpb8EAtZ4jCiAwjqD6OlfS/"
    "wTJ6EPRId0/1AkyBrtbuGFd user@rsa 2048";
constexpr char kRsa1024[] =
    "ssh-rsa "
    "AAAAB3NzaC1yc2EAAAADAQABAAAAgQDYe2LlqQJeUdygN9heR8F+YdSXmp5Q44QSy7nj8dmVom4CW9j6TFlL71pTT+"
    "9MWjILWIb7goGl7JL0VAS2fBUCSHI8T7uLK5SIvzfRgZYO9TGNnEV96iNc2HrRum4ixJGCYnp4CuOO4znQLfeFHB8eky"
    "tmuSEIMysNcERxJFtC6w==";
constexpr char kEcdsa256[] =
    "ecdsa-sha2-nistp256 "
    "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBI5eOzXlLVLtXWBTVG6EmHyKvQ0DoV4nZxzvArMfj"
    "Zn0EyDi4BR/GOQek62gRNppdwofR/8UMT+gM3c+s5mKUYM=";
constexpr char kEcdsa384[] =
    "ecdsa-sha2-nistp384 "
    "AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBLKp7pbOwGAN+Xm0/rhbp7ejgo2Hj6lpAVsyAMXdt"
    "NVn0d6F+p3xLldFVeLoapIZnMLtEqPBTrAFaGupFKrEvg/OXgtnV9lre8aNfZqb/if8LCHOijHUku1P5gOXvQfmow==";
constexpr char kEcdsa521[] =
    "ecdsa-sha2-nistp521 "
    "AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBAFnv6Ke2HF4b4yEF1GW7qwR9d8HonM6Y3EkgYJMN"
    "Jh9sc4FWO9h7XGgxiUFQ02wj591bfHvfXFmvzB8Yz9/1BeEngBSKML8LM6BoPSzkdfR+zOfoKE2sUpOPSavqTBiK+"
    "kcJq6d1FTFNbi/3bPYJhviLMu5iAtiA5kEEUfhZcJx4c19XA==";
constexpr char kDsa[] =
    "ssh-dss "
    "AAAAB3NzaC1kc3MAAACBAKCY/re6ah58X6rub3qafJOqZntdswII3wWIWATbSyAwgCGDRiBHDjyGuOoZAK5hSo0YbnGaZ"
    "vR5fSuttOxihgRIU8dzQx659L1oGgQ+5J55Ec1YK1IUpsIeNT1j4t+/"
    "AaipS1WuiOlphMFsnnQMkhDolY1aE0BgeCnvlHadsww3";

constexpr char kYescrypt[] =
    "$y$j9T$UcisLRQBjER9lzyyrFoP31$eGSqap/z12uWa.RjKWI78Pl9MaMGB95.VR6okIMSOc1";
constexpr char kGostYescrypt[] =
    "$gy$j9T$F7FmG2olzoyG18zaMn/Mq1$l/x8q0c.snY2yQD5Bmv3f9fSd.Do0tiETzctiBOnp53";
constexpr char kSha512[] =
    "$6$T5e1YCJOYiEXo2T0$e1B7A.fSgDXjVxSpdfb5upSxg6j.ic7D.o594RqcHZfoZ8o42xjnQpH/"
    "SyK3vII6zZzsAxizjYbvwnzf78cno.";
constexpr char kSha512Rounds[] =
    "$6$rounds=10000$sOE3E0ngeqsQJTg4$hmExg5/vVf3TGxGbllVNsSHrkc8bPYPN6xnS5uc7B9f89mXoP3gCppHQqC2I"
    "rED95.7wwvf0xPZUaJ40R8gye/";
constexpr char kBcrypt[] = "$2b$05$aEmMbqyadtIA2f0y3fTYlOU9M6XbzdcKN8Pi5FfWIKdCeqhxIE4Yq";
constexpr char kScrypt[] =
    "$7$CU..../....dHbqpBOEtHZqmqsujYdRf/$EwrECPWJe/yAd/ZZm.sw.p4cP.bx9Zy/2yp/ewMb39D";

// The SSH wire format of `fields` (each a string), for hand-made key blobs.
std::string Wire(std::initializer_list<std::string> fields) {
  std::string out;
  for (const std::string& f : fields) {
    uint32_t n = static_cast<uint32_t>(f.size());
    out += {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
            static_cast<char>(n)};
    out += f;
  }
  return out;
}
// "TYPE BASE64" for a hand-made blob.
std::string KeyLine(const std::string& type, const std::string& blob) {
  return SshPublicKey{type, blob, ""}.ToString();
}

class ProjectUsersTest : public ProjectTest {
 protected:
  void SetUp() override {
    ProjectTest::SetUp();
    fs::create_directories(dir_ + "/tls");
    fs::create_directories(dir_ + "/keys");
    Write("tls/cert.pem", "-----BEGIN CERTIFICATE-----\n");
    Write("tls/key.pem", "-----BEGIN PRIVATE KEY-----\n");
    Write("keys/ssh_host_ed25519_key", "-----BEGIN OPENSSH PRIVATE KEY-----\n");
  }
};

TEST_F(ProjectUsersTest, EveryUserAndServerKey) {
  std::string text = std::string(R"(
users:
  alice:
    password_hash: ')") +
                     kYescrypt + R"('
    ssh_keys:
      - )" + kEd25519 +
                     R"(
      - ")" + kRsa2048 +
                     R"("
    home: /partners/acme/
    permissions: [list, read, upload]
    allowed_networks: [192.0.2.0/24, "2001:db8::/32", 198.51.100.7]
    protocols: [sftp, ftps]
    quota_bytes: 10GiB
    quota_files: 5000
    max_file_size: 500 MB
  bob.smith@example.com:
    ssh_keys: [")" + kEd25519Bob +
                     R"("]
  svc-all:
    password_hash: ")" +
                     kSha512 + R"("
    home: /
    permissions: []
    quota_bytes: 1048576
    max_file_size: 1.5KiB
servers:
  sftp:
    listen: 0.0.0.0:2222
    host_key: keys/ssh_host_ed25519_key
    idle_timeout: 900
  ftp:
    listen: "[::]:2121"
    passive_ports: 50000-50100
    public_address: 203.0.113.7
    require_tls: true
    certificate: tls/cert.pem
    private_key: ./tls/key.pem
    allow_active: true
    idle_timeout: 120
    upload_end_grace_ms: 20
  lockout:
    max_failures: 3
    window: 600
    ban: 30
    max_ban: 7200
    forgive_after: 3600
    exempt_networks: [127.0.0.0/8, "::1"]
)";
  auto p = Parse(text);
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_EQ(p->users.size(), 3u);

  const UserConfig& alice = p->users.at("alice");
  EXPECT_EQ(alice.name, "alice");
  EXPECT_EQ(alice.password_hash, kYescrypt);
  ASSERT_EQ(alice.ssh_keys.size(), 2u);
  EXPECT_EQ(alice.ssh_keys[0].type, "ssh-ed25519");
  EXPECT_EQ(alice.ssh_keys[0].comment, "user@ed25519");
  EXPECT_EQ(alice.ssh_keys[0].blob.size(), 51u);  // "ssh-ed25519" and 32 bytes, with lengths
  EXPECT_EQ(alice.ssh_keys[0].ToString(), kEd25519);
  EXPECT_EQ(alice.ssh_keys[1].type, "ssh-rsa");
  EXPECT_EQ(alice.ssh_keys[1].comment, "user@rsa 2048");
  EXPECT_EQ(alice.ssh_keys[1].ToString(), kRsa2048);
  EXPECT_EQ(alice.home, "partners/acme/");
  EXPECT_TRUE(alice.permissions.Has(Permission::kList));
  EXPECT_TRUE(alice.permissions.Has(Permission::kRead));
  EXPECT_TRUE(alice.permissions.Has(Permission::kUpload));
  EXPECT_FALSE(alice.permissions.Has(Permission::kDelete));
  EXPECT_FALSE(alice.permissions.Has(Permission::kRename));
  EXPECT_FALSE(alice.permissions.Has(Permission::kMkdir));
  ASSERT_EQ(alice.allowed_networks.size(), 3u);
  EXPECT_EQ(alice.allowed_networks[0].ToString(), "192.0.2.0/24");
  EXPECT_FALSE(alice.allowed_networks[0].v6);
  EXPECT_EQ(alice.allowed_networks[1].ToString(), "2001:db8::/32");
  EXPECT_TRUE(alice.allowed_networks[1].v6);
  EXPECT_EQ(alice.allowed_networks[2].ToString(), "198.51.100.7/32");
  EXPECT_EQ(alice.protocols, (std::vector<FileProtocol>{FileProtocol::kSftp, FileProtocol::kFtps}));
  EXPECT_EQ(alice.quota_bytes, int64_t{10} << 30);
  EXPECT_EQ(alice.quota_files, 5000);
  EXPECT_EQ(alice.max_file_size, 500'000'000);
  EXPECT_EQ(alice.where, "wharf.yaml:4:5: users.alice");

  const UserConfig& bob = p->users.at("bob.smith@example.com");
  EXPECT_TRUE(bob.password_hash.empty());
  ASSERT_EQ(bob.ssh_keys.size(), 1u);
  EXPECT_EQ(bob.ssh_keys[0].comment, "bob");
  EXPECT_EQ(bob.home, "bob.smith@example.com/");  // the default: NAME/
  EXPECT_EQ(bob.permissions, PermissionSet::All());
  EXPECT_TRUE(bob.allowed_networks.empty());
  EXPECT_EQ(bob.protocols.size(), 3u);
  EXPECT_FALSE(bob.quota_bytes.has_value());
  EXPECT_FALSE(bob.quota_files.has_value());
  EXPECT_FALSE(bob.max_file_size.has_value());

  const UserConfig& svc = p->users.at("svc-all");
  EXPECT_EQ(svc.home, "");  // the whole store
  EXPECT_EQ(svc.permissions, PermissionSet::None());
  EXPECT_EQ(svc.quota_bytes, 1048576);
  EXPECT_EQ(svc.max_file_size, 1536);

  ASSERT_TRUE(p->servers.sftp.has_value());
  const SftpServerConfig& sftp = *p->servers.sftp;
  EXPECT_EQ(sftp.listen.ToString(), "0.0.0.0:2222");
  EXPECT_EQ(sftp.host_key, dir_ + "/keys/ssh_host_ed25519_key");
  EXPECT_EQ(sftp.idle_timeout, std::chrono::seconds(900));
  EXPECT_EQ(sftp.where, "wharf.yaml:25:5: servers.sftp");

  ASSERT_TRUE(p->servers.ftp.has_value());
  const FtpServerConfig& ftp = *p->servers.ftp;
  EXPECT_EQ(ftp.listen.ToString(), "[::]:2121");
  EXPECT_EQ(ftp.passive_port_min, 50000);
  EXPECT_EQ(ftp.passive_port_max, 50100);
  EXPECT_EQ(ftp.public_address, "203.0.113.7");
  EXPECT_TRUE(ftp.require_tls);
  EXPECT_EQ(ftp.certificate, dir_ + "/tls/cert.pem");
  EXPECT_EQ(ftp.private_key, dir_ + "/tls/key.pem");
  EXPECT_TRUE(ftp.allow_active);
  EXPECT_EQ(ftp.idle_timeout, std::chrono::seconds(120));
  EXPECT_EQ(ftp.upload_end_grace, std::chrono::milliseconds(20));

  const LockoutConfig& lockout = p->servers.lockout;
  EXPECT_EQ(lockout.max_failures, 3);
  EXPECT_EQ(lockout.window, std::chrono::seconds(600));
  EXPECT_EQ(lockout.ban, std::chrono::seconds(30));
  EXPECT_EQ(lockout.max_ban, std::chrono::seconds(7200));
  EXPECT_EQ(lockout.forgive_after, std::chrono::seconds(3600));
  ASSERT_EQ(lockout.exempt_networks.size(), 2u);
  EXPECT_EQ(lockout.exempt_networks[0].ToString(), "127.0.0.0/8");
  EXPECT_EQ(lockout.exempt_networks[1].ToString(), "::1/128");
}

TEST_F(ProjectUsersTest, ServerDefaults) {
  auto p = Parse("servers:\n  sftp:\n  ftp: {}\n");
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_TRUE(p->servers.sftp.has_value());
  EXPECT_EQ(p->servers.sftp->listen.ToString(), "127.0.0.1:2222");
  EXPECT_EQ(p->servers.sftp->host_key, "");
  EXPECT_EQ(p->servers.sftp->idle_timeout, kDefaultIdleTimeout);
  ASSERT_TRUE(p->servers.ftp.has_value());
  const FtpServerConfig& ftp = *p->servers.ftp;
  EXPECT_EQ(ftp.listen.ToString(), "127.0.0.1:2121");
  EXPECT_EQ(ftp.passive_port_min, 0);
  EXPECT_EQ(ftp.passive_port_max, 0);
  EXPECT_EQ(ftp.public_address, "");
  EXPECT_FALSE(ftp.require_tls);
  EXPECT_EQ(ftp.certificate, "");
  EXPECT_EQ(ftp.private_key, "");
  EXPECT_FALSE(ftp.allow_active);
  EXPECT_EQ(ftp.upload_end_grace, std::chrono::milliseconds(5));
  const LockoutConfig& lockout = p->servers.lockout;
  EXPECT_EQ(lockout.max_failures, 5);
  EXPECT_EQ(lockout.window, std::chrono::seconds(300));
  EXPECT_EQ(lockout.ban, std::chrono::seconds(60));
  EXPECT_EQ(lockout.max_ban, std::chrono::seconds(3600));
  EXPECT_EQ(lockout.forgive_after, std::chrono::seconds(86400));
  EXPECT_TRUE(lockout.exempt_networks.empty());

  // A single passive port; an FTP server on the SFTP port of another host.
  p = Parse(
      "servers:\n  sftp: {listen: '127.0.0.1:2222'}\n  ftp: {listen: '0.0.0.0:2222', "
      "passive_ports: 50000}\n");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->servers.ftp->passive_port_min, 50000);
  EXPECT_EQ(p->servers.ftp->passive_port_max, 50000);
}

TEST_F(ProjectUsersTest, EveryAcceptedHashScheme) {
  for (const char* hash : {kYescrypt, kGostYescrypt, kSha512, kSha512Rounds, kBcrypt, kScrypt}) {
    EXPECT_EQ(PasswordHashProblem(hash), std::nullopt) << hash;
    auto p = Parse(std::string("users:\n  alice:\n    password_hash: '") + hash + "'\n");
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_EQ(p->users.at("alice").password_hash, hash);
  }
}

TEST_F(ProjectUsersTest, EveryKeyType) {
  for (const char* line :
       {kEd25519, kEd25519Bob, kRsa2048, kRsa1024, kEcdsa256, kEcdsa384, kEcdsa521}) {
    auto key = ParseSshPublicKey(line);
    ASSERT_TRUE(key.ok()) << line << ": " << key.error().message;
    EXPECT_EQ(key->ToString(), line);
    EXPECT_EQ(line, key->type + std::string(line).substr(key->type.size()));
  }
  // Security keys (FIDO): no hardware here, so hand-made blobs of the right structure.
  auto sk = ParseSshPublicKey(
      KeyLine("sk-ssh-ed25519@openssh.com",
              Wire({"sk-ssh-ed25519@openssh.com", std::string(32, 'k'), "ssh:"})));
  ASSERT_TRUE(sk.ok()) << sk.error().message;
  std::string point = "\x04" + std::string(64, 'p');
  auto sk_ecdsa = ParseSshPublicKey(
      KeyLine("sk-ecdsa-sha2-nistp256@openssh.com",
              Wire({"sk-ecdsa-sha2-nistp256@openssh.com", "nistp256", point, "ssh:"})));
  ASSERT_TRUE(sk_ecdsa.ok()) << sk_ecdsa.error().message;
  // Tabs and surrounding spaces, no comment.
  auto spaced = ParseSshPublicKey(
      "  ssh-ed25519\tAAAAC3NzaC1lZDI1NTE5AAAAINNMIl+Ih1btTnJfAGCl7C7rtNPhWIFN4/X/DWTTgbH9  ");
  ASSERT_TRUE(spaced.ok()) << spaced.error().message;
  EXPECT_EQ(spaced->comment, "");
}

TEST_F(ProjectUsersTest, BadKeys) {
  std::string ed_blob = Wire({"ssh-ed25519", std::string(32, 'k')});
  struct Case {
    std::string line;
    std::string message;
  };
  const Case cases[] = {
      {"", "must be a public key line (TYPE BASE64 [COMMENT]), got an empty string"},
      {kDsa,
       "DSA keys are refused (OpenSSH no longer accepts them); make an ed25519 key with "
       "ssh-keygen -t ed25519"},
      {"ssh-ed25519-cert-v01@openssh.com AAAA",
       "certificates are not supported; give the plain "
       "public key"},
      {std::string("from=\"10.0.0.0/8\" ") + kEd25519,
       "authorized_keys options before the key type are not supported (restrict addresses with "
       "allowed_networks); give the key line alone"},
      {"-----BEGIN OPENSSH PRIVATE KEY-----",
       "this is a private key; give the public key (the .pub file's line)"},
      {"ssh-foo AAAA",
       "unknown key type 'ssh-foo'; expected one of ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, "
       "ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, sk-ssh-ed25519@openssh.com, "
       "sk-ecdsa-sha2-nistp256@openssh.com"},
      {"AAAAC3NzaC1lZDI1NTE5AAAAINNMIl+Ih1btTnJfAGCl7C7rtNPhWIFN4/X/DWTTgbH9",
       "unknown key type 'AAAAC3NzaC1lZDI1NTE5AAAAINNMIl+Ih1btTnJf'; expected one of "
       "ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, "
       "sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com"},
      {"ssh-ed25519", "the base64 key data after 'ssh-ed25519' is missing"},
      {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINNMIl+Ih1btTnJfAGCl7C7rtNPhWIFN4/X/DWTTgbH",
       "the key data after 'ssh-ed25519' is not valid base64"},
      {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINNMIl-Ih1btTnJfAGCl7C7rtNPhWIFN4/X/DWTTgbH9",
       "the key data after 'ssh-ed25519' is not valid base64"},
      {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINNMIl+Ih1btTnJfAGCl7C7rtNPhWIFN4/X/DWTTgb==",
       "the key data after 'ssh-ed25519' is not valid base64"},  // non-zero padding bits
      {std::string("ssh-rsa ") + std::string(kEd25519).substr(12),
       "the key data is a 'ssh-ed25519' key but the line says 'ssh-rsa'"},
      {KeyLine("ssh-ed25519", Wire({"ssh-ed25519", std::string(31, 'k')})),
       "the ed25519 key is not 32 bytes long"},
      {KeyLine("ssh-ed25519", ed_blob + "x"), "the key data has bytes after the key"},
      {KeyLine("ssh-ed25519", ed_blob.substr(0, 20)), "the ed25519 key is not 32 bytes long"},
      {KeyLine("ssh-ed25519", std::string("\x00\x00", 2)), "the key data is truncated"},
      {KeyLine("ssh-rsa", Wire({"ssh-rsa", "\x01\x00\x01",
                                std::string("\x00\xff", 2) + std::string(95, 'n')})),
       "the RSA key has 768 bits; OpenSSH refuses keys under 1024 bits (ssh-keygen -t ed25519 "
       "makes a better one)"},
      {KeyLine("ssh-rsa", Wire({"ssh-rsa", "\x01\x00\x01"})), "the RSA key data is truncated"},
      {KeyLine("ecdsa-sha2-nistp384",
               Wire({"ecdsa-sha2-nistp384", "nistp256", "\x04" + std::string(64, 'p')})),
       "the ECDSA key is not on the curve nistp384"},
      {KeyLine("ecdsa-sha2-nistp256",
               Wire({"ecdsa-sha2-nistp256", "nistp256", "\x02" + std::string(32, 'p')})),
       "the ECDSA public point is not 65 bytes in uncompressed form"},
      {KeyLine("sk-ssh-ed25519@openssh.com",
               Wire({"sk-ssh-ed25519@openssh.com", std::string(32, 'k')})),
       "the security key's application is missing"},
      {std::string(kEd25519) + "\n" + kEd25519Bob,
       "holds more than one line; give one key per list item"},
  };
  for (const Case& c : cases) {
    auto key = ParseSshPublicKey(c.line);
    ASSERT_FALSE(key.ok()) << c.line;
    EXPECT_EQ(key.error().code, "InvalidProject");
    EXPECT_EQ(key.error().message, c.message) << c.line;
  }
}

TEST(IpNetworkTest, ParsesAndPrints) {
  struct Good {
    const char* text;
    const char* shown;
    bool v6;
    int prefix;
  };
  for (const Good& g :
       {Good{"10.0.0.0/8", "10.0.0.0/8", false, 8}, Good{"0.0.0.0/0", "0.0.0.0/0", false, 0},
        Good{"192.0.2.1", "192.0.2.1/32", false, 32},
        Good{"192.0.2.128/25", "192.0.2.128/25", false, 25}, Good{"::/0", "::/0", true, 0},
        Good{"2001:DB8::/32", "2001:db8::/32", true, 32},
        Good{"2001:db8:0:0:1::/80", "2001:db8:0:0:1::/80", true, 80},
        Good{"::1", "::1/128", true, 128},
        Good{"::ffff:192.0.2.0/120", "::ffff:192.0.2.0/120", true, 120}}) {
    auto n = ParseIpNetwork(g.text);
    ASSERT_TRUE(n.ok()) << g.text << ": " << n.error().message;
    EXPECT_EQ(n->ToString(), g.shown);
    EXPECT_EQ(n->v6, g.v6);
    EXPECT_EQ(n->prefix_length, g.prefix);
  }
  struct Bad {
    const char* text;
    const char* message;
  };
  for (const Bad& b : {
           Bad{"10.1.2.3/8", "'10.1.2.3/8' has host bits set; did you mean 10.0.0.0/8?"},
           Bad{"2001:db8::1/32", "'2001:db8::1/32' has host bits set; did you mean 2001:db8::/32?"},
           Bad{"192.0.2.129/25",
               "'192.0.2.129/25' has host bits set; did you mean 192.0.2.128/25?"},
           Bad{"10.0.0.0/33", "the prefix length must be a number from 0 to 32; got '10.0.0.0/33'"},
           Bad{"::/129", "the prefix length must be a number from 0 to 128; got '::/129'"},
           Bad{"10.0.0.0/", "the prefix length must be a number from 0 to 32; got '10.0.0.0/'"},
           Bad{"10.0.0.0/-1", "the prefix length must be a number from 0 to 32; got '10.0.0.0/-1'"},
           Bad{"10.0.0.0/8/8",
               "the prefix length must be a number from 0 to 32; got '10.0.0.0/8/8'"},
           Bad{"10/8",
               "must be an IPv4 or IPv6 network in CIDR notation, for example 192.0.2.0/24 or "
               "2001:db8::/32; got '10/8'"},
           Bad{"example.com/24",
               "must be an IPv4 or IPv6 network in CIDR notation, for example 192.0.2.0/24 or "
               "2001:db8::/32; got 'example.com/24'"},
           Bad{"",
               "must be an IPv4 or IPv6 network in CIDR notation, for example 192.0.2.0/24 or "
               "2001:db8::/32; got ''"},
           Bad{"256.0.0.0/8",
               "must be an IPv4 or IPv6 network in CIDR notation, for example 192.0.2.0/24 or "
               "2001:db8::/32; got '256.0.0.0/8'"},
           Bad{"fe80::1%eth0", "a network may not name an interface (zone id): 'fe80::1%eth0'"},
       }) {
    auto n = ParseIpNetwork(b.text);
    ASSERT_FALSE(n.ok()) << b.text;
    EXPECT_EQ(n.error().message, b.message);
  }
}

// Every kind of mistake in `users` and `servers`, with the whole message.
TEST_F(ProjectUsersTest, BadUsersAndServers) {
  const std::string hash = std::string("'") + kYescrypt + "'";
  const std::string key = std::string("'") + kEd25519 + "'";
  struct Case {
    std::string yaml;
    std::string message;
  };
  const Case cases[] = {
      // The sections.
      {"users: [alice]\n", "wharf.yaml:1:8: users: must be a mapping, got a list"},
      {"servers: [sftp]\n", "wharf.yaml:1:10: servers: must be a mapping, got a list"},
      {"servers:\n  sfpt: {}\n",
       "wharf.yaml:2:3: servers.sfpt: unknown key; expected sftp, ftp, lockout (did you mean "
       "'sftp'?)"},

      // User names.
      {"users:\n  al: {password_hash: " + hash + "}\n",
       "wharf.yaml:2:3: users.al: a user name has 3 to 100 letters, digits, '_', '@', '.' or '-', "
       "and starts with a letter, a digit or '_' (as AWS Transfer Family's)"},
      {"users:\n  .alice: {password_hash: " + hash + "}\n",
       "wharf.yaml:2:3: users..alice: a user name has 3 to 100 letters, digits, '_', '@', '.' or "
       "'-', and starts with a letter, a digit or '_' (as AWS Transfer Family's)"},
      {"users:\n  'al ice': {password_hash: " + hash + "}\n",
       "wharf.yaml:2:3: users.al ice: a user name has 3 to 100 letters, digits, '_', '@', '.' or "
       "'-', and starts with a letter, a digit or '_' (as AWS Transfer Family's)"},
      {"users:\n  alice: {password_hash: " + hash + "}\n  alice: {password_hash: " + hash + "}\n",
       "wharf.yaml:3:3: users.alice: duplicate key (first at line 2)"},

      // Credentials.
      {"users:\n  alice:\n    password: hunter2\n",
       "wharf.yaml:3:5: users.alice.password: plain-text passwords are not accepted; run `wharf "
       "passwd` and put the hash it prints under password_hash"},
      {"users:\n  alice:\n    password_hash: hunter2\n",
       "wharf.yaml:3:20: users.alice.password_hash: is not a password hash; passwords are never "
       "written in clear: run `wharf passwd` and paste the hash it prints"},
      {"users:\n  alice:\n    password_hash: 12345\n",
       "wharf.yaml:3:20: users.alice.password_hash: must be a password hash as a string; run "
       "`wharf passwd` and paste the hash it prints"},
      {"users:\n  alice:\n    password_hash: [a]\n",
       "wharf.yaml:3:20: users.alice.password_hash: must be a password hash as a string; run "
       "`wharf passwd` and paste the hash it prints"},
      {"users:\n  alice:\n    password_hash: '$y$j9T$UcisLRQBjER9lzyyrFoP31$eGSqap'\n",
       "wharf.yaml:3:20: users.alice.password_hash: is not a complete yescrypt hash; copy the "
       "whole line that `wharf passwd` (or your tool) prints"},
      {"users:\n  alice:\n    password_hash: '$6$saltsalt$tooshort'\n",
       "wharf.yaml:3:20: users.alice.password_hash: is not a complete SHA-512 crypt hash; copy "
       "the whole line that `wharf passwd` (or your tool) prints"},
      {"users:\n  alice:\n    password_hash: '$2b$03$aEmMbqyadtIA2f0y3fTYlOU9M6XbzdcKN8Pi5FfWIKdC"
       "eqhxIE4Yq'\n",
       "wharf.yaml:3:20: users.alice.password_hash: is not a complete bcrypt hash; copy the whole "
       "line that `wharf passwd` (or your tool) prints"},
      {"users:\n  alice:\n    password_hash: '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaA'\n",
       "wharf.yaml:3:20: users.alice.password_hash: argon2 hashes are not supported: Debian's "
       "libcrypt cannot check them; run `wharf passwd` and paste the hash it prints (yescrypt)"},
      {"users:\n  alice:\n    password_hash: '$1$symVqsJs$ByiMrVqwalAPDeTMQvaSG/'\n",
       "wharf.yaml:3:20: users.alice.password_hash: uses $1$, a legacy hash that is too fast to "
       "resist guessing; run `wharf passwd` and paste the hash it prints (yescrypt)"},
      {"users:\n  alice:\n    password_hash: '$5$wNVPRoWbjlVl1qug$otXKOMi6Qrl9G.pStb6SGvM8NKhGnrdp8"
       "oKMUFdvgJ7'\n",
       "wharf.yaml:3:20: users.alice.password_hash: uses $5$, a legacy hash that is too fast to "
       "resist guessing; run `wharf passwd` and paste the hash it prints (yescrypt)"},
      {"users:\n  alice:\n    password_hash: '$xyz$abc'\n",
       "wharf.yaml:3:20: users.alice.password_hash: uses the unknown hash scheme '$xyz$'; "
       "expected yescrypt ($y$), SHA-512 crypt ($6$), bcrypt ($2b$) or scrypt ($7$): run `wharf "
       "passwd` and paste the hash it prints"},
      {"users:\n  alice:\n",
       "wharf.yaml:2:3: users.alice: has neither password_hash nor ssh_keys, so nobody could log "
       "in as 'alice'"},
      {"users:\n  alice: {ssh_keys: []}\n",
       "wharf.yaml:2:10: users.alice: has neither password_hash nor ssh_keys, so nobody could "
       "log in as 'alice'"},
      {"users:\n  alice: {ssh_keys: " + key + "}\n",
       "wharf.yaml:2:21: users.alice.ssh_keys: must be a list of OpenSSH public key lines (one "
       "item per key), got a string"},
      {"users:\n  alice:\n    ssh_keys:\n      - " + key + "\n      - ssh-ed25519 AAAA\n",
       "wharf.yaml:5:9: users.alice.ssh_keys[1]: the key data is truncated"},
      {"users:\n  alice:\n    ssh_keys:\n      - " + key + "\n      - {type: ed25519}\n",
       "wharf.yaml:5:9: users.alice.ssh_keys[1]: must be a public key line such as 'ssh-ed25519 "
       "AAAAC3Nza... alice@laptop', got a mapping"},
      {"users:\n  alice:\n    ssh_keys:\n      - " + key + "\n      - " + key + "\n",
       "wharf.yaml:5:9: users.alice.ssh_keys[1]: the same key is listed twice"},
      {std::string("users:\n  alice:\n    ssh_keys: ['") + kDsa + "']\n",
       "wharf.yaml:3:16: users.alice.ssh_keys[0]: DSA keys are refused (OpenSSH no longer accepts "
       "them); make an ed25519 key with ssh-keygen -t ed25519"},
      {"users:\n  alice: {password_hash: " + hash + ", passwd_hash: x}\n",
       "wharf.yaml:2:103: users.alice.passwd_hash: unknown key; expected password_hash, "
       "ssh_keys, home, permissions, allowed_networks, protocols, quota_bytes, quota_files, "
       "max_file_size (did you mean 'password_hash'?)"},

      // home
      {"users:\n  alice:\n    password_hash: " + hash + "\n    home: partners/../bob\n",
       "wharf.yaml:4:11: users.alice.home: may not contain '..': a home is a fixed folder of the "
       "store"},
      {"users:\n  alice:\n    password_hash: " + hash + "\n    home: ..\n",
       "wharf.yaml:4:11: users.alice.home: may not contain '..': a home is a fixed folder of the "
       "store"},
      {"users:\n  alice:\n    password_hash: " + hash + "\n    home: a/./b\n",
       "wharf.yaml:4:11: users.alice.home: may not contain '.' as a folder name"},
      {"users:\n  alice:\n    password_hash: " + hash + "\n    home: a//b\n",
       "wharf.yaml:4:11: users.alice.home: may not contain an empty folder name ('//')"},
      {"users:\n  alice:\n    password_hash: " + hash + "\n    home: 'a\\b'\n",
       "wharf.yaml:4:11: users.alice.home: may not contain '\\'; folders are separated by '/'"},
      {"users:\n  alice:\n    password_hash: " + hash + "\n    home: \"a\\tb\"\n",
       "wharf.yaml:4:11: users.alice.home: may not contain control characters"},
      {"users:\n  alice:\n    password_hash: " + hash + "\n    home: ''\n",
       "wharf.yaml:4:11: users.alice.home: must be a folder of the object store, for example "
       "partners/acme (or / for the whole store), got ''"},
      {"users:\n  alice:\n    password_hash: " + hash + "\n    home: " + std::string(513, 'h') +
           "\n",
       "wharf.yaml:4:11: users.alice.home: must be at most 512 bytes"},

      // permissions
      {"users:\n  alice:\n    password_hash: " + hash + "\n    permissions: [list, read, wirte]\n",
       "wharf.yaml:4:31: users.alice.permissions[2]: unknown permission 'wirte'; expected list, "
       "read, upload, delete, rename, mkdir"},
      {"users:\n  alice:\n    password_hash: " + hash + "\n    permissions: [write]\n",
       "wharf.yaml:4:19: users.alice.permissions[0]: unknown permission 'write'; expected list, "
       "read, upload, delete, rename, mkdir (did you mean 'upload'?)"},
      {"users:\n  alice:\n    password_hash: " + hash + "\n    permissions: [reed]\n",
       "wharf.yaml:4:19: users.alice.permissions[0]: unknown permission 'reed'; expected list, "
       "read, upload, delete, rename, mkdir (did you mean 'read'?)"},
      {"users:\n  alice:\n    password_hash: " + hash + "\n    permissions: [read, read]\n",
       "wharf.yaml:4:25: users.alice.permissions[1]: 'read' is listed twice"},
      {"users:\n  alice:\n    password_hash: " + hash + "\n    permissions: all\n",
       "wharf.yaml:4:18: users.alice.permissions: must be a list, got 'all'"},

      // allowed_networks
      {"users:\n  alice:\n    password_hash: " + hash +
           "\n    allowed_networks: [10.0.0.0/8, 10.1.2.3/16]\n",
       "wharf.yaml:4:36: users.alice.allowed_networks[1]: '10.1.2.3/16' has host bits set; did "
       "you mean 10.1.0.0/16?"},
      {"users:\n  alice:\n    password_hash: " + hash + "\n    allowed_networks: [office]\n",
       "wharf.yaml:4:24: users.alice.allowed_networks[0]: must be an IPv4 or IPv6 network in CIDR "
       "notation, for example 192.0.2.0/24 or 2001:db8::/32; got 'office'"},
      {"users:\n  alice:\n    password_hash: " + hash + "\n    allowed_networks: []\n",
       "wharf.yaml:4:23: users.alice.allowed_networks: an empty list would refuse every address; "
       "leave it out to allow any"},
      {"users:\n  alice:\n    password_hash: " + hash + "\n    allowed_networks: 10.0.0.0/8\n",
       "wharf.yaml:4:23: users.alice.allowed_networks: must be a list, got '10.0.0.0/8'"},

      // protocols
      {"users:\n  alice:\n    password_hash: " + hash + "\n    protocols: [sftp, scp]\n",
       "wharf.yaml:4:23: users.alice.protocols[1]: unknown protocol 'scp'; expected sftp, ftps "
       "or ftp"},
      {"users:\n  alice:\n    password_hash: " + hash + "\n    protocols: []\n",
       "wharf.yaml:4:16: users.alice.protocols: an empty list would let the user log in nowhere; "
       "list sftp, ftps or ftp (leave it out for all three)"},
      {"users:\n  alice:\n    password_hash: " + hash + "\n    protocols: [ftp, ftp]\n",
       "wharf.yaml:4:22: users.alice.protocols[1]: 'ftp' is listed twice"},

      // quotas
      {"users:\n  alice:\n    password_hash: " + hash + "\n    quota_bytes: 10 gigs\n",
       "wharf.yaml:4:18: users.alice.quota_bytes: must be a size in bytes: a whole number, or a "
       "number with a unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), for example 10GiB; got '10 "
       "gigs'"},
      {"users:\n  alice:\n    password_hash: " + hash + "\n    quota_bytes: -5\n",
       "wharf.yaml:4:18: users.alice.quota_bytes: must be at least 1 byte (leave it out for no "
       "limit), got -5"},
      {"users:\n  alice:\n    password_hash: " + hash + "\n    quota_bytes: 0\n",
       "wharf.yaml:4:18: users.alice.quota_bytes: must be at least 1 byte (leave it out for no "
       "limit), got 0"},
      {"users:\n  alice:\n    password_hash: " + hash + "\n    quota_bytes: 1.5\n",
       "wharf.yaml:4:18: users.alice.quota_bytes: must be a size in bytes: a whole number, or a "
       "number with a unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), for example 10GiB; got 1.5"},
      {"users:\n  alice:\n    password_hash: " + hash + "\n    max_file_size: .5GB\n",
       "wharf.yaml:4:20: users.alice.max_file_size: must be a size in bytes: a whole number, or "
       "a number with a unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), for example 10GiB; got "
       "'.5GB'"},
      {"users:\n  alice:\n    password_hash: " + hash + "\n    max_file_size: 99999999TiB\n",
       "wharf.yaml:4:20: users.alice.max_file_size: is larger than wharf can count, got "
       "'99999999TiB'"},
      {"users:\n  alice:\n    password_hash: " + hash + "\n    quota_files: 0\n",
       "wharf.yaml:4:18: users.alice.quota_files: must be a whole number of files, at least 1 "
       "(leave it out for no limit), got 0"},
      {"users:\n  alice:\n    password_hash: " + hash + "\n    quota_files: 1k\n",
       "wharf.yaml:4:18: users.alice.quota_files: must be a whole number of files, at least 1 "
       "(leave it out for no limit), got '1k'"},

      // servers.sftp
      {"servers:\n  sftp: {listen: 2222}\n",
       "wharf.yaml:2:18: servers.sftp.listen: must be HOST:PORT, for example 127.0.0.1:8700; got "
       "'2222'"},
      {"servers:\n  sftp: {host_key: keys/missing}\n",
       "wharf.yaml:2:20: servers.sftp.host_key: the file 'keys/missing' does not exist (looked "
       "for DIR/keys/missing); leave host_key out and wharf makes one in the data folder"},
      {"servers:\n  sftp: {host_key: keys}\n",
       "wharf.yaml:2:20: servers.sftp.host_key: 'keys' is a folder"},
      {"servers:\n  sftp: {idle_timeout: 0}\n",
       "wharf.yaml:2:24: servers.sftp.idle_timeout: must be a whole number of seconds from 1 to "
       "86400, got 0"},
      {"servers:\n  ftp: {upload_end_grace_ms: 5000}\n",
       "wharf.yaml:2:30: servers.ftp.upload_end_grace_ms: must be a whole number of milliseconds "
       "from 0 to 1000, got 5000"},
      {"servers:\n  sftp: {port: 22}\n",
       "wharf.yaml:2:10: servers.sftp.port: unknown key; expected listen, host_key, idle_timeout"},
      {"servers:\n  sftp: {listen: '0.0.0.0:2121'}\n  ftp: {listen: '0.0.0.0:2121'}\n",
       "wharf.yaml:3:17: servers.ftp.listen: is the address servers.sftp listens on "
       "(0.0.0.0:2121)"},

      // servers.ftp
      {"servers:\n  ftp: {passive_ports: 50100-50000}\n",
       "wharf.yaml:2:24: servers.ftp.passive_ports: the range starts after it ends; write "
       "LOW-HIGH, got '50100-50000'"},
      {"servers:\n  ftp: {passive_ports: 50000-70000}\n",
       "wharf.yaml:2:24: servers.ftp.passive_ports: must be a range of ports LOW-HIGH from 1 to "
       "65535, for example 50000-50100; got '50000-70000'"},
      {"servers:\n  ftp: {passive_ports: '50000:50100'}\n",
       "wharf.yaml:2:24: servers.ftp.passive_ports: must be a range of ports LOW-HIGH from 1 to "
       "65535, for example 50000-50100; got '50000:50100'"},
      {"servers:\n  ftp: {passive_ports: 0-10}\n",
       "wharf.yaml:2:24: servers.ftp.passive_ports: must be a range of ports LOW-HIGH from 1 to "
       "65535, for example 50000-50100; got '0-10'"},
      {"servers:\n  ftp: {public_address: ftp.example.com}\n",
       "wharf.yaml:2:25: servers.ftp.public_address: must be an IPv4 address (PASV replies carry "
       "only IPv4), got 'ftp.example.com'"},
      {"servers:\n  ftp: {public_address: '2001:db8::1'}\n",
       "wharf.yaml:2:25: servers.ftp.public_address: must be an IPv4 address (PASV replies carry "
       "only IPv4), got '2001:db8::1'"},
      {"servers:\n  ftp: {require_tls: yes}\n",
       "wharf.yaml:2:22: servers.ftp.require_tls: must be true or false, got 'yes'"},
      {"servers:\n  ftp: {allow_active: 1}\n",
       "wharf.yaml:2:23: servers.ftp.allow_active: must be true or false, got 1"},
      {"servers:\n  ftp: {certificate: tls/cert.pem}\n",
       "wharf.yaml:2:22: servers.ftp.private_key: is required with certificate: give both, or "
       "neither for a self-signed certificate made at first start"},
      {"servers:\n  ftp: {private_key: tls/key.pem}\n",
       "wharf.yaml:2:22: servers.ftp.certificate: is required with private_key: give both, or "
       "neither for a self-signed certificate made at first start"},
      {"servers:\n  ftp: {certificate: tls/nope.pem, private_key: tls/key.pem}\n",
       "wharf.yaml:2:22: servers.ftp.certificate: the file 'tls/nope.pem' does not exist (looked "
       "for DIR/tls/nope.pem) (a PEM file)"},
      {"servers:\n  ftp: {certificate: tls/cert.pem, private_key: ''}\n",
       "wharf.yaml:2:49: servers.ftp.private_key: must be a file name, got ''"},
      {"servers:\n  ftp: {pasv_ports: 1-2}\n",
       "wharf.yaml:2:9: servers.ftp.pasv_ports: unknown key; expected listen, passive_ports, "
       "public_address, require_tls, certificate, private_key, allow_active, idle_timeout, "
       "upload_end_grace_ms (did you mean 'passive_ports'?)"},

      // servers.lockout
      {"servers:\n  lockout: {max_failures: 0}\n",
       "wharf.yaml:2:27: servers.lockout.max_failures: must be a whole number from 1 to 1000, got "
       "0"},
      {"servers:\n  lockout: {window: 5m}\n",
       "wharf.yaml:2:21: servers.lockout.window: must be a whole number of seconds from 1 to "
       "86400, got '5m'"},
      {"servers:\n  lockout: {ban: 1.5}\n",
       "wharf.yaml:2:18: servers.lockout.ban: must be a whole number of seconds from 1 to "
       "31536000, got 1.5"},
      {"servers:\n  lockout: {ban: 600, max_ban: 300}\n",
       "wharf.yaml:2:32: servers.lockout.max_ban: max_ban (300 s) must be at least ban (600 s)"},
      {"servers:\n  lockout: {ban: 7200}\n",
       "wharf.yaml:2:18: servers.lockout.ban: max_ban (3600 s) must be at least ban (7200 s)"},
      {"servers:\n  lockout: {forgive_after: -1}\n",
       "wharf.yaml:2:28: servers.lockout.forgive_after: must be a whole number of seconds from 1 "
       "to 31536000, got -1"},
      {"servers:\n  lockout: {exempt_networks: [localhost]}\n",
       "wharf.yaml:2:31: servers.lockout.exempt_networks[0]: must be an IPv4 or IPv6 network in "
       "CIDR notation, for example 192.0.2.0/24 or 2001:db8::/32; got 'localhost'"},
      {"servers:\n  lockout: {attempts: 3}\n",
       "wharf.yaml:2:13: servers.lockout.attempts: unknown key; expected max_failures, window, "
       "ban, max_ban, forgive_after, exempt_networks"},
  };
  for (const Case& c : cases) {
    std::string expected = c.message;
    if (size_t at = expected.find("DIR"); at != std::string::npos) expected.replace(at, 3, dir_);
    EXPECT_EQ(ErrorOf(c.yaml), expected) << c.yaml;
  }
}

// A password written where a hash belongs never reaches a message (nor so a log).
TEST_F(ProjectUsersTest, PasswordsNeverAppearInMessages) {
  const char* cases[] = {
      "users:\n  alice:\n    password_hash: Sup3rS3cret!\n",
      "users:\n  alice:\n    password_hash: '$Sup3rS3cret!'\n",
      "users:\n  alice:\n    password_hash: '$y$Sup3rS3cret!'\n",
      "users:\n  alice:\n    password_hash: '$6$Sup3rS3cret!'\n",
      "users:\n  alice:\n    password_hash: '$secret$Sup3rS3cret!'\n",
      "users:\n  alice:\n    password_hash: [Sup3rS3cret!]\n",
      "users:\n  alice:\n    password: Sup3rS3cret!\n",
      "users:\n  alice:\n    ssh_keys: ['-----BEGIN OPENSSH PRIVATE KEY----- Sup3rS3cret!']\n",
  };
  for (const char* text : cases) {
    std::string message = ErrorOf(text);
    EXPECT_EQ(message.find("Sup3rS3cret"), std::string::npos) << message;
    EXPECT_EQ(message.rfind("wharf.yaml:3:", 0), 0u) << message;
  }
}

}  // namespace
}  // namespace wharf

namespace wharf {
namespace {

class ProjectRulesTest : public ProjectTest {
 protected:
  std::string ErrorOf(const std::string& text) {
    auto p = Parse(text);
    return p.ok() ? "(no error)" : p.error().message;
  }
};

TEST_F(ProjectRulesTest, RulesWithTheirTargets) {
  auto p = Parse(R"(
rules:
  csv-uploads:
    description: CSV files start the import
    event_pattern:
      source: [aws.transfer]
      detail:
        file-path: [{suffix: .csv}]
    targets:
      - state_machine: products
        input_transformer:
          input_paths_map: {path: $.detail.file-path, size: $.detail.file-size}
          input_template: '{"path": <path>, "size": <size>}'
        retry_policy: {maximum_retry_attempts: 3, maximum_event_age_seconds: 3600}
      - id: audit
        state_machine: arn:aws:states:us-east-1:111111111111:stateMachine:audit
        input: {kind: upload}
  as-json:
    enabled: false
    event_pattern: '{"source": ["wharf.test"]}'
    targets:
      - {state_machine: products, input_path: $.detail}
)");
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_EQ(p->rules.size(), 2u);
  const RuleConfig& csv = p->rules.at("csv-uploads");
  EXPECT_EQ(csv.description, "CSV files start the import");
  EXPECT_EQ(csv.event_pattern,
            R"({"source":["aws.transfer"],"detail":{"file-path":[{"suffix":".csv"}]}})");
  EXPECT_TRUE(csv.enabled);
  ASSERT_EQ(csv.targets.size(), 2u);
  EXPECT_EQ(csv.targets[0].id, "products");
  EXPECT_EQ(csv.targets[0].state_machine, "products");
  EXPECT_TRUE(csv.targets[0].has_transformer);
  ASSERT_EQ(csv.targets[0].input_paths.size(), 2u);
  EXPECT_EQ(csv.targets[0].input_paths[1].first, "size");
  EXPECT_EQ(csv.targets[0].input_paths[1].second, "$.detail.file-size");
  EXPECT_EQ(csv.targets[0].input_template, R"({"path": <path>, "size": <size>})");
  EXPECT_EQ(csv.targets[0].maximum_retry_attempts, 3);
  EXPECT_EQ(csv.targets[0].maximum_event_age_seconds, 3600);
  EXPECT_EQ(csv.targets[0].where, "wharf.yaml:10:9: rules.csv-uploads.targets[0]");
  EXPECT_EQ(csv.targets[1].id, "audit");
  EXPECT_EQ(csv.targets[1].input, R"({"kind":"upload"})");
  EXPECT_EQ(csv.targets[1].maximum_retry_attempts, 185);
  EXPECT_EQ(csv.targets[1].maximum_event_age_seconds, 86400);
  const RuleConfig& json = p->rules.at("as-json");
  EXPECT_FALSE(json.enabled);
  EXPECT_EQ(json.event_pattern, R"({"source":["wharf.test"]})");
  EXPECT_EQ(json.targets[0].input_path, "$.detail");
}

TEST_F(ProjectRulesTest, BadRulesSayWhereAndWhat) {
  EXPECT_EQ(ErrorOf("rules:\n  a b: {event_pattern: {}}\n"),
            "wharf.yaml:2:3: rules.a b: a rule's name has 1 to 64 letters, digits, '.', '-' or "
            "'_'");
  EXPECT_EQ(ErrorOf("rules:\n  r: {targets: []}\n"),
            "wharf.yaml:2:6: rules.r: event_pattern is required: the events the rule matches");
  EXPECT_NE(ErrorOf("rules:\n  r: {event_pattern: '{nope'}\n")
                .find("rules.r.event_pattern: is not valid JSON"),
            std::string::npos);
  EXPECT_EQ(ErrorOf("rules:\n  r: {event_pattern: [1]}\n"),
            "wharf.yaml:2:22: rules.r.event_pattern: must be a JSON object (a mapping), got a "
            "list");
  EXPECT_EQ(ErrorOf("rules:\n  r:\n    event_pattern: {}\n    targets: [{input: {}}]\n"),
            "wharf.yaml:4:15: rules.r.targets[0]: needs one of state_machine (the state machine "
            "the rule starts) and webhook (a URL that gets each event as a POST)");
  EXPECT_EQ(ErrorOf("rules:\n  r:\n    event_pattern: {}\n    targets: [{webhook: ftp://x}]\n"),
            "wharf.yaml:4:25: rules.r.targets[0].webhook: must be an http:// or https:// URL, got "
            "'ftp://x'");
  auto hook = Parse(
      "rules:\n  r:\n    event_pattern: {}\n    targets: [{webhook: "
      "'https://hooks.example.com/wharf'}]\n");
  ASSERT_TRUE(hook.ok()) << hook.error().message;
  EXPECT_EQ(hook->rules.at("r").targets[0].webhook, "https://hooks.example.com/wharf");
  EXPECT_EQ(hook->rules.at("r").targets[0].id, "webhook");
  EXPECT_EQ(ErrorOf("rules:\n  r:\n    event_pattern: {}\n    targets: [{state_machine: m, "
                    "input: {}, input_path: $}]\n"),
            "wharf.yaml:4:15: rules.r.targets[0]: takes at most one of input, input_path and "
            "input_transformer");
  EXPECT_EQ(ErrorOf("rules:\n  r:\n    event_pattern: {}\n    targets: [{state_machine: m}, "
                    "{state_machine: m}]\n"),
            "wharf.yaml:4:35: rules.r.targets[1]: the id 'm' is used twice in this rule; give "
            "each target its own id");
  EXPECT_EQ(ErrorOf("rules:\n  r:\n    event_pattern: {}\n    targets: [{state_machine: m, "
                    "retry_policy: {maximum_retry_attempts: 186}}]\n"),
            "wharf.yaml:4:73: rules.r.targets[0].retry_policy.maximum_retry_attempts: must be "
            "from 0 to 185, got 186");
  EXPECT_EQ(ErrorOf("rules:\n  r:\n    event_pattern: {}\n    targets: [{state_machine: m, "
                    "input_transformer: {input_paths_map: {a: $.x}}}]\n"),
            "wharf.yaml:4:53: rules.r.targets[0].input_transformer: input_template is required: "
            "what the target receives");
}

class ProjectSchedulesTest : public ProjectTest {
 protected:
  std::string ErrorOf(const std::string& text) {
    auto p = Parse(text);
    return p.ok() ? "(no error)" : p.error().message;
  }
};

TEST_F(ProjectSchedulesTest, SchedulesWithTheirTargets) {
  auto p = Parse(R"(
schedules:
  nightly:
    expression: cron(0 6 * * ? *)
    timezone: Europe/Berlin
    start: 2026-12-01T00:00:00Z
    end: '2027-12-01T00:00:00+01:00'
    target:
      state_machine: products
      input: {kind: nightly, days: [1, 2]}
  every-5:
    expression: rate(5 minutes)
    enabled: false
    target: {state_machine: 'arn:aws:states:us-east-1:111111111111:stateMachine:m', input: '[1]'}
  once:
    expression: at(2026-12-01T06:00:00)
    target: {state_machine: products}
)");
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_EQ(p->schedules.size(), 3u);
  const ScheduleConfig& nightly = p->schedules.at("nightly");
  EXPECT_EQ(nightly.expression, "cron(0 6 * * ? *)");
  EXPECT_EQ(nightly.timezone, "Europe/Berlin");
  EXPECT_TRUE(nightly.enabled);
  EXPECT_EQ(nightly.start, "2026-12-01T00:00:00Z");
  EXPECT_EQ(nightly.end, "2027-12-01T00:00:00+01:00");
  EXPECT_EQ(nightly.state_machine, "products");
  EXPECT_EQ(nightly.input, R"({"kind":"nightly","days":[1,2]})");
  EXPECT_EQ(nightly.where, "wharf.yaml:4:5: schedules.nightly");
  const ScheduleConfig& every = p->schedules.at("every-5");
  EXPECT_FALSE(every.enabled);
  EXPECT_EQ(every.timezone, "");
  EXPECT_EQ(every.input, "[1]");
  EXPECT_EQ(every.state_machine, "arn:aws:states:us-east-1:111111111111:stateMachine:m");
  const ScheduleConfig& once = p->schedules.at("once");
  EXPECT_EQ(once.input, "{}");
  EXPECT_TRUE(once.start.empty());
  EXPECT_TRUE(once.end.empty());
}

TEST_F(ProjectSchedulesTest, BadSchedulesSayWhereAndWhat) {
  EXPECT_EQ(ErrorOf("schedules:\n  a b: {expression: rate(1 hour)}\n"),
            "wharf.yaml:2:3: schedules.a b: a schedule's name has 1 to 64 letters, digits, '.', "
            "'-' or '_'");
  EXPECT_EQ(ErrorOf("schedules:\n  s: {target: {state_machine: m}}\n"),
            "wharf.yaml:2:6: schedules.s: expression is required: cron(...), rate(...) or "
            "at(...), as in 'cron(0 6 * * ? *)'");
  EXPECT_EQ(ErrorOf("schedules:\n  s: {expression: rate(1 hour)}\n"),
            "wharf.yaml:2:6: schedules.s: target is required: {state_machine: NAME, input: ...}");
  EXPECT_EQ(ErrorOf("schedules:\n  s: {expression: rate(1 hour), target: {input: {}}}\n"),
            "wharf.yaml:2:41: schedules.s.target: state_machine is required: the state machine "
            "the schedule starts");
  EXPECT_EQ(ErrorOf("schedules:\n  s: {expression: '', target: {state_machine: m}}\n"),
            "wharf.yaml:2:19: schedules.s.expression: must not be empty: cron(...), rate(...) or "
            "at(...)");
  EXPECT_NE(ErrorOf("schedules:\n  s: {expression: rate(1 hour), enabled: maybe, target: "
                    "{state_machine: m}}\n")
                .find("schedules.s.enabled: "),
            std::string::npos);
  EXPECT_NE(ErrorOf("schedules:\n  s: {expression: rate(1 hour), target: {state_machine: m, "
                    "input: '{nope'}}\n")
                .find("schedules.s.target.input: is not valid JSON"),
            std::string::npos);
  EXPECT_NE(ErrorOf("schedules:\n  s: {expression: rate(1 hour), flexible: on, target: "
                    "{state_machine: m}}\n")
                .find("schedules.s.flexible"),
            std::string::npos);
  EXPECT_NE(ErrorOf("schedule: {}\n").find("schedules"), std::string::npos);
}

}  // namespace
}  // namespace wharf
