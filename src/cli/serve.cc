// `wharf serve`: opens the data folder's state store, puts the project file's state machines in
// it, resumes the running executions (engine/engine.h) and serves the Step Functions API over
// HTTP (api/sfn_service.h) until SIGINT or SIGTERM.
#include "cli/serve.h"

#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <thread>

#include "api/events_service.h"
#include "api/http_server.h"
#include "api/sfn_service.h"
#include "cli/common.h"
#include "cli/metrics.h"
#include "cli/serve_events.h"
#include "core/project.h"
#include "engine/engine.h"
#include "ingest/ftp_server.h"
#include "ingest/lockout.h"
#include "ingest/sftp_server.h"
#include "ingest/users.h"
#include "objects/local_store.h"
#include "store/sqlite_store.h"

namespace wharf::cli {

namespace {

tasks::FunctionSpec ToSpec(const FunctionConfig& f) {
  tasks::FunctionSpec spec;
  spec.name = f.name;
  spec.command = f.command;
  spec.timeout = f.timeout;
  spec.env = f.env;
  spec.working_dir = f.working_dir;
  return spec;
}

// A Transfer Family-style server id ("s-" and 17 hex digits), the same at every start on the
// same data folder.
std::string ServerId(const std::string& data, const char* protocol) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (char c : std::filesystem::absolute(data).string() + "/" + protocol) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  char id[32];
  std::snprintf(id, sizeof id, "s-%017llx", static_cast<unsigned long long>(h >> 4));
  return id;
}

void LogLine(const std::string& line) { std::fprintf(stderr, "wharf: %s\n", line.c_str()); }

}  // namespace

int Serve(const std::vector<std::string>& args) {
  std::string project_path, data_dir, http, sftp_listen, ftp_listen;
  bool unauthenticated = false;
  ArgCursor arg(args);
  while (arg.Next()) {
    if (arg.Is("--project")) {
      if (!arg.Value(project_path)) return Fail("--project needs a file name");
    } else if (arg.Is("--data")) {
      if (!arg.Value(data_dir)) return Fail("--data needs a folder");
    } else if (arg.Is("--http")) {
      if (!arg.Value(http)) return Fail("--http needs HOST:PORT");
    } else if (arg.Is("--sftp")) {
      if (!arg.Value(sftp_listen)) return Fail("--sftp needs HOST:PORT");
    } else if (arg.Is("--ftp")) {
      if (!arg.Value(ftp_listen)) return Fail("--ftp needs HOST:PORT");
    } else if (arg.Is("--unauthenticated")) {
      unauthenticated = true;
    } else {
      return Fail("unexpected argument " + arg.Current() + " (see `wharf help serve`)");
    }
  }
  if (project_path.empty()) project_path = "wharf.yaml";
  auto project = LoadProject(project_path);
  if (!project.ok()) return Fail(project.error().message);

  auto started_at = std::chrono::steady_clock::now();
  api::SfnOptions sfn;
  sfn.quotas = project->quotas;
  for (auto& [name, f] : project->functions) sfn.functions[name] = ToSpec(f);

  // Check every definition before touching the data folder, so that a broken project changes
  // nothing.
  std::vector<store::StateMachine> machines;
  for (auto& [name, config] : project->state_machines) {
    std::string text, error;
    if (!ReadFile(config.definition_file, text, error)) return Fail(config.where + ": " + error);
    asl::ParseOptions options;
    options.source_name = config.definition_file;
    auto machine = asl::ParseDefinition(text, options);
    if (!machine.ok()) return Fail(config.where + ": " + machine.error().message);
    machines.push_back(api::ProjectStateMachine(sfn, name, std::move(text),
                                                config.type == StateMachineType::kExpress
                                                    ? store::MachineType::kExpress
                                                    : store::MachineType::kStandard));
  }

  std::string data = data_dir.empty() ? project->data_dir : data_dir;
  store::SqliteOptions store_options;
  store_options.data_dir = data;
  if (project->power_loss_durability) store_options.durability = store::Durability::kPowerLoss;
  auto store = store::SqliteStore::Open(store_options);
  if (!store.ok()) return Fail("data folder " + data + ": " + store.error().message);
  for (auto& m : machines) {
    auto put = (*store)->PutStateMachine(m, store::PutMode::kCreateOrUpdate, SystemClock().Now());
    if (!put.ok()) return Fail("state machine " + m.name + ": " + put.error().message);
  }

  engine::EngineOptions engine_options;
  engine_options.store = store->get();
  engine_options.functions = sfn.functions;
  for (auto& [name, f] : project->functions)
    if (f.concurrency > 0) engine_options.concurrency[name] = f.concurrency;
  engine_options.quotas = project->quotas;
  engine_options.process_dir = data + "/processes";
  engine_options.region = sfn.region;
  engine_options.account = sfn.account;
  auto engine = engine::Engine::Start(engine_options);
  if (!engine.ok())
    return Fail("cannot resume the executions in " + data + ": " + engine.error().message);
  auto resumed = (*engine)->GetStats().running;

  // The landing store and the file-transfer servers (issue 4).
  objects::LocalOptions object_options;
  object_options.root = data + "/objects";
  object_options.durability = project->power_loss_durability ? objects::Durability::kPowerLoss
                                                             : objects::Durability::kProcessCrash;
  auto landing = objects::LocalObjectStore::Open(object_options);
  if (!landing.ok()) return Fail("data folder " + data + ": " + landing.error().message);
  SystemClock clock;
  ingest::Lockout lockout(project->servers.lockout, clock, LogLine);
  ingest::Users users(project->users, lockout);
  std::unique_ptr<ingest::SftpServer> sftp;
  if (project->servers.sftp || !sftp_listen.empty()) {
    SftpServerConfig config = project->servers.sftp.value_or(SftpServerConfig{});
    ingest::SftpServerOptions o;
    o.listen = config.listen;
    if (!sftp_listen.empty()) {
      auto parsed = ParseListenAddress(sftp_listen);
      if (!parsed.ok()) return Fail("--sftp " + sftp_listen + ": " + parsed.error().message);
      o.listen = *parsed;
    }
    o.host_key = config.host_key.empty() ? data + "/ssh_host_ed25519_key" : config.host_key;
    o.idle_timeout = config.idle_timeout;
    o.statvfs_path = data;
    o.session_defaults.server_id = ServerId(data, "sftp");
    o.log = LogLine;
    sftp = std::make_unique<ingest::SftpServer>(std::move(o), users, **landing);
    Status s = sftp->Start();
    if (!s.ok()) return Fail("SFTP server: " + s.error().message);
  }
  std::unique_ptr<ingest::FtpServer> ftp;
  if (project->servers.ftp || !ftp_listen.empty()) {
    ingest::FtpServerOptions o;
    o.config = project->servers.ftp.value_or(FtpServerConfig{});
    if (!ftp_listen.empty()) {
      auto parsed = ParseListenAddress(ftp_listen);
      if (!parsed.ok()) return Fail("--ftp " + ftp_listen + ": " + parsed.error().message);
      o.config.listen = *parsed;
    }
    o.store = landing->get();
    o.users = &users;
    o.data_dir = data;
    o.server_id = ServerId(data, "ftp");
    o.upload_end_grace = o.config.upload_end_grace;
    o.log = LogLine;
    ftp = std::make_unique<ingest::FtpServer>(std::move(o));
    Status s = ftp->Start();
    if (!s.ok()) return Fail("FTP server: " + s.error().message);
  }
  api::SfnOptions sfn_options = sfn;
  auto service = std::make_shared<api::SfnService>(store->get(), engine->get(), std::move(sfn));
  auto bus = StartEvents(*project, data, sfn_options, service, **landing, **store, LogLine);
  if (!bus.ok()) return Fail(bus.error().message);

  api::HttpServerOptions options;
  ListenAddress listen = project->http.listen;
  if (!http.empty()) {
    auto parsed = ParseListenAddress(http);
    if (!parsed.ok()) return Fail("--http " + http + ": " + parsed.error().message);
    listen = *parsed;
  }
  options.host = listen.host;
  options.port = listen.port;
  options.auth = unauthenticated || project->auth.unauthenticated ? api::AuthMode::kNone
                                                                  : api::AuthMode::kSigV4;
  auto keys = project->auth.access_keys;
  options.secrets = [keys](std::string_view id) -> std::optional<std::string> {
    for (auto& k : keys)
      if (k.access_key_id == id) return k.secret_access_key;
    return std::nullopt;
  };
  if (options.auth == api::AuthMode::kSigV4 && keys.empty())
    return Fail(project->file +
                ": auth.access_keys is empty, so no request could be signed; "
                "add a key, or set auth.unauthenticated: true for a local-only service");

  api::HttpServer server(options);
  // StartSyncExecution blocks for the whole execution, so every call runs on a thread of its own
  // and replies from there; the server's thread stays free.
  server.AddAsyncJsonService(
      api::JsonService{"AWSStepFunctions", "states", "com.amazonaws.swf.service.v2.model"},
      [service](const api::JsonRequest& request, api::JsonReply reply) {
        std::thread([service, request, reply = std::move(reply)] {
          reply(service->Handle(request.action, request.body));
        }).detach();
      });
  // The EventBridge API over the bus (AWS JSON 1.1, api/events_service.h); its actions are quick.
  auto events_api = std::make_shared<api::EventsService>(
      (*bus)->bus.get(), api::EventsOptions{sfn_options.region, sfn_options.account});
  server.AddJsonService(api::JsonService{"AWSEvents", "events", ""},
                        [events_api](const api::JsonRequest& request) {
                          return events_api->Handle(request.action, request.body);
                        });

  // What the service counts, for a Prometheus scraper (docs/metrics.md).
  server.AddRoute("GET", "/metrics", [&](const api::HttpRequest&) {
    ingest::LockoutCounters logins = lockout.counters();
    engine::Engine::Stats stats = (*engine)->GetStats();
    std::vector<Metric> metrics = {
        {"wharf_ingest_failed_logins_total", "counter",
         "Failed SFTP and FTP logins (wrong password or key, unknown user, refused network).", "",
         static_cast<double>(logins.failures)},
        {"wharf_ingest_lockouts_total", "counter",
         "Times a source address was locked out after too many failed logins.", "",
         static_cast<double>(logins.lockouts)},
        {"wharf_ingest_refused_logins_total", "counter",
         "Login attempts refused because their source address was locked out.", "",
         static_cast<double>(logins.refused)},
    };
    if (sftp) {
      metrics.push_back({"wharf_ingest_sessions", "gauge", "File-transfer connections open now.",
                         "protocol=\"sftp\"", static_cast<double>(sftp->active_sessions())});
    }
    if (ftp) {
      metrics.push_back({"wharf_ingest_sessions", "gauge", "File-transfer connections open now.",
                         "protocol=\"ftp\"", static_cast<double>(ftp->sessions())});
    }
    events::BusStats events = (*bus)->bus->Stats();
    metrics.push_back({"wharf_event_deliveries_pending", "gauge",
                       "Matched events waiting for their target (retries included).", "",
                       static_cast<double>(events.pending)});
    metrics.push_back({"wharf_event_dead_letters", "gauge",
                       "Deliveries that failed for good and wait in the dead letters.", "",
                       static_cast<double>(events.dead_letters)});
    metrics.push_back({"wharf_event_deliveries_total", "counter",
                       "Events delivered to their target since the service started.", "",
                       static_cast<double>(events.delivered)});
    metrics.push_back({"wharf_executions_running", "gauge",
                       "Executions the engine holds in memory (running or waiting).", "",
                       static_cast<double>(stats.running)});
    metrics.push_back({"wharf_state_transitions_total", "counter",
                       "States entered since the service started.", "",
                       static_cast<double>(stats.transitions)});
    metrics.push_back({"wharf_store_commits_total", "counter",
                       "Commits of the engine's loop to the state store since the service started.",
                       "", static_cast<double>(stats.commits)});
    api::HttpResponse response;
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    response.body = RenderMetrics(metrics);
    return response;
  });

  // Block the stop signals before any thread starts, then wait for one.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  Status started = server.Start();
  if (!started.ok()) return Fail(started.error().message);
  std::printf("wharf: serving %s (%zu state machines, %zu functions)\n", project->file.c_str(),
              project->state_machines.size(), project->functions.size());
  std::printf("wharf: Step Functions API on http://%s%s\n", server.address().c_str(),
              options.auth == api::AuthMode::kNone ? " (unauthenticated)" : "");
  if (sftp)
    std::printf("wharf: SFTP on %s (host key %s)\n", sftp->address().c_str(),
                sftp->host_key().fingerprint.c_str());
  if (ftp)
    std::printf("wharf: FTP and FTPS on %s (certificate %s)\n", ftp->address().c_str(),
                ftp->certificate_fingerprint().c_str());
  std::printf("wharf: data folder %s (%lld running executions resumed)\n", data.c_str(),
              static_cast<long long>(resumed));
  events::BusStats bus_stats = (*bus)->bus->Stats();
  std::printf("wharf: event bus with %zu rules (%lld deliveries pending, %lld dead letters)\n",
              (*bus)->bus->ListRules().size() - (*bus)->scheduler->size(),  // a rule per schedule
              static_cast<long long>(bus_stats.pending),
              static_cast<long long>(bus_stats.dead_letters));
  std::printf("wharf: %zu schedules\n", (*bus)->scheduler->size());
  std::printf("wharf: ready in %.1f ms\n", std::chrono::duration<double, std::milli>(
                                               std::chrono::steady_clock::now() - started_at)
                                               .count());
  std::fflush(stdout);
  int signal = 0;
  sigwait(&stop, &signal);
  std::printf("wharf: stopping (%s)\n", signal == SIGINT ? "SIGINT" : "SIGTERM");
  server.Stop();
  if (sftp) sftp->Stop();
  if (ftp) ftp->Stop();
  (*bus)->Stop();
  (*engine)->Shutdown();
  return 0;
}

}  // namespace wharf::cli
