// `wharf events` (see events.h).
#include "cli/events.h"

#include <cstdio>
#include <filesystem>

#include "cli/common.h"
#include "core/json.h"
#include "core/project.h"
#include "events/bus.h"
#include "objects/local_store.h"

namespace wharf::cli {

const char kEventsHelp[] =
    R"(wharf events [--project wharf.yaml] [--data DIR] [--after SEQ] [--limit N] [--json]

Lists the events of the event bus, oldest first: each upload, download, delete, rename and
folder change of the SFTP and FTP servers, as its Transfer Family event ("SFTP Server File
Upload Completed", ...) and, where S3 would send one, its S3 event ("Object Created",
"Object Deleted"); each execution's status change ("Step Functions Execution Status Change").
Then the landing store's events the bus has not taken yet (marked "waiting"). Reads the data
folder directly, also while `wharf serve` runs.

Options:
  --project FILE   The project file whose data folder to read (default ./wharf.yaml).
  --data DIR       The data folder, instead of the project's.
  --after SEQ      Only events after this sequence number.
  --limit N        At most N events (default 100, at most 1000).
  --json           One event per line, as its whole EventBridge JSON.
)";

namespace {

std::string Field(const Json& o, std::string_view key) {
  const Json* v = o.find(key);
  if (!v) return "";
  return v->is_string() ? v->as_string() : v->Dump();
}

// One line: what happened, to which file, by whom.
std::string Summary(const std::string& payload) {
  auto event = Json::Parse(payload);
  if (!event.ok() || !event->is_object()) return payload;
  const Json* detail = event->find("detail");
  if (!detail || !detail->is_object()) return "";
  if (Field(*event, "source") == "aws.s3") {
    const Json* object = detail->find("object");
    return object ? Field(*object, "key") + "  " + Field(*object, "size") + " bytes" : "";
  }
  std::string s = Field(*detail, "username") + "  " + Field(*detail, "file-path");
  if (detail->find("bytes")) s += "  " + Field(*detail, "bytes") + " bytes";
  if (detail->find("failure-code")) s += "  " + Field(*detail, "failure-code");
  return s;
}

}  // namespace

int EventsCommand(const std::vector<std::string>& args) {
  std::string project_path = "wharf.yaml", data, after_text, limit_text;
  bool json = false;
  ArgCursor arg(args);
  while (arg.Next()) {
    if (arg.Is("--project")) {
      if (!arg.Value(project_path)) return Fail("--project needs a file name");
    } else if (arg.Is("--data")) {
      if (!arg.Value(data)) return Fail("--data needs a folder");
    } else if (arg.Is("--after")) {
      if (!arg.Value(after_text)) return Fail("--after needs a sequence number");
    } else if (arg.Is("--limit")) {
      if (!arg.Value(limit_text)) return Fail("--limit needs a number");
    } else if (arg.Is("--json")) {
      json = true;
    } else {
      return Fail("unexpected argument " + arg.Current() + " (see `wharf help events`)");
    }
  }
  auto number = [](const std::string& text, int64_t& out) {
    if (text.empty()) return true;
    char* end = nullptr;
    long long v = std::strtoll(text.c_str(), &end, 10);
    if (*end != '\0' || v < 0) return false;
    out = v;
    return true;
  };
  int64_t after = 0, limit = 100;
  if (!number(after_text, after)) return Fail("--after " + after_text + ": not a sequence number");
  if (!number(limit_text, limit) || limit < 1 || limit > 1000)
    return Fail("--limit " + limit_text + ": must be 1 to 1000");
  if (data.empty()) {
    auto project = LoadProject(project_path);
    if (!project.ok()) return Fail(project.error().message);
    data = project->data_dir;
  }
  auto print = [json](int64_t seq, TimePoint time, const std::string& payload, bool waiting) {
    if (json) {
      std::printf("%s\n", payload.c_str());
      return;
    }
    auto event = Json::Parse(payload);
    std::string kind = event.ok() ? Field(*event, "detail-type") : "";
    std::printf("%6lld  %s  %-40s  %s%s\n", static_cast<long long>(seq),
                FormatIso8601(time).c_str(), kind.c_str(), Summary(payload).c_str(),
                waiting ? "  (waiting)" : "");
  };
  std::string bus = data + "/events.db";
  int64_t imported = 0;
  int shown = 0;
  if (std::filesystem::exists(bus)) {
    auto events = events::PeekBusEvents(bus, static_cast<int>(limit), after);
    if (!events.ok()) return Fail(events.error().message);
    for (const events::StoredEvent& e : *events) {
      print(e.seq, TimePoint(std::chrono::milliseconds(e.received_ms)), e.body, false);
      ++shown;
    }
    auto position = events::PeekBusPosition(bus, "objects");
    if (!position.ok()) return Fail(position.error().message);
    imported = *position;
  }
  if (shown < limit && std::filesystem::exists(data + "/objects")) {
    auto waiting = objects::LocalObjectStore::PeekEvents(data + "/objects",
                                                         static_cast<int>(limit) - shown, imported);
    if (!waiting.ok()) return Fail(waiting.error().message);
    for (const objects::ObjectEvent& e : *waiting) print(e.seq, e.time, e.payload, true);
  }
  return 0;
}

const char kCatHelp[] =
    R"(wharf cat KEY [--project wharf.yaml] [--data DIR]

Prints the file KEY of the landing store (as stored: "partners/acme/incoming/products.csv",
without the bucket) to standard output. Functions use it to read the upload that started their
execution: the Transfer Family event's file-path is "/BUCKET/KEY". Reads the data folder
directly, also while `wharf serve` runs. A missing key is an error.

Options:
  --project FILE   The project file whose data folder to read (default ./wharf.yaml).
  --data DIR       The data folder, instead of the project's.
)";

int CatCommand(const std::vector<std::string>& args) {
  std::string project_path = "wharf.yaml", data, key;
  ArgCursor arg(args);
  while (arg.Next()) {
    if (arg.Is("--project")) {
      if (!arg.Value(project_path)) return Fail("--project needs a file name");
    } else if (arg.Is("--data")) {
      if (!arg.Value(data)) return Fail("--data needs a folder");
    } else if (key.empty() && !arg.Current().starts_with("--")) {
      key = arg.Current();
    } else {
      return Fail("unexpected argument " + arg.Current() + " (see `wharf help cat`)");
    }
  }
  if (key.empty()) return Fail("wharf cat needs a KEY (see `wharf help cat`)");
  if (data.empty()) {
    auto project = LoadProject(project_path);
    if (!project.ok()) return Fail(project.error().message);
    data = project->data_dir;
  }
  auto reader = objects::LocalObjectStore::PeekObject(data + "/objects", key);
  if (!reader.ok()) return Fail(key + ": " + reader.error().message);
  for (;;) {
    auto piece = (*reader)->Read(256 * 1024);
    if (!piece.ok()) return Fail(key + ": " + piece.error().message);
    if (piece->empty()) break;
    if (std::fwrite(piece->data(), 1, piece->size(), stdout) != piece->size())
      return Fail("writing to standard output failed");
  }
  return std::fflush(stdout) == 0 ? 0 : Fail("writing to standard output failed");
}

}  // namespace wharf::cli
