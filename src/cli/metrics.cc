#include "cli/metrics.h"

#include <set>

#include <fmt/format.h>

namespace wharf::cli {

std::string RenderMetrics(const std::vector<Metric>& metrics) {
  std::string out;
  std::set<std::string> described;
  for (const Metric& m : metrics) {
    if (described.insert(m.name).second) {
      out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", m.name, m.help, m.name, m.type);
    }
    out += m.labels.empty() ? fmt::format("{} {}\n", m.name, m.value)
                            : fmt::format("{}{{{}}} {}\n", m.name, m.labels, m.value);
  }
  return out;
}

}  // namespace wharf::cli
