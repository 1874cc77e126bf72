// The client commands' HTTP transport (see client.h): one request per connection with Boost.Beast.
// The only file of cli/ that includes Beast (it is slow to compile).
//
// Beast's timeouts (tcp_stream::expires_after) apply to asynchronous operations only, so each
// step is started asynchronously and the caller's thread runs a private io_context until it is
// done: a blocking call to the caller, with a deadline per step.
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <exception>

#include "cli/client.h"

namespace wharf::cli {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr uint64_t kMaxReplyBytes = 256ull << 20;

Error TransportError(const HttpEndpoint& endpoint, const std::string& what,
                     const beast::error_code& ec) {
  std::string reason =
      ec == beast::error::timeout ? std::string("timed out") : std::string(ec.message());
  return MakeError(
      std::string(kTransportError),
      what + " " + endpoint.url + ": " + reason +
          (what == "cannot connect to" ? " (is `wharf serve` running there? Set the endpoint with "
                                         "--endpoint, --project or $WHARF_ENDPOINT)"
                                       : ""));
}

// Starts an asynchronous operation and runs the io_context until it completes.
template <typename Start>
beast::error_code Run(asio::io_context& io, Start start) {
  beast::error_code result = asio::error::would_block;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  io.restart();
  io.run();
  return result;
}

}  // namespace

std::string HttpReply::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers)
    if (name == lower_name) return value;
  return "";
}

Result<HttpReply> SendHttp(const HttpEndpoint& endpoint, const HttpRequest& request,
                           std::chrono::milliseconds timeout) {
  try {
    asio::io_context io;
    beast::error_code ec;
    tcp::resolver resolver(io);
    auto addresses = resolver.resolve(endpoint.host, endpoint.port, ec);
    if (ec) return TransportError(endpoint, "cannot resolve the host of", ec);

    beast::tcp_stream stream(io);
    stream.expires_after(timeout);
    ec = Run(io, [&](auto handler) { stream.async_connect(addresses, std::move(handler)); });
    if (ec) return TransportError(endpoint, "cannot connect to", ec);

    http::request<http::string_body> out;
    auto verb = http::string_to_verb(request.method);
    if (verb == http::verb::unknown)
      return MakeError(std::string(kTransportError), "unknown HTTP method " + request.method);
    out.method(verb);
    out.target(request.target);
    out.version(11);
    for (const auto& [name, value] : request.headers) out.insert(name, value);
    out.body() = request.body;
    out.prepare_payload();
    stream.expires_after(timeout);
    ec = Run(io, [&](auto handler) { http::async_write(stream, out, std::move(handler)); });
    if (ec) return TransportError(endpoint, "cannot send the request to", ec);

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxReplyBytes);
    stream.expires_after(timeout);
    ec = Run(io,
             [&](auto handler) { http::async_read(stream, buffer, parser, std::move(handler)); });
    if (ec) return TransportError(endpoint, "no complete reply from", ec);

    auto& in = parser.get();
    HttpReply reply;
    reply.status = static_cast<int>(in.result_int());
    for (const auto& field : in) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      reply.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    reply.body = std::move(in.body());
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);  // the peer may have closed first
    return reply;
  } catch (const std::exception& e) {  // Asio throws only for resource exhaustion here
    return MakeError(std::string(kTransportError), endpoint.url + ": " + e.what());
  }
}

}  // namespace wharf::cli
