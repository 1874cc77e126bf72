// Tests of the function runner with real processes (/bin/sh, cat, sleep).
#include "tasks/function_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace wharf::tasks {
namespace {

using std::chrono::milliseconds;

Json J(std::string_view text) {
  auto parsed = Json::Parse(text);
  EXPECT_TRUE(parsed.ok()) << text;
  return parsed.ok() ? *parsed : Json();
}

FunctionSpec Sh(const std::string& script, milliseconds timeout = milliseconds(5000)) {
  FunctionSpec f;
  f.name = "fn";
  f.command = {"/bin/sh", "-c", script};
  f.timeout = timeout;
  return f;
}

InvocationResult Call(const FunctionSpec& spec, Json payload = Json::EmptyObject()) {
  Invocation inv;
  inv.payload = std::move(payload);
  inv.execution_arn = "arn:aws:states:us-east-1:111111111111:execution:m:e";
  inv.attempt_id = "arn:aws:states:us-east-1:111111111111:execution:m:e/2/0";
  return Invoke(spec, inv);
}

// A process is gone when it no longer exists or is a zombie waiting for its new parent.
bool Gone(pid_t pid) {
  if (::kill(pid, 0) != 0) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  size_t close = line.rfind(')');
  return close == std::string::npos || line.substr(close + 2, 1) == "Z";
}

bool EventuallyGone(pid_t pid) {
  for (int i = 0; i < 100; ++i) {
    if (Gone(pid)) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return false;
}

std::vector<pid_t> PidsIn(const std::string& log) {
  std::vector<pid_t> pids;
  std::istringstream in(log);
  for (std::string word; in >> word;) {
    if (word.rfind("pid=", 0) == 0) pids.push_back(std::stoi(word.substr(4)));
  }
  return pids;
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/wharf-tasks-test-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& text, bool executable = false) {
    std::string p = path_ + "/" + name;
    std::filesystem::create_directories(std::filesystem::path(p).parent_path());
    std::ofstream(p) << text;
    if (executable) ::chmod(p.c_str(), 0755);
    return p;
  }

 private:
  std::string path_;
};

// ---- Results ----

TEST(Invoke, CatEchoesThePayload) {
  FunctionSpec spec;
  spec.name = "echo";
  spec.command = {"cat"};
  Json payload = J(R"({"a":[1,2.5,"x"],"b":{"c":null}})");
  InvocationResult r = Call(spec, payload);
  ASSERT_TRUE(r.ok) << r.error.code << ": " << r.error.message;
  EXPECT_EQ(r.output, payload);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_GT(r.duration.count(), 0);
  EXPECT_TRUE(r.error_object.is_null());
}

TEST(Invoke, SuccessOutputs) {
  struct Case {
    const char* script;
    const char* output;  // JSON text
  };
  const Case cases[] = {
      {"cat >/dev/null", "null"},       // empty stdout is null
      {"printf ' \\n\\t\\n'", "null"},  // whitespace only too
      {"echo '  {\"k\": [1, 2]}  '", R"({"k":[1,2]})"},
      {"echo 42", "42"},
      {"echo '\"text\"'", R"("text")"},
      // An error object with exit 0 is a result like any other, as with Lambda.
      {"echo '{\"errorType\":\"E\"}'", R"({"errorType":"E"})"},
      {"echo log >&2; echo true", "true"},
  };
  for (const Case& c : cases) {
    InvocationResult r = Call(Sh(c.script));
    ASSERT_TRUE(r.ok) << c.script << " -> " << r.error.message;
    EXPECT_EQ(r.output, J(c.output)) << c.script;
  }
}

TEST(Invoke, StdoutThatIsNotJsonIsTaskFailed) {
  InvocationResult r = Call(Sh("echo 'hello world'"));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "States.TaskFailed");
  EXPECT_NE(r.error.message.find("Function 'fn' exited with status 0 but its stdout is not JSON"),
            std::string::npos)
      << r.error.message;
  EXPECT_NE(r.error.message.find("stdout begins: hello world"), std::string::npos);
  EXPECT_EQ(r.exit_code, 0);
}

TEST(Invoke, ErrorObjectOnTheLastLine) {
  InvocationResult r = Call(
      Sh("echo 'progress 1'; echo oops >&2;"
         "echo '{\"errorType\":\"Supplier.Busy\",\"errorMessage\":\"try again\"}'; echo; exit 3"));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "Supplier.Busy");
  EXPECT_EQ(r.error.message, R"({"errorMessage":"try again","errorType":"Supplier.Busy"})");
  EXPECT_EQ(r.error_object, J(R"({"errorMessage":"try again","errorType":"Supplier.Busy"})"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.log, "oops\n");
}

TEST(Invoke, ErrorObjectTakesLambdasShape) {
  struct Case {
    const char* printed;
    CauseFormat format;
    const char* cause;
  };
  const Case cases[] = {
      // errorMessage first, then errorType, then the rest in the function's order.
      {R"({"stackTrace":["a"],"errorType":"E","requestId":"r","errorMessage":"m"})",
       CauseFormat::kCompact,
       R"({"errorMessage":"m","errorType":"E","stackTrace":["a"],"requestId":"r"})"},
      // A missing errorMessage is "", as Python's runtime prints `raise CustomException()`.
      {R"({"errorType":"CustomException"})", CauseFormat::kCompact,
       R"({"errorMessage":"","errorType":"CustomException"})"},
      // The legacy Lambda resource prints the cause as Python's json.dumps does.
      {R"({"errorType":"Exception","errorMessage":"Some exception was raised.","stackTrace":["x\n"]})",
       CauseFormat::kPython,
       R"({"errorMessage": "Some exception was raised.", "errorType": "Exception", "stackTrace": ["x\n"]})"},
  };
  for (const Case& c : cases) {
    FunctionSpec spec = Sh("printf '%s\\n' \"$ERR\"; exit 1");
    spec.env["ERR"] = c.printed;
    Invocation inv;
    inv.payload = Json::EmptyObject();
    inv.cause_format = c.format;
    InvocationResult r = Invoke(spec, inv);
    ASSERT_FALSE(r.ok) << c.printed;
    EXPECT_EQ(r.error.message, c.cause) << c.printed;
    EXPECT_EQ(r.error.code, J(c.printed).find("errorType")->as_string());
  }
}

TEST(LambdaErrorCause, PythonFormatEscapesLikeJsonDumps) {
  Json error = J(
      R"({"errorType":"E","errorMessage":"caf\u00e9 \ud83d\ude00 \"q\" \u007f","n":[1,2.5,true,null],"o":{}})");
  EXPECT_EQ(LambdaErrorCause(error, CauseFormat::kPython),
            R"({"errorMessage": "caf\u00e9 \ud83d\ude00 \"q\" \u007f", "errorType": "E", )"
            R"("n": [1, 2.5, true, null], "o": {}})");
  EXPECT_EQ(LambdaErrorCause(error, CauseFormat::kCompact),
            "{\"errorMessage\":\"caf\xC3\xA9 \xF0\x9F\x98\x80 \\\"q\\\" \x7F\",\"errorType\":\"E\","
            "\"n\":[1,2.5,true,null],\"o\":{}}");
}

TEST(Invoke, PrettyPrintedErrorObject) {
  InvocationResult r = Call(Sh(
      "printf '{\\n  \"errorType\": \"Bad.Row\",\\n  \"errorMessage\": \"row 7\"\\n}\\n'; exit 2"));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "Bad.Row");
  EXPECT_EQ(r.error.message, R"({"errorMessage":"row 7","errorType":"Bad.Row"})");
}

TEST(Invoke, NonZeroExitWithoutErrorObjectIsTaskFailedWithTheStderrTail) {
  struct Case {
    const char* script;
    int exit_code;
    const char* cause;
  };
  const Case cases[] = {
      {"echo 'first' >&2; echo 'Traceback: boom' >&2; exit 1", 1, "first\nTraceback: boom"},
      {"exit 7", 7, "Function 'fn' exited with status 7."},
      // Not an error object: no errorType, an empty one, or one that is not a string.
      {"echo '{\"errorMessage\":\"m\"}'; echo bad >&2; exit 1", 1, "bad"},
      {"echo '{\"errorType\":\"\"}'; echo bad >&2; exit 1", 1, "bad"},
      {"echo '{\"errorType\":5}'; echo bad >&2; exit 1", 1, "bad"},
      {"echo 'not json'; exit 4", 4, "Function 'fn' exited with status 4."},
      // Invalid UTF-8 in the log is replaced in the cause.
      {"printf 'bad \\377 byte\\n' >&2; exit 1", 1, "bad \xEF\xBF\xBD byte"},
  };
  for (const Case& c : cases) {
    InvocationResult r = Call(Sh(c.script));
    ASSERT_FALSE(r.ok) << c.script;
    EXPECT_EQ(r.error.code, "States.TaskFailed") << c.script;
    EXPECT_EQ(r.error.message, c.cause) << c.script;
    EXPECT_EQ(r.exit_code, c.exit_code) << c.script;
  }
}

TEST(Invoke, CauseIsTheLast4KiBOfStderrFromALineStart) {
  InvocationResult r =
      Call(Sh("i=0; while [ $i -lt 3000 ]; do echo \"log line $i\" >&2; i=$((i+1)); done; exit 1"));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "States.TaskFailed");
  EXPECT_LE(r.error.message.size(), kCauseTailBytes);
  EXPECT_GT(r.error.message.size(), kCauseTailBytes / 2);
  EXPECT_EQ(r.error.message.rfind("log line ", 0), 0u) << r.error.message.substr(0, 40);
  EXPECT_EQ(r.error.message.substr(r.error.message.size() - 13), "log line 2999");
  EXPECT_EQ(r.log.size(), 10u * 11 + 90 * 12 + 900 * 13 + 2000 * 14);
  EXPECT_EQ(r.log.rfind("log line 0\n", 0), 0u);  // the log itself is whole
}

TEST(Invoke, LogKeepsOnlyTheLastMebibyte) {
  // 3 MiB of stderr, then a marker.
  InvocationResult r = Call(Sh("head -c 3145728 /dev/zero | tr '\\0' x >&2; echo END >&2; echo 1"));
  ASSERT_TRUE(r.ok) << r.error.message;
  EXPECT_EQ(r.output, Json::Int(1));
  const std::string header =
      "[wharf: " + std::to_string(3145728 + 4 - kMaxLogBytes) + " earlier bytes of log dropped]\n";
  EXPECT_EQ(r.log.size(), header.size() + kMaxLogBytes);
  EXPECT_EQ(r.log.rfind(header, 0), 0u) << r.log.substr(0, 80);
  EXPECT_EQ(r.log.substr(r.log.size() - 8), "xxxxEND\n");
}

TEST(Invoke, KilledBySignalNamesTheSignal) {
  InvocationResult r = Call(Sh("echo 'about to crash' >&2; kill -SEGV $$"));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "States.TaskFailed");
  EXPECT_EQ(r.exit_code, -SIGSEGV);
  EXPECT_EQ(r.error.message, "Function 'fn' was killed by signal 11 (SIGSEGV).\nabout to crash");
}

// ---- Timeouts and the process group ----

TEST(Invoke, TimeoutKillsTheWholeProcessGroup) {
  // The function starts a background child and sleeps itself; both must be gone.
  FunctionSpec spec = Sh("sleep 100 & echo pid=$! pid=$$ >&2; sleep 100", milliseconds(300));
  spec.name = "slow";
  auto start = std::chrono::steady_clock::now();
  InvocationResult r = Call(spec);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "States.Timeout");
  EXPECT_EQ(r.error.message, "Function 'slow' timed out after 0.3 seconds.");
  EXPECT_EQ(r.exit_code, -SIGKILL);
  EXPECT_GE(elapsed, milliseconds(300));
  EXPECT_LT(elapsed, milliseconds(2000));
  std::vector<pid_t> pids = PidsIn(r.log);
  ASSERT_EQ(pids.size(), 2u) << r.log;
  for (pid_t pid : pids) EXPECT_TRUE(EventuallyGone(pid)) << pid;
}

TEST(Invoke, TheStatesTimeoutSecondsAppliesWhenShorter) {
  FunctionSpec spec = Sh("sleep 100", milliseconds(900'000));
  Invocation inv;
  inv.payload = Json::EmptyObject();
  inv.timeout = milliseconds(200);
  InvocationResult r = Invoke(spec, inv);
  EXPECT_EQ(r.error.code, "States.Timeout");
  EXPECT_EQ(r.error.message, "Function 'fn' timed out after 0.2 seconds.");
  // A longer state timeout does not extend the function's own.
  spec.timeout = milliseconds(250);
  inv.timeout = milliseconds(60'000);
  r = Invoke(spec, inv);
  EXPECT_EQ(r.error.message, "Function 'fn' timed out after 0.25 seconds.");
}

TEST(Invoke, EndsWhenTheMainProcessExitsAndKillsWhatItLeft) {
  // The background child holds stdout open; the invocation must not wait for it.
  auto start = std::chrono::steady_clock::now();
  InvocationResult r = Call(Sh("sleep 100 & echo pid=$! >&2; echo '{\"done\":true}'"));
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r.ok) << r.error.message;
  EXPECT_EQ(r.output, J(R"({"done":true})"));
  EXPECT_LT(elapsed, milliseconds(1000));
  std::vector<pid_t> pids = PidsIn(r.log);
  ASSERT_EQ(pids.size(), 1u) << r.log;
  EXPECT_TRUE(EventuallyGone(pids[0]));
}

// ---- Payloads ----

TEST(Invoke, TenMegabytePayloadThroughCat) {
  // Both directions at once: cat writes while the runner is still writing, so the runner must
  // read stdout while it feeds stdin or both sides block on full pipes.
  std::string big(10 << 20, 'a');
  for (size_t i = 0; i < big.size(); i += 997) big[i] = static_cast<char>('a' + i % 26);
  Json payload = Json::Object({{"data", Json::String(big)}, {"n", Json::Int(1)}});
  FunctionSpec spec;
  spec.name = "cat";
  spec.command = {"cat"};
  InvocationResult r = Call(spec, payload);
  ASSERT_TRUE(r.ok) << r.error.message;
  ASSERT_TRUE(r.output.find("data") != nullptr);
  EXPECT_TRUE(r.output.find("data")->as_string() == big);
  EXPECT_EQ(r.output, payload);
}

TEST(Invoke, AFunctionThatIgnoresItsInputDoesNotBreakTheRunner) {
  // The function closes stdin at once: writing 2 MB meets EPIPE, which must not kill wharf
  // (SIGPIPE) nor fail the invocation.
  Json payload = Json::String(std::string(2 << 20, 'z'));  // far more than a pipe holds
  for (const char* script : {"exec 0<&-; echo 1", "echo 1"}) {
    InvocationResult r = Call(Sh(script), payload);
    ASSERT_TRUE(r.ok) << script << ": " << r.error.message;
    EXPECT_EQ(r.output, Json::Int(1));
  }
}

TEST(Invoke, LargeOutputBeforeReadingInput) {
  // 2 MB written before the input is read: the pipes would deadlock without poll().
  FunctionSpec spec =
      Sh("printf '\"'; head -c 2000000 /dev/zero | tr '\\0' y; printf '\"'; cat >/dev/null");
  InvocationResult r = Call(spec, Json::String(std::string(4 << 20, 'q')));
  ASSERT_TRUE(r.ok) << r.error.message;
  EXPECT_EQ(r.output.as_string().size(), 2000000u);
}

TEST(Invoke, FloodingStdoutIsStopped) {
  EXPECT_EQ(FunctionSpec().max_output_bytes, size_t{64} << 20);
  struct Case {
    size_t max;
    const char* cause;
  };
  const Case cases[] = {
      {1 << 20, "Function 'fn' wrote more than 1 MiB on stdout and was killed."},
      {1000, "Function 'fn' wrote more than 1000 bytes on stdout and was killed."}};
  for (const Case& c : cases) {
    // The function would write forever and never reach its log line.
    FunctionSpec spec = Sh("cat /dev/zero; echo never >&2");
    spec.max_output_bytes = c.max;
    InvocationResult r = Call(spec);
    ASSERT_FALSE(r.ok);
    EXPECT_EQ(r.error.code, "States.TaskFailed");
    EXPECT_EQ(r.error.message, c.cause);
    EXPECT_EQ(r.log, "");
  }
}

// ---- Starting the process ----

TEST(Invoke, MissingExecutable) {
  struct Case {
    std::vector<std::string> command;
    const char* cause;
  };
  const Case cases[] = {
      {{"wharf-no-such-command"},
       "Function 'fn': command 'wharf-no-such-command' not found in PATH"},
      {{"/nonexistent/prog", "x"},
       "Function 'fn': cannot run '/nonexistent/prog': No such file or directory"},
      {{"NOT_EXECUTABLE"}, "Function 'fn': cannot run 'NOT_EXECUTABLE': Permission denied"},
  };
  TempDir dir;
  std::string plain = dir.Write("plain.sh", "#!/bin/sh\necho 1\n");  // mode 0644
  for (Case c : cases) {
    if (c.command[0] == "NOT_EXECUTABLE") {
      c.command[0] = plain;
      c.cause = nullptr;
    }
    std::string cause = c.cause != nullptr
                            ? c.cause
                            : "Function 'fn': cannot run '" + plain + "': Permission denied";
    FunctionSpec spec;
    spec.name = "fn";
    spec.command = c.command;
    InvocationResult r = Call(spec);
    ASSERT_FALSE(r.ok);
    EXPECT_EQ(r.error.code, "States.TaskFailed");
    EXPECT_EQ(r.error.message, cause);
  }
}

TEST(Invoke, BadWorkingDirectory) {
  FunctionSpec spec = Sh("pwd");
  spec.working_dir = "/nonexistent/dir";
  InvocationResult r = Call(spec);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, "States.TaskFailed");
  EXPECT_EQ(r.error.message,
            "Function 'fn': cannot run '/bin/sh' in '/nonexistent/dir': No such file or directory");
}

TEST(Invoke, WorkingDirectoryAndPathLookup) {
  TempDir dir;
  dir.Write("bin/myfn", "#!/bin/sh\nprintf '\"%s\"' \"$(pwd)\"\n", true);
  FunctionSpec spec;
  spec.name = "fn";
  spec.command = {"myfn"};
  spec.env["PATH"] = dir.path() + "/bin:/usr/bin:/bin";  // the function's PATH is searched
  spec.working_dir = dir.path();
  InvocationResult r = Call(spec);
  ASSERT_TRUE(r.ok) << r.error.message;
  EXPECT_EQ(r.output, Json::String(dir.path()));
}

TEST(Invoke, Environment) {
  ::setenv("WHARF_TEST_SECRET", "s3cret", 1);
  FunctionSpec spec = Sh(
      "cat >/dev/null; printf '{\"foo\":\"%s\",\"name\":\"%s\",\"arn\":\"%s\",\"attempt\":\"%s\","
      "\"deadline\":%s,\"secret\":\"%s\",\"path\":\"%s\"}' \"$FOO\" \"$WHARF_FUNCTION_NAME\" "
      "\"$WHARF_EXECUTION_ARN\" \"$WHARF_ATTEMPT_ID\" \"$WHARF_DEADLINE_MS\" "
      "\"${WHARF_TEST_SECRET-unset}\" \"$PATH\"",
      milliseconds(7000));
  spec.name = "env-fn";
  spec.env["FOO"] = "bar baz";
  auto now_ms =
      std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  InvocationResult r = Call(spec);
  ASSERT_TRUE(r.ok) << r.error.message;
  EXPECT_EQ(r.output.find("foo")->as_string(), "bar baz");
  EXPECT_EQ(r.output.find("name")->as_string(), "env-fn");
  EXPECT_EQ(r.output.find("arn")->as_string(),
            "arn:aws:states:us-east-1:111111111111:execution:m:e");
  EXPECT_EQ(r.output.find("attempt")->as_string(),
            "arn:aws:states:us-east-1:111111111111:execution:m:e/2/0");
  EXPECT_EQ(r.output.find("secret")->as_string(), "unset");  // wharf's env is not passed on
  EXPECT_EQ(r.output.find("path")->as_string(), std::string(::getenv("PATH")));
  int64_t deadline = r.output.find("deadline")->as_int();
  EXPECT_GE(deadline, now_ms + 7000);
  EXPECT_LT(deadline, now_ms + 7000 + 2000);
}

TEST(Invoke, NoDescriptorLeaksIntoTheFunction) {
  // A descriptor opened without O_CLOEXEC must not reach the child either; nor may the pipes of
  // invocations running on other threads.
  int leaky = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(leaky, 3);
  std::thread other([] { Call(Sh("sleep 0.3")); });
  std::this_thread::sleep_for(milliseconds(50));
  // The shell's open descriptors from 3 up (`test` is a builtin: /proc/self is the shell).
  InvocationResult r = Call(
      Sh("open=''; n=3; while [ $n -lt 1024 ]; do [ -e /proc/self/fd/$n ] && open=\"$open $n\";"
         " n=$((n+1)); done; printf '\"%s\"' \"$open\""));
  other.join();
  ::close(leaky);
  ASSERT_TRUE(r.ok) << r.error.message;
  EXPECT_EQ(r.output, Json::String(""));
}

TEST(Invoke, ManyConcurrentInvocations) {
  // A barrier proves that all 50 run at the same time, without depending on the machine's
  // speed: each function leaves a marker, then waits on a FIFO that the test opens only when
  // all 50 markers exist.
  constexpr int kThreads = 50;
  TempDir dir;
  std::string go = dir.path() + "/go";
  ASSERT_EQ(::mkfifo(go.c_str(), 0600), 0);
  FunctionSpec spec = Sh(": > \"$DIR/m.$$\"; : < \"$DIR/go\"; cat", milliseconds(60'000));
  spec.env["DIR"] = dir.path();
  std::vector<InvocationResult> results(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      results[i] = Call(spec, Json::Object({{"i", Json::Int(i)},
                                            {"pad", Json::String(std::string(100000, 'p'))}}));
    });
  }
  auto markers = [&] {
    int n = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
      n += entry.path().filename().string().rfind("m.", 0) == 0;
    return n;
  };
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (markers() < kThreads && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(milliseconds(5));
  EXPECT_EQ(markers(), kThreads);
  int release = ::open(go.c_str(), O_RDWR | O_CLOEXEC);  // a writer: every reader may go on
  ASSERT_GE(release, 0);
  for (auto& t : threads) t.join();
  ::close(release);
  for (int i = 0; i < kThreads; ++i) {
    ASSERT_TRUE(results[i].ok) << i << ": " << results[i].error.message;
    EXPECT_EQ(results[i].output.find("i")->as_int(), i);  // each got its own result back
    EXPECT_EQ(results[i].output.find("pad")->as_string().size(), 100000u);
  }
}

// ---- The functions file ----

TEST(ParseFunctions, ReadsEveryField) {
  auto fns = ParseFunctions(J(R"({
      "pre": {"command": ["node", "pre.js"], "timeout": 30, "env": {"MODE": "demo"}},
      "fast": {"command": ["./bin/fast"], "timeout": 0.25, "cwd": "work"},
      "plain": {"command": ["/bin/true"]}})"),
                            "functions.json", "/srv/project");
  ASSERT_TRUE(fns.ok()) << fns.error().message;
  ASSERT_EQ(fns->size(), 3u);
  const FunctionSpec& pre = fns->at("pre");
  EXPECT_EQ(pre.name, "pre");
  EXPECT_EQ(pre.command, (std::vector<std::string>{"node", "pre.js"}));
  EXPECT_EQ(pre.timeout, milliseconds(30'000));
  EXPECT_EQ(pre.env.at("MODE"), "demo");
  EXPECT_EQ(pre.working_dir, "/srv/project");  // default: the file's folder
  const FunctionSpec& fast = fns->at("fast");
  EXPECT_EQ(fast.command, (std::vector<std::string>{"/srv/project/bin/fast"}));
  EXPECT_EQ(fast.timeout, milliseconds(250));
  EXPECT_EQ(fast.working_dir, "/srv/project/work");
  EXPECT_EQ(fns->at("plain").timeout, milliseconds(900'000));

  // Without a base folder, paths stay as written and the working directory is inherited.
  auto bare = ParseFunctions(J(R"({"f": {"command": ["./x"], "cwd": "w"}})"), "inline");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->at("f").command[0], "./x");
  EXPECT_EQ(bare->at("f").working_dir, "w");
}

TEST(ParseFunctions, ErrorsNameTheFileTheFunctionAndTheField) {
  struct Case {
    const char* doc;
    const char* message;
  };
  const Case cases[] = {
      {R"([])", "f.json: must be an object that maps function names to definitions, got array"},
      {R"({"a": 1})", "f.json: function 'a': must be an object, got integer"},
      {R"({"a": {}})", "f.json: function 'a': field 'command': is required"},
      {R"({"a": {"command": []}})",
       "f.json: function 'a': field 'command': must be a non-empty array of strings (the argv)"},
      {R"({"a": {"command": "ls"}})",
       "f.json: function 'a': field 'command': must be a non-empty array of strings (the argv)"},
      {R"({"a": {"command": ["ls", 1]}})",
       "f.json: function 'a': field 'command': element 1 must be a string, got integer"},
      {R"({"a": {"command": [""]}})",
       "f.json: function 'a': field 'command': the program (element 0) is empty"},
      {R"({"a": {"command": ["l\u0000s"]}})",
       "f.json: function 'a': field 'command': element 0 contains a NUL character"},
      {R"({"a": {"command": ["ls"], "timeout": 0}})",
       "f.json: function 'a': field 'timeout': must be a number of seconds greater than 0 and at "
       "most 31536000, got 0"},
      {R"({"a": {"command": ["ls"], "timeout": -5}})",
       "f.json: function 'a': field 'timeout': must be a number of seconds greater than 0 and at "
       "most 31536000, got -5"},
      {R"({"a": {"command": ["ls"], "timeout": "30"}})",
       "f.json: function 'a': field 'timeout': must be a number of seconds greater than 0 and at "
       "most 31536000, got \"30\""},
      {R"({"a": {"command": ["ls"], "timeout": 40000000}})",
       "f.json: function 'a': field 'timeout': must be a number of seconds greater than 0 and at "
       "most 31536000, got 40000000"},
      {R"({"a": {"command": ["ls"], "env": []}})",
       "f.json: function 'a': field 'env': must be an object of strings"},
      {R"({"a": {"command": ["ls"], "env": {"N": 1}}})",
       "f.json: function 'a': field 'env': N must be a string, got integer"},
      {R"({"a": {"command": ["ls"], "env": {"A=B": "x"}}})",
       "f.json: function 'a': field 'env': the name 'A=B' is not a valid variable name"},
      {R"({"a": {"command": ["ls"], "env": {"WHARF_DEADLINE_MS": "1"}}})",
       "f.json: function 'a': field 'env': WHARF_DEADLINE_MS is set by wharf"},
      {R"({"a": {"command": ["ls"], "cwd": 3}})",
       "f.json: function 'a': field 'cwd': must be a non-empty string (a folder)"},
      {R"({"a": {"command": ["ls"], "cmd": ["ls"]}})",
       "f.json: function 'a': unknown field 'cmd' (expected command, timeout, env, cwd)"},
      {R"({"": {"command": ["ls"]}})", "f.json: a function name is empty"},
  };
  for (const Case& c : cases) {
    auto r = ParseFunctions(J(c.doc), "f.json", "/base");
    ASSERT_FALSE(r.ok()) << c.doc;
    EXPECT_EQ(r.error().code, "InvalidFunctions") << c.doc;
    EXPECT_EQ(r.error().message, c.message) << c.doc;
  }
}

TEST(LoadFunctions, ResolvesAgainstTheFilesFolderAndRuns) {
  TempDir dir;
  dir.Write("fns/bin/double.sh", "#!/bin/sh\nread n; echo $((n * 2)); pwd >&2\n", true);
  std::filesystem::create_directories(dir.path() + "/fns/data");
  std::string file = dir.Write("fns/functions.json", R"({
      "double": {"command": ["bin/double.sh"], "cwd": "data", "timeout": 2},
      "where": {"command": ["sh", "-c", "printf '\"%s\"' \"$(pwd)\""]}})");
  auto fns = LoadFunctions(file);
  ASSERT_TRUE(fns.ok()) << fns.error().message;
  const FunctionSpec& dbl = fns->at("double");
  EXPECT_EQ(dbl.command[0], dir.path() + "/fns/bin/double.sh");
  EXPECT_EQ(dbl.working_dir, dir.path() + "/fns/data");
  EXPECT_EQ(dbl.timeout, milliseconds(2000));
  InvocationResult r = Call(dbl, Json::Int(21));
  ASSERT_TRUE(r.ok) << r.error.message;
  EXPECT_EQ(r.output, Json::Int(42));
  EXPECT_EQ(r.log, dir.path() + "/fns/data\n");
  r = Call(fns->at("where"));
  ASSERT_TRUE(r.ok) << r.error.message;
  EXPECT_EQ(r.output, Json::String(dir.path() + "/fns"));
}

TEST(LoadFunctions, FileErrors) {
  TempDir dir;
  auto missing = LoadFunctions(dir.path() + "/none.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "Io");
  EXPECT_EQ(missing.error().message,
            dir.path() + "/none.json: cannot read: No such file or directory");

  auto folder = LoadFunctions(dir.path());
  ASSERT_FALSE(folder.ok());
  EXPECT_EQ(folder.error().message, dir.path() + ": cannot read: it is a directory");

  std::string bad = dir.Write("bad.json", "{\n  \"a\": {\"command\": [\"ls\"],}\n}");
  auto parsed = LoadFunctions(bad);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code, "InvalidFunctions");
  EXPECT_EQ(parsed.error().message.rfind(bad + ": invalid JSON at line 2", 0), 0u)
      << parsed.error().message;

  std::string wrong = dir.Write("wrong.json", R"({"a": {"command": ["ls"], "timeout": false}})");
  auto field = LoadFunctions(wrong);
  ASSERT_FALSE(field.ok());
  EXPECT_EQ(field.error().message.rfind(wrong + ": function 'a': field 'timeout': ", 0), 0u)
      << field.error().message;
}

}  // namespace
}  // namespace wharf::tasks
