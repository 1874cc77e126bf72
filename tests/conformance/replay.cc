// conformance_replay: runs every AWS-recorded case of ../shared/conformance/aws-recorded through
// wharf's engine and compares status, output, error, cause and history with what AWS recorded.
// See docs/conformance.md for how it works and how to run one case.
//
//   conformance_replay [--root DIR] [--case NAME] [--area NAME] [--min-pass 0.95]
//                      [--results FILE] [--timeout SECONDS] [--no-fork] [--all]
//                      [--update-doc docs/conformance.md]
//
// Each case runs in a forked child process (unless --no-fork), so that a crash or a hang of the
// engine fails that case only; the child reports its verdict as JSON through a pipe.
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "asl/definition.h"
#include "conformance/cases.h"
#include "conformance/compare.h"
#include "core/clock.h"
#include "engine/run.h"

#ifndef WHARF_CONFORMANCE_DIR
#define WHARF_CONFORMANCE_DIR "../shared/conformance/aws-recorded"
#endif

namespace wharf::conformance {
namespace {

struct Options {
  std::string root;
  std::string case_name;
  std::string area;
  std::optional<double> min_pass;
  std::string results_path;
  int timeout_seconds = 120;
  bool fork = true;
  bool all = false;        // also run cases whose needs the replay cannot provide
  std::string update_doc;  // a Markdown file whose generated section is rewritten
};

void Usage() {
  std::cerr << "usage: conformance_replay [--root DIR] [--case NAME] [--area NAME] "
               "[--min-pass FRACTION] [--results FILE] [--timeout SECONDS] [--no-fork] [--all] "
               "[--update-doc FILE]\n";
}

bool ParseArgs(int argc, char** argv, Options& o) {
  const char* env_root = std::getenv("WHARF_CONFORMANCE_DIR");
  o.root = env_root != nullptr ? env_root : WHARF_CONFORMANCE_DIR;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    std::string v;
    if (a == "--root") {
      if (!value(o.root)) return false;
    } else if (a == "--case") {
      if (!value(o.case_name)) return false;
    } else if (a == "--area") {
      if (!value(o.area)) return false;
    } else if (a == "--results") {
      if (!value(o.results_path)) return false;
    } else if (a == "--min-pass") {
      if (!value(v)) return false;
      o.min_pass = std::atof(v.c_str());
    } else if (a == "--timeout") {
      if (!value(v)) return false;
      o.timeout_seconds = std::max(1, std::atoi(v.c_str()));
    } else if (a == "--update-doc") {
      if (!value(o.update_doc)) return false;
    } else if (a == "--no-fork") {
      o.fork = false;
    } else if (a == "--all") {
      o.all = true;
    } else {
      return false;
    }
  }
  return true;
}

bool Flag(const Json& obj, std::string_view key) {
  const Json* v = obj.find(key);
  return v != nullptr && v->is_bool() && v->as_bool();
}

std::string Str(const Json* v) {
  if (v == nullptr) return "";
  return v->is_string() ? v->as_string() : v->Dump();
}

std::string Clip(std::string s, size_t n = 160) {
  if (s.size() > n) s = s.substr(0, n - 3) + "...";
  return s;
}

// A verdict: category of the first difference ("" when the case passed) and every difference.
struct Verdict {
  std::string category;
  std::vector<std::pair<std::string, std::string>> diffs;  // (category, text)
  std::string states_note;       // a difference of `states` where it does not decide the verdict
  std::string number_form_note;  // an output equal in value but not in form (1 vs 1.0)

  void Add(const std::string& cat, const std::string& text) {
    if (category.empty()) category = cat;
    diffs.emplace_back(cat, text);
  }
  Json ToJson() const {
    JsonArray d;
    for (const auto& [c, t] : diffs) {
      d.push_back(Json::Object({{"category", Json::String(c)}, {"text", Json::String(t)}}));
    }
    std::vector<JsonMember> m = {{"category", Json::String(category)},
                                 {"diffs", Json::Array(std::move(d))}};
    if (!states_note.empty()) m.emplace_back("states_note", Json::String(states_note));
    if (!number_form_note.empty()) {
      m.emplace_back("number_form_note", Json::String(number_form_note));
    }
    return Json::Object(std::move(m));
  }
};

void PrintVerbose(const Case& c, const engine::RunResult& r, const std::vector<Json>& events,
                  const Json& actual_output) {
  const Json& e = c.expected;
  std::cout << "== " << c.entry.name << " (" << c.dir << ")\n";
  std::cout << "status   expected " << Str(e.find("status")) << ", got "
            << engine::ExecutionStatusName(r.status) << "\n";
  if (const Json* out = e.find("output")) {
    std::cout << "-- expected output:\n" << out->Pretty() << "\n";
  }
  if (r.status == engine::ExecutionStatus::kSucceeded) {
    std::cout << "-- actual output (normalised):\n" << actual_output.Pretty() << "\n";
  }
  std::cout << "error    expected " << (e.find("error") ? Str(e.find("error")) : "(none)")
            << ", got " << (r.error ? *r.error : "(none)") << "\n";
  std::cout << "cause    expected " << (e.find("cause") ? Str(e.find("cause")) : "(none)")
            << "\n         got      " << (r.cause ? *r.cause : "(none)") << "\n";
  std::vector<std::string> want;
  if (const Json* h = e.find("history"); h != nullptr && h->is_array()) {
    for (const Json& t : h->as_array()) want.push_back(Str(&t));
  }
  std::vector<std::string> got = HistoryTypes(events);
  std::cout << "-- history types (expected | actual)"
            << (Flag(e, "parallel_events_sorted") ? " [AWS order normalised: not compared]" : "")
            << "\n";
  for (size_t i = 0; i < std::max(want.size(), got.size()); ++i) {
    std::string a = i < want.size() ? want[i] : "";
    std::string b = i < got.size() ? got[i] : "";
    std::printf("%3zu %s %-28s | %s\n", i, a == b ? " " : "*", a.c_str(), b.c_str());
  }
  std::cout << std::flush;
}

Json RunCase(const Case& c, bool verbose) {
  Verdict v;
  const Json& e = c.expected;
  auto normalizer = Normalizer::Create(e.find("transformers") ? *e.find("transformers") : Json());
  if (!normalizer.ok()) {
    v.Add("harness", normalizer.error().message);
    return v.ToJson();
  }
  MatchRules out_rules;
  out_rules.placeholders = Flag(e, "placeholders");
  out_rules.bare_words = DefaultBareWords();
  for (const auto& w : normalizer->bare_words()) out_rules.bare_words.insert(w);
  MatchRules state_rules = out_rules;
  state_rules.placeholders = Flag(e, "placeholders_in_states");

  auto functions = BuildFunctions(c.info);
  if (!functions.ok()) {
    v.Add("harness", functions.error().message);
    return v.ToJson();
  }
  asl::ParseOptions parse_options;
  parse_options.source_name = "definition.json";  // the case is named on the FAIL line
  auto machine = asl::ParseDefinition(c.definition_text, parse_options);
  if (!machine.ok()) {
    v.Add("definition", machine.error().code + ": " + machine.error().message);
    if (verbose) std::cout << "definition rejected: " << v.diffs[0].second << "\n";
    return v.ToJson();
  }

  // Wait states cost no real time: the engine jumps this clock forward. The recorded inputs that
  // depend on "now" were built with now = 2024-01-01T12:00:00Z (README, input_uses_current_time).
  VirtualClock clock(std::chrono::system_clock::from_time_t(1704110400));
  engine::RunOptions options;
  options.functions = std::move(*functions);
  options.clock = &clock;
  options.random_seed = 1;
  const Json* type = c.info.find("state_machine_type");
  options.express = type && type->is_string() && type->as_string() == "EXPRESS";
  // Only the test's name tells a StartSyncExecution case (express_sync) from an asynchronous one.
  options.synchronous = options.express && c.entry.name.find("express_sync") != std::string::npos;
  engine::RunResult r;
  try {
    r = engine::RunExecution(*machine, c.input, options);
  } catch (const std::exception& ex) {
    v.Add("crash", std::string("exception escaped RunExecution: ") + ex.what());
    return v.ToJson();
  }
  std::vector<Json> events;
  events.reserve(r.history.size());
  for (const auto& ev : r.history) events.push_back(ev.ToJson());

  std::string want_status = Str(e.find("status"));
  std::string got_status = engine::ExecutionStatusName(r.status);
  Json actual_output = normalizer->Apply(r.output);
  if (verbose) PrintVerbose(c, r, events, actual_output);

  if (want_status != got_status) {
    std::string detail;
    if (r.error || r.cause) {
      detail = " (" + r.error.value_or("") + ": " + Clip(r.cause.value_or(""), 200) + ")";
    }
    v.Add("status", "status: expected " + want_status + ", got " + got_status + detail);
  } else if (want_status == "SUCCEEDED") {
    if (auto d = CompareJson(*e.find("output"), actual_output, out_rules, "output")) {
      v.Add("output", *d);
    } else {
      MatchRules form = out_rules;
      form.number_form = true;
      if (auto f = CompareJson(*e.find("output"), actual_output, form, "output")) {
        v.number_form_note = *f;
      }
    }
  } else {
    const Json* want_error = e.find("error");
    if (want_error != nullptr && !r.error) {
      v.Add("error", "error: expected " + Str(want_error) + ", got none");
    } else if (want_error == nullptr && r.error) {
      v.Add("error", "error: AWS reported none, got " + Json::String(*r.error).Dump());
    } else if (want_error != nullptr) {
      std::string got = normalizer->ApplyToString(*r.error);
      if (auto d = CompareJson(*want_error, Json::String(got), out_rules, "error")) {
        v.Add("error", *d);
      }
    }
    const Json* want_cause = e.find("cause");
    if (want_cause != nullptr) {
      if (!r.cause) {
        v.Add("cause", "cause: expected " + Clip(Str(want_cause)) + ", got none");
      } else if (auto d = CompareCause(*want_cause, Flag(e, "cause_is_json"),
                                       normalizer->ApplyToString(*r.cause), out_rules)) {
        v.Add("cause", *d);
      }
    } else if (e.find("cause_placeholder") == nullptr && r.cause) {
      v.Add("cause", "cause: AWS reported none, got " + Clip(Json::String(*r.cause).Dump()));
    }
  }

  const Json* want_history = e.find("history");
  bool history_recorded = want_history != nullptr && want_history->is_array();
  bool history_sorted = Flag(e, "parallel_events_sorted") || Flag(e, "history_lossy");
  if (history_recorded && !history_sorted) {
    std::vector<std::string> want;
    for (const Json& t : want_history->as_array()) want.push_back(Str(&t));
    if (auto d = CompareHistoryTypes(want, HistoryTypes(events))) v.Add("history", *d);
  }
  const Json* want_states = e.find("states");
  if (history_recorded && want_states != nullptr && want_states->is_array() &&
      !Flag(e, "states_lossy")) {
    Json actual_states = normalizer->Apply(StatesFromHistory(events));
    auto d = CompareStatesMultiset(*want_states, actual_states, state_rules);
    // The README: compare `states` (as a multiset) where the history order was normalised away;
    // elsewhere a states difference is reported but does not decide the verdict.
    if (d && history_sorted) {
      v.Add("states", *d);
    } else if (d) {
      v.states_note = *d;
    }
  }
  if (verbose) {
    if (v.diffs.empty()) std::cout << "PASS\n";
    for (const auto& [cat, text] : v.diffs) std::cout << "DIFF [" << cat << "] " << text << "\n";
    if (!v.states_note.empty()) std::cout << "NOTE [states] " << v.states_note << "\n";
    if (!v.number_form_note.empty())
      std::cout << "NOTE [number form] " << v.number_form_note << "\n";
    std::cout << std::flush;
  }
  return v.ToJson();
}

Json Failure(const std::string& category, const std::string& text) {
  Verdict v;
  v.Add(category, text);
  return v.ToJson();
}

// Kills what is left of a timed-out case: function processes run in their own process groups,
// so they survive the case's group; the replay is a subreaper (see Main), so they are re-parented
// to it. Only this process's own children are touched.
void KillOrphans() {
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return;
  std::vector<pid_t> orphans;
  while (dirent* d = readdir(proc)) {
    pid_t pid = static_cast<pid_t>(std::atoi(d->d_name));
    if (pid <= 0) continue;
    std::ifstream stat("/proc/" + std::string(d->d_name) + "/stat");
    std::string line;
    std::getline(stat, line);
    size_t close = line.rfind(')');  // "pid (comm) state ppid ..."
    if (close == std::string::npos) continue;
    char state = 0;
    int ppid = 0;
    if (std::sscanf(line.c_str() + close + 1, " %c %d", &state, &ppid) == 2 && ppid == getpid()) {
      orphans.push_back(pid);
    }
  }
  closedir(proc);
  for (pid_t pid : orphans) {
    pid_t group = getpgid(pid);  // the function runner gives each function its own group
    if (group > 0 && group != getpgrp()) kill(-group, SIGKILL);
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
}

// Runs RunCase in a child process with a deadline; the child writes its verdict to a pipe.
Json RunIsolated(const Case& c, bool verbose, int timeout_seconds) {
  std::fflush(stdout);
  std::cout << std::flush;
  int fds[2];
  if (pipe(fds) != 0) return Failure("harness", std::string("pipe: ") + std::strerror(errno));
  pid_t pid = fork();
  if (pid < 0) return Failure("harness", std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    close(fds[0]);
    setpgid(0, 0);
    std::string text = RunCase(c, verbose).Dump();
    std::cout << std::flush;
    std::fflush(stdout);
    size_t off = 0;
    while (off < text.size()) {
      ssize_t n = write(fds[1], text.data() + off, text.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    _exit(0);
  }
  setpgid(pid, pid);
  close(fds[1]);
  std::string text;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  bool timed_out = false;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    int ready = poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1000)));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    char buf[65536];
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  if (timed_out) kill(-pid, SIGKILL);  // the child's own process group
  int status = 0;
  waitpid(pid, &status, 0);
  if (timed_out) {
    for (int round = 0; round < 3; ++round) KillOrphans();  // grandchildren re-parent in turn
  }
  if (timed_out) {
    return Failure("timeout", "no result after " + std::to_string(timeout_seconds) +
                                  " s (killed; a hang or a real-time wait)");
  }
  if (WIFSIGNALED(status)) {
    return Failure("crash", std::string("killed by signal ") + strsignal(WTERMSIG(status)));
  }
  auto verdict = Json::Parse(text);
  if (!verdict.ok()) {
    return Failure("crash", "no verdict from the child (exit status " +
                                std::to_string(WEXITSTATUS(status)) + ")");
  }
  return *verdict;
}

// Groups similar reasons: quoted texts and numbers are blanked out.
std::string ReasonKey(const std::string& category, const std::string& reason) {
  std::string out = category + ": ";
  char quote = 0;
  bool in_digits = false;
  for (size_t i = 0; i < reason.size(); ++i) {
    char ch = reason[i];
    if (quote) {
      if (ch == '\\') {
        ++i;  // an escaped character, e.g. \" inside a JSON string
      } else if (ch == quote) {
        out += "..";
        out += ch;
        quote = 0;
      }
      continue;
    }
    if (ch == '{' || ch == '[') {  // a JSON document: blank it whole
      int depth = 0;
      bool in_string = false;
      size_t j = i;
      for (; j < reason.size(); ++j) {
        char c = reason[j];
        if (in_string) {
          if (c == '\\')
            ++j;
          else if (c == '"')
            in_string = false;
        } else if (c == '"') {
          in_string = true;
        } else if (c == '{' || c == '[') {
          ++depth;
        } else if ((c == '}' || c == ']') && --depth == 0) {
          break;
        }
      }
      out += ch;
      out += "..";
      if (j >= reason.size()) {  // clipped: close it all the same
        out += ch == '{' ? '}' : ']';
        break;
      }
      out += reason[j];
      i = j;
      continue;
    }
    bool word_before = i > 0 && std::isalnum(static_cast<unsigned char>(reason[i - 1]));
    if (ch == '"' || (ch == '\'' && !word_before)) {  // not the apostrophe of "wharf's"
      quote = ch;
      out += ch;
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(ch))) {
      if (!in_digits) out += 'N';
      in_digits = true;
      continue;
    }
    in_digits = false;
    out += ch;
  }
  return Clip(out, 150);
}

// A table cell: one line, pipes escaped, long texts clipped.
std::string Cell(const std::string& text, size_t limit = 220) {
  std::string out;
  for (char ch : Clip(text, limit)) {
    if (ch == '\n' || ch == '\r') {
      out += ' ';
    } else if (ch == '|') {
      out += "\\|";
    } else {
      out += ch;
    }
  }
  return out;
}

std::string Percent(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100 * x);
  return buf;
}

// The generated part of docs/conformance.md, from the results summary.
std::string MarkdownReport(const Json& summary) {
  auto num = [&](const char* key) { return Str(summary.find(key)); };
  std::string md;
  md += "**" + num("passed") + " of " + num("eligible") + " eligible cases pass (" +
        Percent(summary.find("pass_rate")->as_double()) + ")**; " + num("skipped") +
        " cases are skipped because they need what the replay does not provide.\n\n";
  md += "| area | passed | eligible | skipped |\n|---|---:|---:|---:|\n";
  for (const auto& [area, a] : summary.find("areas")->as_object()) {
    md += "| " + area + " | " + Str(a.find("passed")) + " | " + Str(a.find("eligible")) + " | " +
          Str(a.find("skipped")) + " |\n";
  }
  md += "| **total** | **" + num("passed") + "** | **" + num("eligible") + "** | **" +
        num("skipped") + "** |\n\n";
  const Json& top = *summary.find("top_reasons");
  if (top.size() > 0) {
    md +=
        "### Most common failure reasons\n\nQuoted texts and numbers blanked out to group similar "
        "reasons.\n\n| cases | reason |\n|---:|---|\n";
    for (const Json& t : top.as_array()) {
      md += "| " + Str(t.find("cases")) + " | `" + Cell(Str(t.find("reason"))) + "` |\n";
    }
    md += "\n";
  }
  const Json& failures = *summary.find("failures");
  md += "### Failing cases (" + std::to_string(failures.size()) + ")\n\n";
  if (failures.size() == 0) {
    md += "None.\n\n";
  } else {
    md += "| case | category | first difference |\n|---|---|---|\n";
    for (const Json& f : failures.as_array()) {
      md += "| `" + Str(f.find("case")) + "` | " + Str(f.find("category")) + " | `" +
            Cell(Str(f.find("reason"))) + "` |\n";
    }
    md += "\n";
  }
  // Differences in `states` where the history decides (see "What the runner does").
  std::map<std::string, int> note_counts;
  for (const Json& n : summary.find("states_notes")->as_array()) {
    ++note_counts[ReasonKey("states", Str(n.find("note")))];
  }
  if (!note_counts.empty()) {
    md += "### Differences in `states` that do not fail a case (" +
          std::to_string(summary.find("states_notes")->size()) +
          " cases)\n\n| cases | difference |\n|---:|---|\n";
    std::vector<std::pair<int, std::string>> sorted;
    for (const auto& [k, n] : note_counts) sorted.emplace_back(n, k);
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    for (const auto& [n, k] : sorted) {
      md += "| " + std::to_string(n) + " | `" + Cell(k) + "` |\n";
    }
    md += "\n";
  }
  const Json& forms = *summary.find("number_form_notes");
  if (forms.size() > 0) {
    md += "### Passing cases whose output differs only in number form (" +
          std::to_string(forms.size()) +
          ")\n\nAWS prints `1.0` and `1` differently; these "
          "outputs are equal in value.\n\n| case | first difference |\n|---|---|\n";
    for (const Json& n : forms.as_array()) {
      md += "| `" + Str(n.find("case")) + "` | `" + Cell(Str(n.find("note"))) + "` |\n";
    }
    md += "\n";
  }
  md += "### Skipped cases\n\n| needs | cases |\n|---|---:|\n";
  for (const auto& [need, names] : summary.find("skipped_by_need")->as_object()) {
    md += "| " + need + " | " + std::to_string(names.size()) + " |\n";
  }
  return md;
}

constexpr std::string_view kDocBegin = "<!-- conformance-report:begin -->";
constexpr std::string_view kDocEnd = "<!-- conformance-report:end -->";

// Replaces the text between the report markers of `path` with `report`.
Status UpdateDoc(const std::string& path, const std::string& report) {
  WHARF_TRY(std::string text, ReadFile(path));
  size_t begin = text.find(kDocBegin);
  size_t end = text.find(kDocEnd);
  if (begin == std::string::npos || end == std::string::npos || end < begin) {
    return MakeError("BadDoc", path + ": no '" + std::string(kDocBegin) + "' ... '" +
                                   std::string(kDocEnd) + "' section");
  }
  std::string out = text.substr(0, begin + kDocBegin.size()) + "\n" + report + text.substr(end);
  std::ofstream file(path);
  file << out;
  if (!file) return MakeError("BadDoc", path + ": cannot write");
  return {};
}

struct AreaCount {
  int eligible = 0;
  int passed = 0;
  int skipped = 0;
};

int Main(int argc, char** argv) {
  Options o;
  if (!ParseArgs(argc, argv, o)) {
    Usage();
    return 2;
  }
  auto index = LoadIndex(o.root);
  if (!index.ok()) {
    std::cerr << "conformance_replay: " << index.error().message
              << " (set --root or WHARF_CONFORMANCE_DIR)\n";
    return 77;  // CTest: skipped
  }
  bool one_case = !o.case_name.empty();
  double min_pass = o.min_pass.value_or(one_case ? 1.0 : 0.0);
  signal(SIGPIPE, SIG_IGN);
  // Orphaned function processes of a killed case become our children (KillOrphans).
  if (o.fork) prctl(PR_SET_CHILD_SUBREAPER, 1);

  std::map<std::string, AreaCount> areas;
  std::map<std::string, std::vector<std::string>> skipped_by_need;
  JsonArray failures, passed_cases, notes, form_notes;
  std::map<std::string, int> reason_counts;
  int eligible = 0, passed = 0, skipped = 0;
  auto started = std::chrono::steady_clock::now();

  for (const auto& entry : *index) {
    if (one_case && entry.name != o.case_name) continue;
    if (!o.area.empty() && entry.area != o.area) continue;
    auto unsupported = UnsupportedNeeds(entry);
    if (!unsupported.empty() && !o.all) {
      std::string key;
      for (const auto& n : unsupported) key += (key.empty() ? "" : "+") + n;
      skipped_by_need[key].push_back(entry.name);
      ++areas[entry.area].skipped;
      ++skipped;
      if (one_case) std::cout << "SKIP " << entry.name << ": needs " << key << "\n";
      continue;
    }
    ++eligible;
    ++areas[entry.area].eligible;
    auto case_start = std::chrono::steady_clock::now();
    Json verdict;
    auto c = LoadCase(o.root, entry);
    if (!c.ok()) {
      verdict = Failure("harness", c.error().message);
    } else {
      verdict = o.fork ? RunIsolated(*c, one_case, o.timeout_seconds) : RunCase(*c, one_case);
    }
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - case_start).count();
    std::string category = Str(verdict.find("category"));
    if (category.empty()) {
      ++passed;
      ++areas[entry.area].passed;
      passed_cases.push_back(Json::String(entry.name));
      if (const Json* note = verdict.find("states_note")) {
        notes.push_back(Json::Object({{"case", Json::String(entry.name)}, {"note", *note}}));
      }
      if (const Json* note = verdict.find("number_form_note")) {
        form_notes.push_back(Json::Object({{"case", Json::String(entry.name)}, {"note", *note}}));
      }
      continue;
    }
    std::string reason;
    if (const Json* diffs = verdict.find("diffs"); diffs != nullptr && diffs->size() > 0) {
      reason = Str(diffs->at(0)->find("text"));
    }
    std::cout << "FAIL " << entry.name << " [" << category << "] " << Clip(reason, 300) << "\n";
    ++reason_counts[ReasonKey(category, reason)];
    failures.push_back(Json::Object(
        {{"case", Json::String(entry.name)},
         {"area", Json::String(entry.area)},
         {"category", Json::String(category)},
         {"reason", Json::String(reason)},
         {"diffs", verdict.find("diffs") ? *verdict.find("diffs") : Json::EmptyArray()},
         {"seconds", Json::Double(seconds)}}));
    if (const Json* note = verdict.find("states_note")) {
      notes.push_back(Json::Object({{"case", Json::String(entry.name)}, {"note", *note}}));
    }
  }
  if (eligible == 0 && skipped == 0) {
    std::cerr << "conformance_replay: no case matches\n";
    return 2;
  }

  double rate = eligible == 0 ? 1.0 : static_cast<double>(passed) / eligible;
  double total_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  if (!skipped_by_need.empty() && !one_case) {
    std::cout << "\nskipped " << skipped << " cases whose needs the replay cannot provide:\n";
    for (const auto& [need, names] : skipped_by_need) {
      std::cout << "  needs " << need << " (" << names.size() << "):";
      for (const auto& n : names) std::cout << " " << n;
      std::cout << "\n";
    }
  }
  std::vector<std::pair<int, std::string>> top;
  for (const auto& [k, n] : reason_counts) top.emplace_back(n, k);
  std::sort(top.begin(), top.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  if (!top.empty() && !one_case) {
    std::cout << "\nmost common failure reasons:\n";
    for (size_t i = 0; i < top.size() && i < 25; ++i) {
      std::printf("  %4d  %s\n", top[i].first, top[i].second.c_str());
    }
  }
  std::cout << "\npassed per area (eligible cases):\n";
  std::vector<JsonMember> area_json;
  for (const auto& [name, a] : areas) {
    std::printf("  %-22s %4d / %-4d  (skipped %d)\n", name.c_str(), a.passed, a.eligible,
                a.skipped);
    area_json.emplace_back(name, Json::Object({{"eligible", Json::Int(a.eligible)},
                                               {"passed", Json::Int(a.passed)},
                                               {"skipped", Json::Int(a.skipped)}}));
  }
  std::printf("  %-22s %4d / %-4d  (skipped %d)  pass rate %.1f%%, threshold %.1f%%, %.0f s\n",
              "TOTAL", passed, eligible, skipped, 100 * rate, 100 * min_pass, total_seconds);

  std::vector<JsonMember> skipped_json;
  for (const auto& [need, names] : skipped_by_need) {
    JsonArray list;
    for (const auto& n : names) list.push_back(Json::String(n));
    skipped_json.emplace_back(need, Json::Array(std::move(list)));
  }
  JsonArray top_json;
  for (const auto& [n, key] : top) {
    top_json.push_back(Json::Object({{"cases", Json::Int(n)}, {"reason", Json::String(key)}}));
  }
  Json summary = Json::Object({
      {"root", Json::String(o.root)},
      {"filter",
       Json::Object({{"case", Json::String(o.case_name)}, {"area", Json::String(o.area)}})},
      {"eligible", Json::Int(eligible)},
      {"passed", Json::Int(passed)},
      {"failed", Json::Int(eligible - passed)},
      {"skipped", Json::Int(skipped)},
      {"pass_rate", Json::Double(rate)},
      {"min_pass", Json::Double(min_pass)},
      {"seconds", Json::Double(total_seconds)},
      {"areas", Json::Object(std::move(area_json))},
      {"skipped_by_need", Json::Object(std::move(skipped_json))},
      {"top_reasons", Json::Array(std::move(top_json))},
      {"failures", Json::Array(std::move(failures))},
      {"states_notes", Json::Array(std::move(notes))},
      {"number_form_notes", Json::Array(std::move(form_notes))},
      {"passed_cases", Json::Array(std::move(passed_cases))},
  });
  std::string results_path = o.results_path;
  if (results_path.empty() && !one_case) results_path = "conformance-results.json";
  if (!results_path.empty()) {
    std::ofstream out(results_path);
    out << summary.Pretty() << "\n";
    if (!out) std::cerr << "conformance_replay: cannot write " << results_path << "\n";
  }
  if (!o.update_doc.empty()) {
    auto status = UpdateDoc(o.update_doc, MarkdownReport(summary));
    if (!status.ok()) {
      std::cerr << "conformance_replay: " << status.error().message << "\n";
      return 2;
    }
  }
  return rate + 1e-12 < min_pass ? 1 : 0;
}

}  // namespace
}  // namespace wharf::conformance

int main(int argc, char** argv) { return wharf::conformance::Main(argc, argv); }
