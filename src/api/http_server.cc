// The only translation unit that includes Boost.Beast (about 40 s to compile): everything else
// sees the plain interface of http_server.h.
#include "api/http_server.h"
#include "core/uuid.h"

#include <strings.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

namespace wharf::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kAwaitTuple = asio::as_tuple(asio::use_awaitable);
constexpr const char* kAmzJson = "application/x-amz-json-1.0";
// Namespace of the errors the AWS front end itself raises (authentication, unknown operation).
constexpr const char* kCoralNamespace = "com.amazon.coral.service";
// How long a connection that is being refused (413, 400) may keep sending before it is closed.
constexpr auto kLingerTime = std::chrono::seconds(5);
constexpr size_t kLingerBytes = size_t{64} * 1024 * 1024;

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string NewRequestId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t hi = rng();
  return FormatUuidV4(hi, rng());
}

// AWS JSON 1.0 puts most errors at 400; failures of the service itself at 500 or 503.
int StatusForError(std::string_view code) {
  if (code == "InternalFailure" || code == "InternalServerError" || code == "InternalError" ||
      code == "ServiceException") {
    return 500;
  }
  if (code == "ServiceUnavailable" || code == "ServiceUnavailableException") return 503;
  return 400;
}

HttpResponse JsonErrorResponse(int status, std::string_view code, std::string_view message,
                               std::string_view error_namespace, const std::string& request_id) {
  HttpResponse res;
  res.status = status;
  res.content_type = kAmzJson;
  std::string type = error_namespace.empty()
                         ? std::string(code)
                         : std::string(error_namespace) + "#" + std::string(code);
  res.body = "{\"__type\":";
  AppendJsonString(res.body, type);
  res.body += ",\"message\":";
  AppendJsonString(res.body, message);
  res.body += '}';
  res.headers.emplace_back("x-amzn-RequestId", request_id);
  res.headers.emplace_back("x-amzn-ErrorType", std::string(code));
  return res;
}

HttpResponse ErrorResponse(const Error& error, std::string_view error_namespace,
                           const std::string& request_id) {
  std::string code = error.code.empty() ? "InternalFailure" : error.code;
  return JsonErrorResponse(StatusForError(code), code, error.message, error_namespace, request_id);
}

std::string MediaType(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  while (!media.empty() && media.front() == ' ') media.remove_prefix(1);
  std::string out(media);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

http::response<http::string_body> ToBeast(HttpResponse&& res, unsigned version, bool keep_alive) {
  http::response<http::string_body> out{static_cast<http::status>(res.status), version};
  out.set(http::field::server, "wharf");
  out.set(http::field::content_type, res.content_type);
  for (auto& [name, value] : res.headers) out.insert(name, value);
  out.body() = std::move(res.body);
  out.keep_alive(keep_alive);
  out.prepare_payload();
  return out;
}

// Stays alive as long as anyone may still reply; `open` turns false when the server stops, so a
// late reply from another thread never touches a destroyed io_context.
struct ReplyGate {
  std::mutex mu;
  bool open = true;
  asio::io_context* ioc = nullptr;
};

// One outstanding asynchronous reply. The session's coroutine owns it and the timer it waits on;
// replies hold only a weak reference.
struct PendingReply {
  std::mutex mu;
  std::optional<Result<Json>> result;
  asio::steady_timer* timer = nullptr;  // touched on the server's thread only
};

}  // namespace

std::string_view HttpRequest::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (EqualsNoCase(n, name)) return v;
  }
  return {};
}

std::string_view HttpRequest::Path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

Result<std::pair<std::string, uint16_t>> ParseHostPort(std::string_view text) {
  std::string host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return MakeError("InvalidAddress", "'" + std::string(text) +
                                             "' is not HOST:PORT (an IPv6 host is [ADDR]:PORT)");
    }
    host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return MakeError("InvalidAddress", "'" + std::string(text) + "' is not HOST:PORT");
    }
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  if (host.empty()) host = "127.0.0.1";
  unsigned port = 0;
  bool digits = !port_text.empty() && port_text.size() <= 5;
  for (char c : port_text) {
    if (c < '0' || c > '9') digits = false;
    if (digits) port = port * 10 + static_cast<unsigned>(c - '0');
  }
  if (!digits || port > 65535) {
    return MakeError("InvalidAddress",
                     "'" + std::string(text) + "': the port must be a number " + "from 0 to 65535");
  }
  return std::make_pair(host, static_cast<uint16_t>(port));
}

struct HttpServer::Impl {
  struct Service {
    JsonService info;
    AsyncJsonHandler handler;
  };

  explicit Impl(HttpServerOptions opts) : options(std::move(opts)) {
    gate->ioc = &ioc;
    routes[{"GET", "/health"}] = [](const HttpRequest&) {
      HttpResponse res;
      res.body = "{\"status\":\"ok\"}";
      return res;
    };
  }

  const Clock& clock() const { return options.clock ? *options.clock : system_clock; }

  HttpServerOptions options;
  SystemClock system_clock;
  std::map<std::string, Service, std::less<>> services;
  std::map<std::pair<std::string, std::string>, RouteHandler> routes;
  asio::io_context ioc{1};
  std::optional<tcp::acceptor> acceptor;
  std::shared_ptr<ReplyGate> gate = std::make_shared<ReplyGate>();
  std::thread thread;
  uint16_t bound_port = 0;
  std::string bound_address;
  bool started = false;
  bool stopped = false;

  asio::awaitable<void> Accept();
  asio::awaitable<void> Serve(tcp::socket socket);
  asio::awaitable<HttpResponse> Dispatch(const HttpRequest& request);
  asio::awaitable<HttpResponse> HandleJson(const HttpRequest& request);
  asio::awaitable<Result<Json>> CallHandler(const Service& service, const JsonRequest& request);
};

asio::awaitable<void> HttpServer::Impl::Accept() {
  for (;;) {
    auto [ec, socket] = co_await acceptor->async_accept(kAwaitTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
      // Out of descriptors, say: wait a little instead of spinning.
      asio::steady_timer pause(ioc, std::chrono::milliseconds(50));
      co_await pause.async_wait(kAwaitTuple);
      continue;
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    asio::co_spawn(ioc, Serve(std::move(socket)), [](const std::exception_ptr&) {});
  }
}

// Answers a request the server refuses to read further (too large, malformed) and closes the
// connection gently: the client may still be sending its body, and closing a socket with unread
// data would reset the connection before the client read the answer (RFC 9112 §9.6).
asio::awaitable<void> RefuseAndClose(beast::tcp_stream& stream, HttpResponse res) {
  auto out = ToBeast(std::move(res), 11, /*keep_alive=*/false);
  stream.expires_after(kLingerTime);
  auto [ec, n] = co_await http::async_write(stream, out, kAwaitTuple);
  if (ec) co_return;
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  std::vector<char> scratch(size_t{64} * 1024);
  size_t drained = 0;
  while (drained < kLingerBytes) {
    auto [read_ec, got] = co_await stream.async_read_some(asio::buffer(scratch), kAwaitTuple);
    if (read_ec) break;
    drained += got;
  }
  stream.socket().close(ignored);
}

asio::awaitable<void> HttpServer::Impl::Serve(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  const size_t limit = options.max_body_bytes;
  auto too_large = [limit] {
    return JsonErrorResponse(413, "RequestTooLargeException",
                             "Request must be smaller than " + std::to_string(limit) + " bytes", "",
                             NewRequestId());
  };
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(limit);
    stream.expires_after(options.idle_timeout);
    auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, kAwaitTuple);
    if (ec == http::error::body_limit) {  // Content-Length over the limit
      co_await RefuseAndClose(stream, too_large());
      co_return;
    }
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::error::eof) {
      co_return;
    }
    if (ec) {
      co_await RefuseAndClose(
          stream, JsonErrorResponse(400, "BadRequest", "Malformed HTTP request: " + ec.message(),
                                    "", NewRequestId()));
      co_return;
    }
    // "Expect: 100-continue": the client waits for a go-ahead before it sends the body.
    if (EqualsNoCase(parser.get()[http::field::expect], "100-continue")) {
      http::response<http::empty_body> go_on{http::status::continue_, parser.get().version()};
      auto [wec, wn] = co_await http::async_write(stream, go_on, kAwaitTuple);
      if (wec) co_return;
    }
    stream.expires_after(std::max(options.idle_timeout, std::chrono::seconds(60)));
    auto [body_ec, body_n] = co_await http::async_read(stream, buffer, parser, kAwaitTuple);
    if (body_ec == http::error::body_limit) {  // a chunked body that grew past the limit
      co_await RefuseAndClose(stream, too_large());
      co_return;
    }
    if (body_ec) co_return;

    http::request<http::string_body> beast_req = parser.release();
    HttpRequest request;
    request.method = std::string(beast_req.method_string());
    request.target = std::string(beast_req.target());
    for (const auto& field : beast_req) {
      request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = std::move(beast_req.body());
    bool keep_alive = beast_req.keep_alive();
    unsigned version = beast_req.version();

    HttpResponse res = co_await Dispatch(request);
    auto out = ToBeast(std::move(res), version, keep_alive);
    stream.expires_after(options.idle_timeout);
    auto [wec, wn] = co_await http::async_write(stream, out, kAwaitTuple);
    if (wec || !keep_alive) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<HttpResponse> HttpServer::Impl::Dispatch(const HttpRequest& request) {
  std::string_view path = request.Path();
  auto route = routes.find({request.method, std::string(path)});
  if (route != routes.end()) {
    try {
      co_return route->second(request);
    } catch (const std::exception& e) {
      co_return JsonErrorResponse(500, "InternalFailure", e.what(), "", NewRequestId());
    }
  }
  if (path == "/" && request.method == "POST") co_return co_await HandleJson(request);
  co_return JsonErrorResponse(404, "UnknownOperationException",
                              "No route for " + request.method + " " + std::string(path), "",
                              NewRequestId());
}

asio::awaitable<HttpResponse> HttpServer::Impl::HandleJson(const HttpRequest& request) {
  std::string request_id = NewRequestId();
  // X-Amz-Target: <Prefix>.<Action>, e.g. AWSStepFunctions.StartExecution
  std::string_view target = request.Header("X-Amz-Target");
  size_t dot = target.rfind('.');
  auto service_it =
      dot == std::string_view::npos ? services.end() : services.find(target.substr(0, dot));
  if (service_it == services.end() || dot + 1 >= target.size()) {
    co_return JsonErrorResponse(
        400, "UnknownOperationException",
        target.empty() ? std::string("The request has no X-Amz-Target header")
                       : "Unknown operation: X-Amz-Target '" + std::string(target) + "'",
        kCoralNamespace, request_id);
  }
  const Service& service = service_it->second;

  std::string media = MediaType(request.Header("Content-Type"));
  if (media != kAmzJson && media != "application/x-amz-json-1.1" && media != "application/json") {
    co_return JsonErrorResponse(400, "SerializationException",
                                "Content-Type '" + std::string(request.Header("Content-Type")) +
                                    "' is not supported; send application/x-amz-json-1.0",
                                kCoralNamespace, request_id);
  }

  JsonRequest call;
  call.action = std::string(target.substr(dot + 1));
  call.request_id = request_id;
  call.region = options.region.empty() ? "us-east-1" : options.region;
  if (options.auth == AuthMode::kSigV4) {
    SigV4Request signed_request{request.method, request.target, request.headers, request.body};
    SigV4Options sig_options;
    sig_options.region = options.region;
    sig_options.service = service.info.signing_name;
    Result<SigV4Identity> who = VerifySigV4(signed_request, options.secrets, clock(), sig_options);
    if (!who.ok()) co_return ErrorResponse(who.error(), kCoralNamespace, request_id);
    call.access_key_id = who->access_key_id;
    call.region = who->region;
  }

  if (request.body.empty()) {
    call.body = Json::EmptyObject();
  } else {
    Result<Json> parsed = Json::Parse(request.body);
    if (!parsed.ok()) {
      co_return JsonErrorResponse(400, "SerializationException",
                                  "The request body is not valid JSON: " + parsed.error().message,
                                  kCoralNamespace, request_id);
    }
    if (!parsed->is_object()) {
      co_return JsonErrorResponse(400, "SerializationException",
                                  std::string("The request body must be a JSON object, not ") +
                                      Json::KindName(parsed->kind()),
                                  kCoralNamespace, request_id);
    }
    call.body = std::move(*parsed);
  }

  Result<Json> result = co_await CallHandler(service, call);
  if (!result.ok())
    co_return ErrorResponse(result.error(), service.info.error_namespace, request_id);
  HttpResponse res;
  res.content_type = kAmzJson;
  res.body = result->Dump();
  res.headers.emplace_back("x-amzn-RequestId", request_id);
  co_return res;
}

asio::awaitable<Result<Json>> HttpServer::Impl::CallHandler(const Service& service,
                                                            const JsonRequest& request) {
  auto pending = std::make_shared<PendingReply>();
  asio::steady_timer timer(ioc, asio::steady_timer::time_point::max());
  pending->timer = &timer;
  // The reply's thread may still hold `pending` when this coroutine has returned (it saw the
  // result before the wake-up ran), so the wake-up must find out that the timer is gone.
  struct ForgetTimer {
    PendingReply* p;
    ~ForgetTimer() { p->timer = nullptr; }
  } forget_timer{pending.get()};
  std::weak_ptr<PendingReply> weak = pending;
  JsonReply reply = [weak, gate = gate](Result<Json> result) {
    {
      std::shared_ptr<PendingReply> p = weak.lock();
      if (!p) return;
      std::lock_guard lock(p->mu);
      if (p->result) return;  // "later calls are ignored"
      p->result.emplace(std::move(result));
    }
    std::lock_guard lock(gate->mu);
    if (!gate->open) return;
    asio::post(*gate->ioc, [weak] {
      std::shared_ptr<PendingReply> q = weak.lock();
      if (q && q->timer) q->timer->cancel();
    });
  };
  try {
    service.handler(request, reply);
  } catch (const std::exception& e) {
    reply(MakeError("InternalFailure",
                    std::string("The handler of ") + request.action + " failed: " + e.what()));
  }
  for (;;) {
    {
      std::lock_guard lock(pending->mu);
      if (pending->result) co_return std::move(*pending->result);
    }
    co_await timer.async_wait(kAwaitTuple);
  }
}

HttpServer::HttpServer(HttpServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::AddJsonService(JsonService service, JsonHandler handler) {
  AddAsyncJsonService(std::move(service), [handler = std::move(handler)](const JsonRequest& request,
                                                                         const JsonReply& reply) {
    reply(handler(request));
  });
}

void HttpServer::AddAsyncJsonService(JsonService service, AsyncJsonHandler handler) {
  std::string prefix = service.target_prefix;
  impl_->services[prefix] = Impl::Service{std::move(service), std::move(handler)};
}

void HttpServer::AddRoute(std::string method, std::string path, RouteHandler handler) {
  impl_->routes[{std::move(method), std::move(path)}] = std::move(handler);
}

Status HttpServer::Start() {
  Impl& s = *impl_;
  const std::string where = s.options.host + ":" + std::to_string(s.options.port);
  if (s.started) return MakeError("AlreadyStarted", "the HTTP server on " + where + " is running");
  if (s.options.auth == AuthMode::kSigV4 && !s.options.secrets) {
    return MakeError("NoCredentials",
                     "the HTTP server on " + where + " verifies signatures but has no access keys");
  }
  boost::system::error_code ec;
  tcp::resolver resolver(s.ioc);
  auto endpoints = resolver.resolve(s.options.host, std::to_string(s.options.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty()) {
    return MakeError("ListenFailed", "cannot listen on " + where + ": " +
                                         (ec ? ec.message() : "the host has no address"));
  }
  tcp::endpoint endpoint = endpoints.begin()->endpoint();
  s.acceptor.emplace(s.ioc);
  s.acceptor->open(endpoint.protocol(), ec);
  if (!ec) s.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor->bind(endpoint, ec);
  if (!ec) s.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    s.acceptor.reset();
    return MakeError("ListenFailed", "cannot listen on " + where + ": " + ec.message());
  }
  tcp::endpoint bound = s.acceptor->local_endpoint(ec);
  s.bound_port = bound.port();
  std::string host = bound.address().to_string();
  s.bound_address =
      (bound.address().is_v6() ? "[" + host + "]" : host) + ":" + std::to_string(s.bound_port);
  asio::co_spawn(s.ioc, s.Accept(), [](const std::exception_ptr&) {});
  s.started = true;
  s.thread = std::thread([&s] {
    for (;;) {
      try {
        s.ioc.run();
        return;
      } catch (...) {
        // A handler threw past its own guard; keep serving the other connections.
      }
    }
  });
  return {};
}

uint16_t HttpServer::port() const { return impl_->bound_port; }

std::string HttpServer::address() const { return impl_->bound_address; }

void HttpServer::Stop() {
  Impl& s = *impl_;
  if (!s.started || s.stopped) return;
  s.stopped = true;
  {
    std::lock_guard lock(s.gate->mu);
    s.gate->open = false;
  }
  s.ioc.stop();
  if (s.thread.joinable()) s.thread.join();
  boost::system::error_code ignored;
  if (s.acceptor) s.acceptor->close(ignored);
}

}  // namespace wharf::api
