#include "events/webhook.h"

#include <curl/curl.h>

#include <mutex>
#include <string>

#include <fmt/format.h>

namespace wharf::events {
namespace {

size_t Collect(char* data, size_t size, size_t count, void* out) {
  auto* body = static_cast<std::string*>(out);
  size_t n = size * count;
  if (body->size() < 512) body->append(data, std::min(n, 512 - body->size()));
  return n;
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

bool IsWebhookArn(std::string_view arn) {
  return arn.starts_with("http://") || arn.starts_with("https://");
}

InvokeResult PostWebhook(const Invocation& call, std::chrono::milliseconds timeout) {
  GlobalInit();
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return {false, true, "cannot start an HTTP request (out of memory)"};
  bool json = Json::Parse(call.input).ok();
  curl_slist* headers = nullptr;
  headers = curl_slist_append(
      headers, json ? "Content-Type: application/json" : "Content-Type: text/plain; charset=utf-8");
  for (const std::string& h : {fmt::format("Idempotency-Key: {}", call.idempotency_key),
                               fmt::format("X-Wharf-Event-Id: {}", call.event_id),
                               fmt::format("X-Wharf-Rule: {}", call.rule),
                               fmt::format("X-Wharf-Target: {}", call.target_id),
                               fmt::format("X-Wharf-Attempt: {}", call.attempt)}) {
    headers = curl_slist_append(headers, h.c_str());
  }
  std::string response;
  char error[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(curl, CURLOPT_URL, call.target_arn.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, call.input.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.input.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "wharf-events");
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) {
    return {false, true,
            fmt::format("POST {}: {}", call.target_arn, error[0] ? error : curl_easy_strerror(rc))};
  }
  if (status >= 200 && status < 300) return {};
  bool retry = status == 408 || status == 429 || status >= 500;
  return {false, retry,
          fmt::format("POST {}: HTTP {}{}{}", call.target_arn, status, response.empty() ? "" : ": ",
                      response)};
}

}  // namespace wharf::events
