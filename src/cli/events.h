// `wharf events`: lists the events the landing store holds for the event bus (uploads,
// downloads, deletes, renames; their Transfer Family and S3 events), read from the data folder,
// also while `wharf serve` runs. The events issue consumes them later; until then they stay.
// Thread-safety: called once from main.
#pragma once

#include <string>
#include <vector>

namespace wharf::cli {

extern const char kEventsHelp[];

// Returns the process's exit code.
int EventsCommand(const std::vector<std::string>& args);

}  // namespace wharf::cli
