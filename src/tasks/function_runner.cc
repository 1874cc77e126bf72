// Runs functions as child processes; see function_runner.h for the contract.
#include "tasks/function_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <utility>

namespace wharf::tasks {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kTaskFailed = "States.TaskFailed";
constexpr const char* kTimeout = "States.Timeout";

// ---- Small helpers ----

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string SystemError(int err) { return std::strerror(err); }

// Replaces invalid UTF-8 sequences with U+FFFD, so a cause is always a valid JSON string.
std::string ValidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool valid = len != 0 && i + len <= s.size();
    uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
    for (size_t k = 1; valid && k < len; ++k) {
      unsigned char d = static_cast<unsigned char>(s[i + k]);
      valid = (d & 0xC0) == 0x80;
      cp = (cp << 6) | (d & 0x3F);
    }
    // Reject overlong forms, surrogates and code points past U+10FFFF.
    if (valid && ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
                  (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF)))
      valid = false;
    if (valid) {
      out.append(s.data() + i, len);
      i += len;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  return out;
}

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string_view Trim(std::string_view s) {
  s = TrimRight(s);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  return s;
}

// The end of a log, for a cause: at most `max` bytes, starting at a line when a line break is
// in the first half of the window, and never inside a UTF-8 sequence.
std::string Tail(std::string_view log, size_t max) {
  log = TrimRight(log);
  if (log.size() > max) {
    std::string_view tail = log.substr(log.size() - max);
    size_t nl = tail.find('\n');
    if (nl != std::string_view::npos && nl < max / 2) {
      tail.remove_prefix(nl + 1);
    } else {
      while (!tail.empty() && (static_cast<unsigned char>(tail.front()) & 0xC0) == 0x80)
        tail.remove_prefix(1);
    }
    log = tail;
  }
  return ValidUtf8(log);
}

// "3", "0.25": a duration in seconds as people write it.
std::string Seconds(milliseconds ms) {
  std::string s = std::to_string(ms.count() / 1000);
  if (int64_t frac = ms.count() % 1000; frac != 0) {
    char buf[8];
    std::snprintf(buf, sizeof buf, ".%03d", static_cast<int>(frac));
    std::string f = buf;
    while (f.back() == '0') f.pop_back();
    s += f;
  }
  return s + (ms == milliseconds(1000) ? " second" : " seconds");
}

std::string SignalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev != nullptr ? std::string("SIG") + abbrev : "an unknown signal";
}

// ---- The function error object ----

void AppendPythonString(std::string& out, std::string_view s) {
  // json.dumps with ensure_ascii: every character outside ' '..'~' is escaped, lowercase hex.
  static const char* kHex = "0123456789abcdef";
  auto u = [&](uint32_t unit) {
    out.append("\\u");
    for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kHex[(unit >> shift) & 15]);
  };
  std::string valid = ValidUtf8(s);
  out.push_back('"');
  for (size_t i = 0; i < valid.size();) {
    unsigned char c = static_cast<unsigned char>(valid[i]);
    if (c < 0x80) {
      ++i;
      switch (c) {
        case '"':
          out.append("\\\"");
          continue;
        case '\\':
          out.append("\\\\");
          continue;
        case '\n':
          out.append("\\n");
          continue;
        case '\r':
          out.append("\\r");
          continue;
        case '\t':
          out.append("\\t");
          continue;
        case '\b':
          out.append("\\b");
          continue;
        case '\f':
          out.append("\\f");
          continue;
        default:
          if (c < 0x20 || c == 0x7F)
            u(c);
          else
            out.push_back(static_cast<char>(c));
          continue;
      }
    }
    size_t len = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
    uint32_t cp = len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
    for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (valid[i + k] & 0x3F);
    i += len;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      u(0xD800 + (cp >> 10));
      u(0xDC00 + (cp & 0x3FF));
    } else {
      u(cp);
    }
  }
  out.push_back('"');
}

void AppendPython(std::string& out, const Json& j) {
  switch (j.kind()) {
    case Json::Kind::kString:
      AppendPythonString(out, j.as_string());
      return;
    case Json::Kind::kArray: {
      out.push_back('[');
      bool first = true;
      for (const Json& item : j.as_array()) {
        if (!first) out.append(", ");
        first = false;
        AppendPython(out, item);
      }
      out.push_back(']');
      return;
    }
    case Json::Kind::kObject: {
      out.push_back('{');
      bool first = true;
      for (const auto& [key, value] : j.as_object()) {
        if (!first) out.append(", ");
        first = false;
        AppendPythonString(out, key);
        out.append(": ");
        AppendPython(out, value);
      }
      out.push_back('}');
      return;
    }
    default:
      j.DumpTo(out);
      return;
  }
}

// Lambda's error shape: errorMessage, errorType, then the rest (requestId, stackTrace, ...).
Json LambdaShape(const Json& error_object) {
  std::vector<JsonMember> members;
  const Json* message = error_object.find("errorMessage");
  members.emplace_back("errorMessage", message != nullptr ? *message : Json::String(""));
  members.emplace_back("errorType", *error_object.find("errorType"));
  for (const auto& [key, value] : error_object.as_object()) {
    if (key != "errorMessage" && key != "errorType") members.emplace_back(key, value);
  }
  return Json::Object(std::move(members));
}

// An object with a non-empty string "errorType", else null.
Json AsErrorObject(std::string_view text) {
  text = Trim(text);
  if (text.empty() || text.front() != '{') return Json();
  auto parsed = Json::Parse(text);
  if (!parsed.ok() || !parsed->is_object()) return Json();
  const Json* type = parsed->find("errorType");
  if (type == nullptr || !type->is_string() || type->as_string().empty()) return Json();
  return LambdaShape(*parsed);
}

// Lambda's contract: the last non-empty stdout line; we also accept the whole of stdout.
Json FindErrorObject(std::string_view out) {
  std::string_view rest = TrimRight(out);
  size_t nl = rest.rfind('\n');
  std::string_view last = nl == std::string_view::npos ? rest : rest.substr(nl + 1);
  Json error = AsErrorObject(last);
  if (error.is_null() && nl != std::string_view::npos) error = AsErrorObject(rest);
  return error;
}

// ---- Process plumbing ----

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      Close();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  ~Fd() { Close(); }
  int get() const { return fd_; }
  bool open() const { return fd_ >= 0; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// Both ends close-on-exec, so a child spawned by another thread never holds them.
bool MakePipe(Fd& read_end, Fd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  read_end = Fd(fds[0]);
  write_end = Fd(fds[1]);
  return true;
}

void SetNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Blocks SIGPIPE in the calling thread while it writes to a child's stdin, so a child that
// exits early yields EPIPE instead of killing wharf; a SIGPIPE raised meanwhile is consumed.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeBlock() {
    if (sigismember(&old_, SIGPIPE)) return;  // it was blocked before us: not ours to consume
    sigset_t pending;
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE)) {
      timespec zero{};
      sigtimedwait(&pipe_, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t pipe_;
  sigset_t old_;
};

// What functions inherit from wharf, read once (getenv is not safe against a concurrent setenv).
const std::vector<std::pair<std::string, std::string>>& InheritedEnv() {
  static const auto* env = [] {
    auto* v = new std::vector<std::pair<std::string, std::string>>;
    for (const char* name : {"PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR"}) {
      if (const char* value = std::getenv(name)) v->emplace_back(name, value);
    }
    return v;
  }();
  return *env;
}

// The executable for command[0]: as given when it has a '/', else the first executable regular
// file of that name in `path`. Empty when none.
std::string ResolveCommand(const std::string& command, const std::string& path,
                           const std::string& working_dir) {
  if (command.find('/') != std::string::npos) return command;
  std::string_view dirs = path;
  while (true) {
    size_t colon = dirs.find(':');
    std::string dir(dirs.substr(0, colon));
    if (dir.empty()) dir = ".";  // POSIX: an empty PATH entry is the current directory
    if (dir.front() != '/' && !working_dir.empty()) dir = working_dir + "/" + dir;
    std::string candidate = dir + "/" + command;
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
    if (colon == std::string_view::npos) return "";
    dirs.remove_prefix(colon + 1);
  }
}

int PidfdOpen(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

// True when the child has exited (without reaping it: its pid, which is also its process group
// id, stays reserved until waitpid, so killing the group is never aimed at a stranger).
bool HasExited(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == pid;
}

int Reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

InvocationResult Failure(const char* code, std::string cause) {
  InvocationResult r;
  r.error = MakeError(code, std::move(cause));
  return r;
}

constexpr size_t kDefaultPipeBytes = 64 * 1024;  // Linux's pipe capacity

struct Spawned {
  pid_t pid = -1;
  Fd in, out, err;  // the parent's ends
};

// Starts the child in its own process group. Returns the system error on failure.
Result<Spawned> Spawn(const std::string& executable, const std::vector<std::string>& argv,
                      const std::vector<std::string>& envs, const std::string& working_dir) {
  Fd in_r, in_w, out_r, out_w, err_r, err_w;
  if (!MakePipe(in_r, in_w) || !MakePipe(out_r, out_w) || !MakePipe(err_r, err_w))
    return MakeError("Spawn", "cannot create pipes: " + SystemError(errno));

  std::vector<char*> cargv, cenv;
  for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (const std::string& e : envs) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_r.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, out_w.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_w.get(), 2);
  if (!working_dir.empty()) posix_spawn_file_actions_addchdir_np(&actions, working_dir.c_str());
  // Nothing of wharf's leaks into a function, even a descriptor opened without O_CLOEXEC.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);  // a new process group led by the child
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);  // an ignored SIGPIPE is not inherited

  Spawned s;
  int rc = posix_spawn(&s.pid, executable.c_str(), &actions, &attr, cargv.data(), cenv.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return MakeError("Spawn", SystemError(rc));
  s.in = std::move(in_w);
  s.out = std::move(out_r);
  s.err = std::move(err_r);
  SetNonBlocking(s.in.get());
  SetNonBlocking(s.out.get());
  SetNonBlocking(s.err.get());
  return s;
}

// Keeps the end of the log: once it doubles past the cap, drops all but the last kMaxLogBytes.
struct LogBuffer {
  std::string text;
  size_t dropped = 0;
  void Trim() {
    if (text.size() <= 2 * kMaxLogBytes) return;
    size_t cut = text.size() - kMaxLogBytes;
    text.erase(0, cut);
    dropped += cut;
  }
  std::string Take() {
    if (text.size() > kMaxLogBytes) {
      dropped += text.size() - kMaxLogBytes;
      text.erase(0, text.size() - kMaxLogBytes);
    }
    if (dropped == 0) return std::move(text);
    return "[wharf: " + std::to_string(dropped) + " earlier bytes of log dropped]\n" + text;
  }
};

// Reads what is available; false at end of file or on an error.
bool ReadSome(int fd, std::string& into) {
  constexpr size_t kChunk = 64 * 1024;
  while (true) {
    size_t old = into.size();
    into.resize(old + kChunk);
    ssize_t n = ::read(fd, into.data() + old, kChunk);
    into.resize(old + (n > 0 ? static_cast<size_t>(n) : 0));
    if (n > 0) {
      if (static_cast<size_t>(n) < kChunk) return true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && errno == EAGAIN;
  }
}

enum class Ending { kExited, kTimedOut, kOutputTooLarge };

// Feeds stdin and drains stdout/stderr until the child has exited and its pipes are closed, or
// the deadline passes. Kills the process group when the child exits, times out or floods stdout.
Ending Communicate(Spawned& child, const std::string& input, Clock::time_point deadline,
                   size_t max_output, std::string& out, LogBuffer& log) {
  Fd pidfd(PidfdOpen(child.pid));
  size_t written = 0;
  bool exited = false;
  if (input.empty()) child.in.Close();
  SigpipeBlock no_sigpipe;
  while (child.out.open() || child.err.open() || !exited) {
    Clock::time_point now = Clock::now();
    if (now >= deadline) break;
    std::array<pollfd, 4> fds{};
    size_t n = 0;
    auto add = [&](const Fd& fd, short events) -> int {
      if (!fd.open()) return -1;
      fds[n] = pollfd{fd.get(), events, 0};
      return static_cast<int>(n++);
    };
    int i_in = add(child.in, POLLOUT);
    int i_out = add(child.out, POLLIN);
    int i_err = add(child.err, POLLIN);
    int i_pid = exited ? -1 : add(pidfd, POLLIN);
    auto left = std::chrono::ceil<milliseconds>(deadline - now).count();
    // Without a pidfd, the exit is noticed by polling waitid.
    if (!exited && !pidfd.open()) left = std::min<int64_t>(left, 10);
    int ready = ::poll(fds.data(), n, static_cast<int>(std::min<int64_t>(left, 60'000)));
    if (ready < 0 && errno != EINTR) break;  // cannot happen with valid descriptors; end it
    auto has = [&](int i, short what) { return i >= 0 && (fds[i].revents & what) != 0; };

    if (has(i_in, POLLOUT | POLLERR | POLLHUP)) {
      while (written < input.size()) {
        size_t chunk = std::min<size_t>(input.size() - written, 1 << 20);
        ssize_t w = ::write(child.in.get(), input.data() + written, chunk);
        if (w > 0) {
          written += static_cast<size_t>(w);
        } else if (w < 0 && errno == EINTR) {
          continue;
        } else {
          if (w < 0 && errno != EAGAIN) written = input.size();  // EPIPE: the child is not reading
          break;
        }
      }
      if (written >= input.size()) child.in.Close();
    }
    if (has(i_out, POLLIN | POLLERR | POLLHUP)) {
      if (!ReadSome(child.out.get(), out)) child.out.Close();
      if (out.size() > max_output) {
        if (!exited) ::kill(-child.pid, SIGKILL);
        return Ending::kOutputTooLarge;
      }
    }
    if (has(i_err, POLLIN | POLLERR | POLLHUP)) {
      if (!ReadSome(child.err.get(), log.text)) child.err.Close();
      log.Trim();
    }
    if (!exited && (has(i_pid, POLLIN) || (!pidfd.open() && HasExited(child.pid)))) {
      // The main process returned: the invocation is over. What it left behind in its group
      // is killed, and the pipes are drained for a short grace.
      exited = true;
      ::kill(-child.pid, SIGKILL);
      child.in.Close();
      deadline = std::min(deadline, Clock::now() + kDrainGrace);
    }
  }
  if (exited) return Ending::kExited;
  ::kill(-child.pid, SIGKILL);
  return Ending::kTimedOut;
}

InvocationResult Interpret(const FunctionSpec& spec, const Invocation& invocation, int status,
                           const std::string& out, std::string_view log) {
  InvocationResult r;
  const std::string name = "Function " + Quote(spec.name);
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    r.exit_code = -sig;
    std::string cause =
        name + " was killed by signal " + std::to_string(sig) + " (" + SignalName(sig) + ").";
    std::string tail = Tail(log, kCauseTailBytes);
    if (!tail.empty()) cause += "\n" + tail;
    r.error = MakeError(kTaskFailed, std::move(cause));
    return r;
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (r.exit_code == 0) {
    std::string_view text = Trim(out);
    if (text.empty()) {
      r.ok = true;  // no output: the result is null
      return r;
    }
    auto parsed = Json::Parse(text);
    if (!parsed.ok()) {
      r.error = MakeError(kTaskFailed, name + " exited with status 0 but its stdout is not JSON (" +
                                           parsed.error().message +
                                           "); stdout begins: " + Tail(text.substr(0, 200), 200));
      return r;
    }
    r.ok = true;
    r.output = std::move(*parsed);
    return r;
  }
  // Lambda's function error: a last stdout line {"errorType": ..., "errorMessage": ...}.
  r.error_object = FindErrorObject(out);
  if (!r.error_object.is_null()) {
    r.error = MakeError(r.error_object.find("errorType")->as_string(),
                        LambdaErrorCause(r.error_object, invocation.cause_format));
    return r;
  }
  std::string tail = Tail(log, kCauseTailBytes);
  if (tail.empty()) tail = name + " exited with status " + std::to_string(r.exit_code) + ".";
  r.error = MakeError(kTaskFailed, std::move(tail));
  return r;
}

}  // namespace

std::string LambdaErrorCause(const Json& error_object, CauseFormat format) {
  Json shaped = LambdaShape(error_object);
  if (format == CauseFormat::kCompact) return shaped.Dump();
  std::string out;
  AppendPython(out, shaped);
  return out;
}

InvocationResult Invoke(const FunctionSpec& spec, const Invocation& invocation) {
  Clock::time_point start = Clock::now();
  milliseconds timeout = spec.timeout;
  if (invocation.timeout && invocation.timeout->count() > 0)
    timeout = std::min(timeout, *invocation.timeout);
  const std::string name = "Function " + Quote(spec.name);
  auto finish = [&](InvocationResult r) {
    r.duration = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
    return r;
  };
  if (spec.command.empty()) return finish(Failure(kTaskFailed, name + " has no command."));

  // Environment: a few of wharf's variables, then the function's, then the WHARF_* ones.
  std::map<std::string, std::string> env(InheritedEnv().begin(), InheritedEnv().end());
  for (const auto& [k, v] : spec.env) env[k] = v;
  auto deadline_ms = std::chrono::duration_cast<milliseconds>(
                         (std::chrono::system_clock::now() + timeout).time_since_epoch())
                         .count();
  env["WHARF_FUNCTION_NAME"] = spec.name;
  env["WHARF_EXECUTION_ARN"] = invocation.execution_arn;
  env["WHARF_DEADLINE_MS"] = std::to_string(deadline_ms);
  env["WHARF_ATTEMPT_ID"] = invocation.attempt_id;
  env["WHARF_ATTEMPT_NUMBER"] = std::to_string(invocation.attempt_number);
  std::vector<std::string> envs;
  envs.reserve(env.size());
  for (const auto& [k, v] : env) envs.push_back(k + "=" + v);

  auto path = env.find("PATH");
  std::string executable = ResolveCommand(
      spec.command[0], path != env.end() ? path->second : "/usr/bin:/bin", spec.working_dir);
  if (executable.empty())
    return finish(
        Failure(kTaskFailed, name + ": command " + Quote(spec.command[0]) + " not found in PATH"));

  std::string input = invocation.payload.Dump();
  auto spawned = Spawn(executable, spec.command, envs, spec.working_dir);
  if (!spawned.ok()) {
    std::string cause = name + ": cannot run " + Quote(spec.command[0]);
    if (!spec.working_dir.empty()) cause += " in " + Quote(spec.working_dir);
    return finish(Failure(kTaskFailed, cause + ": " + spawned.error().message));
  }
  Spawned& child = *spawned;
  if (invocation.registry) invocation.registry->Add(child.pid);

  std::string out;
  // Many functions answer with a document the size of their event: room for it up front spares
  // the copies of a growing buffer (untouched capacity costs no memory).
  if (input.size() > kDefaultPipeBytes)
    out.reserve(std::min(input.size() + 4096, spec.max_output_bytes + 1));
  LogBuffer log;
  Ending ending = Communicate(child, input, start + timeout, spec.max_output_bytes, out, log);
  child.in.Close();
  child.out.Close();
  child.err.Close();
  int status = Reap(child.pid);
  if (invocation.registry) invocation.registry->Remove(child.pid);

  InvocationResult r;
  if (ending == Ending::kTimedOut) {
    r = Failure(kTimeout, name + " timed out after " + Seconds(timeout) + ".");
    r.exit_code = WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status);
  } else if (ending == Ending::kOutputTooLarge) {
    size_t max = spec.max_output_bytes;
    std::string amount =
        max % (1 << 20) == 0 ? std::to_string(max >> 20) + " MiB" : std::to_string(max) + " bytes";
    r = Failure(kTaskFailed, name + " wrote more than " + amount + " on stdout and was killed.");
    r.exit_code = WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status);
  } else {
    r = Interpret(spec, invocation, status, out, log.text);
  }
  r.log = log.Take();
  return finish(std::move(r));
}

}  // namespace wharf::tasks
