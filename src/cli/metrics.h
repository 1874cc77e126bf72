// The `GET /metrics` page of `wharf serve`: what the service counts, in the Prometheus text
// exposition format (version 0.0.4), so any Prometheus-compatible scraper reads it.
//
// The figures are read when the page is asked for, from the parts that keep them (the lockout's
// counters, the servers' session counts, the engine's statistics); nothing is kept twice.
#pragma once

#include <string>
#include <vector>

namespace wharf::cli {

struct Metric {
  std::string name;    // wharf_ingest_lockouts_total
  std::string type;    // "counter" or "gauge"
  std::string help;    // one line
  std::string labels;  // `protocol="sftp"`, or empty
  double value = 0;
};

// The page: one HELP and TYPE line per metric name (the first time it appears), then a sample
// line per metric.
std::string RenderMetrics(const std::vector<Metric>& metrics);

}  // namespace wharf::cli
