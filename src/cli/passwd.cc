// `wharf passwd`: reads a password (from the terminal without echo, asked twice; or one line from
// a pipe) and prints its yescrypt hash (ingest/passwords.h), or checks one against a hash.
#include "cli/passwd.h"

#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "cli/common.h"
#include "core/project.h"
#include "ingest/passwords.h"

namespace wharf::cli {

const char kPasswdHelp[] = R"(wharf passwd [--verify HASH]

Reads a password and prints its hash (yescrypt, at libcrypt's default cost) for the project file:

  users:
    alice:
      password_hash: '$y$j9T$...'

On a terminal it asks for the password twice, without echo. Otherwise it reads one line from
stdin, so a script can pipe it in: printf '%s' "$PASSWORD" | wharf passwd
The password is never printed, and the hash is different each time (a fresh random salt).

Options:
  --verify HASH   Read the password once and check it against HASH (any hash the project file
                  accepts): prints "match" and exits 0, or "no match" and exits 1.

Exit codes: 0 done; 1 no match (--verify); 2 bad input (an empty password, two that differ, more
than one line on stdin, a password over 511 bytes).
)";

namespace {

constexpr size_t kMaxInput = 64 * 1024;

// The terminal's settings while echo is off, restored on exit and on the signals that end or stop
// the process, so that an interrupted prompt does not leave the terminal silent.
struct termios saved_termios;
volatile sig_atomic_t echo_off = 0;

void RestoreTerminal() {
  if (echo_off) tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
  echo_off = 0;
}

void OnSignal(int sig) {
  RestoreTerminal();  // tcsetattr is async-signal-safe
  signal(sig, SIG_DFL);
  raise(sig);
}

// Reads one line from the terminal without echo; false on end of input.
bool ReadHidden(const char* prompt, std::string& out) {
  std::fputs(prompt, stderr);
  std::fflush(stderr);
  if (tcgetattr(STDIN_FILENO, &saved_termios) == 0) {
    struct termios quiet = saved_termios;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP}) signal(sig, OnSignal);
    echo_off = 1;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  out.clear();
  bool got_line = false;
  char c;
  while (out.size() <= kMaxInput) {
    ssize_t n = read(STDIN_FILENO, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (c == '\n') {
      got_line = true;
      break;
    }
    out.push_back(c);
  }
  RestoreTerminal();
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP}) signal(sig, SIG_DFL);
  if (!got_line) std::fputc('\n', stderr);
  if (!out.empty() && out.back() == '\r') out.pop_back();
  return got_line || !out.empty();
}

// The password from the terminal (twice) or from stdin (one line). "" with `error` set on failure.
std::string ReadPassword(bool confirm, std::string& error) {
  std::string password;
  if (isatty(STDIN_FILENO)) {
    if (!ReadHidden("Password: ", password)) {
      error = "no password given";
      return "";
    }
    if (confirm) {
      std::string again;
      if (!ReadHidden("Again: ", again) || again != password) {
        explicit_bzero(again.data(), again.size());
        explicit_bzero(password.data(), password.size());
        error = "the two passwords differ; nothing was printed";
        return "";
      }
      explicit_bzero(again.data(), again.size());
    }
  } else {
    char buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, stdin)) > 0 && password.size() <= kMaxInput)
      password.append(buffer, n);
    explicit_bzero(buffer, sizeof buffer);
    if (std::ferror(stdin)) {
      error = std::string("cannot read stdin: ") + std::strerror(errno);
      return "";
    }
    // One line: its end of line (\n or \r\n) is not part of the password.
    if (!password.empty() && password.back() == '\n') password.pop_back();
    if (!password.empty() && password.back() == '\r') password.pop_back();
    if (password.find('\n') != std::string::npos) {
      explicit_bzero(password.data(), password.size());
      error = "stdin holds more than one line; give the password alone";
      return "";
    }
  }
  if (password.empty()) error = "the password is empty";
  return password;
}

}  // namespace

int PasswdCommand(const std::vector<std::string>& args) {
  std::string verify;
  bool verifying = false;
  ArgCursor arg(args);
  while (arg.Next()) {
    if (arg.Is("--verify")) {
      if (!arg.Value(verify)) return Fail("--verify needs the hash to check");
      verifying = true;
    } else {
      return Fail("unexpected argument " + arg.Current() + " (see `wharf help passwd`)");
    }
  }
  if (verifying) {
    // The hash is checked first, so that a typo in it is not reported as a wrong password.
    if (auto problem = PasswordHashProblem(verify)) return Fail("--verify: the hash " + *problem);
    if (Status supported = ingest::CheckHashSupported(verify); !supported.ok())
      return Fail("--verify: " + supported.error().message);
  }
  std::string error;
  std::string password = ReadPassword(!verifying, error);
  if (!error.empty()) return Fail(error);
  int code = 0;
  if (verifying) {
    bool match = ingest::VerifyPassword(password, verify);
    std::puts(match ? "match" : "no match");
    code = match ? 0 : 1;
  } else {
    auto hash = ingest::HashPassword(password);
    if (!hash.ok()) {
      code = Fail(hash.error().message);
    } else {
      std::puts(hash->c_str());
    }
  }
  explicit_bzero(password.data(), password.size());
  return code;
}

}  // namespace wharf::cli
