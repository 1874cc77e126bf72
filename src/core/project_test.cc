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
       "quotas, data, durability (did you mean 'functions'?)"},
      {"durability: fsync\n",
       "wharf.yaml:1:13: durability: must be process-crash or power-loss, got 'fsync'"},
      {"users:\n  - name: a\n",
       "wharf.yaml:1:1: users: not supported by this version of wharf yet"},
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
)";
  ASSERT_TRUE(Parse(valid).ok());
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

}  // namespace
}  // namespace wharf
