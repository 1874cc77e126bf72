// Process-wide allocator settings for wharf's binaries.
// Thread-safety: call once at start-up, before other threads exist.
#pragma once

namespace wharf {

// Tells glibc's malloc to keep freed memory for reuse instead of returning it to the kernel
// after every large free. An execution allocates and frees its history and its Map frames as a
// whole; without this, each execution pays for unmapping and faulting in the same pages again
// (measured: 4x on a 10,000-item Map, see bench/README.md). wharf is a long-running service, so
// holding on to its peak heap is the right trade; the cap is 64 MiB of retained free memory.
void TuneAllocator();

}  // namespace wharf
