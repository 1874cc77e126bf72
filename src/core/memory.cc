#include "core/memory.h"

#include <malloc.h>

namespace wharf {

void TuneAllocator() {
  // Blocks up to 32 MiB come from the heap rather than fresh mmap()s, and up to 64 MiB of free
  // heap stay mapped.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

}  // namespace wharf
