// Webhook targets: a rule's target whose Arn is an http:// or https:// URL gets each event as an
// HTTP POST (libcurl). The body is the target's input (TargetInput::Render): Content-Type
// application/json when it is JSON, text/plain otherwise. Headers say what it is:
//   Idempotency-Key: the delivery's key (the same on every attempt; a receiver dedupes on it)
//   X-Wharf-Event-Id, X-Wharf-Rule, X-Wharf-Target, X-Wharf-Attempt
// Outcome, as EventBridge's API destinations: 2xx delivered; 408, 429, 5xx, a timeout or a
// connection that fails retry (the bus backs off); any other status refuses the event for good
// (dead letter, with the status and the start of the response body).
// Thread-safety: PostWebhook may run on many threads at once.
#pragma once

#include <chrono>
#include <string_view>

#include "events/bus.h"

namespace wharf::events {

bool IsWebhookArn(std::string_view arn);  // http:// or https://

InvokeResult PostWebhook(const Invocation& call,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace wharf::events
