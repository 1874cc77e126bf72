// `wharf events`: lists the events of the event bus (uploads, downloads, deletes, renames with
// their Transfer Family and S3 events; execution status changes), then those the landing store
// holds that the bus has not taken yet. `wharf cat`: prints one file of the landing store. Both
// read the data folder directly, also while `wharf serve` runs.
// Thread-safety: called once from main.
#pragma once

#include <string>
#include <vector>

namespace wharf::cli {

extern const char kEventsHelp[];

extern const char kCatHelp[];

// Return the process's exit code.
int EventsCommand(const std::vector<std::string>& args);
int CatCommand(const std::vector<std::string>& args);

}  // namespace wharf::cli
