// HttpServer: wharf's HTTP/1.1 server. It serves the AWS JSON 1.0 protocol (POST / with
// `X-Amz-Target: <Prefix>.<Action>`) for the services registered with it, verifying the SigV4
// signature of every such request, plus plain routes such as `GET /health`.
//
// The server runs one Boost.Asio io_context on a thread of its own, with keep-alive connections
// and a request body limit. Only http_server.cc includes Boost.Beast; this header is plain C++.
//
// The AWS JSON 1.0 wire contract it keeps (what the AWS SDKs read):
//   - request: POST /, `Content-Type: application/x-amz-json-1.0`, `X-Amz-Target:
//     AWSStepFunctions.ListStateMachines`, a JSON object as the body (an empty body counts as {});
//   - success: 200 with the handler's JSON document;
//   - error: 400 (500 for internal failures), `x-amzn-ErrorType: <Code>` and the body
//     {"__type": "<namespace>#<Code>", "message": "..."}. The JavaScript SDK v3 takes the code from
//     `__type` (the part after '#'), then `code`, then the header; the message from `message`.
//
// Thread-safety: register services and routes before Start(). Start() and Stop() from one
// thread. Handlers run on the server's thread, one at a time: a handler that may block for long
// (StartSyncExecution waits for an execution) should use the asynchronous form and reply from
// another thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/sigv4.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/result.h"

namespace wharf::api {

// A request as the server hands it to a plain route.
struct HttpRequest {
  std::string method;
  std::string target;  // path and query, as on the wire
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The first header of that name (case-insensitive), or "" when there is none.
  std::string_view Header(std::string_view name) const;
  // The target without its query string.
  std::string_view Path() const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// One AWS JSON protocol call, as a service handler sees it.
struct JsonRequest {
  std::string action;         // "ListStateMachines"
  Json body;                  // always an object
  std::string access_key_id;  // who signed it; empty in unauthenticated mode
  std::string region;         // the signer's credential scope; the server's region when unsigned
  std::string request_id;     // also sent back as x-amzn-RequestId
};

// Replies to a JsonRequest. Call it exactly once, from any thread; later calls are ignored.
// An Error's code becomes the AWS error name (`StateMachineDoesNotExist`), its message the
// message.
using JsonReply = std::function<void(Result<Json>)>;
using JsonHandler = std::function<Result<Json>(const JsonRequest&)>;
// The JsonRequest stays valid until the reply is called.
using AsyncJsonHandler = std::function<void(const JsonRequest&, JsonReply)>;
using RouteHandler = std::function<HttpResponse(const HttpRequest&)>;

// An AWS JSON service: the X-Amz-Target prefix it answers to and the name its requests are signed
// for.
struct JsonService {
  std::string target_prefix;  // "AWSStepFunctions"
  std::string signing_name;   // "states": the service in the SigV4 credential scope
  // Prefixed to error codes in `__type` ("com.amazonaws.swf.service.v2.model" gives
  // "com.amazonaws.swf.service.v2.model#ExecutionDoesNotExist"); empty sends the bare code.
  std::string error_namespace;
};

enum class AuthMode {
  kSigV4,  // every AWS protocol request must carry a valid SigV4 signature (the default)
  kNone,   // unauthenticated local mode: signatures are not checked
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0 picks a free port; see HttpServer::port()
  size_t max_body_bytes = size_t{8} * 1024 * 1024;
  AuthMode auth = AuthMode::kSigV4;
  SecretLookup secrets;  // access key id -> secret; required for kSigV4
  // The region requests must be signed for; empty accepts any. Also the JsonRequest::region of
  // unsigned requests ("us-east-1" when empty).
  std::string region;
  const Clock* clock = nullptr;  // for the signature's date check; nullptr: the system clock
  std::chrono::seconds idle_timeout = std::chrono::seconds(60);  // keep-alive connections
};

// Parses "HOST:PORT", "[IPv6]:PORT" or ":PORT" (host 127.0.0.1), as `--http` takes it.
Result<std::pair<std::string, uint16_t>> ParseHostPort(std::string_view text);

class HttpServer {
 public:
  explicit HttpServer(HttpServerOptions options);
  ~HttpServer();  // stops the server
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // REQUIRES: before Start(); one registration per prefix.
  void AddJsonService(JsonService service, JsonHandler handler);
  void AddAsyncJsonService(JsonService service, AsyncJsonHandler handler);
  // An exact-path route (`GET /health` is built in). REQUIRES: before Start().
  void AddRoute(std::string method, std::string path, RouteHandler handler);

  // Binds, listens and starts serving on the server's thread. The error names the address.
  Status Start();
  // The bound port (the chosen one when options.port was 0). REQUIRES: Start() succeeded.
  uint16_t port() const;
  // "HOST:PORT" as bound, for printing where the server listens.
  std::string address() const;
  // Closes the listener and every connection and joins the thread. Idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wharf::api
