#include "core/memory.h"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <new>
#include <utility>

namespace wharf {

void TuneAllocator() {
  // Blocks up to 32 MiB come from the heap rather than fresh mmap()s, and up to 64 MiB of free
  // heap stay mapped.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

PageBuffer::PageBuffer(PageBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      mapped_(std::exchange(other.mapped_, 0)) {}

PageBuffer& PageBuffer::operator=(PageBuffer&& other) noexcept {
  if (this != &other) {
    Free();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    mapped_ = std::exchange(other.mapped_, 0);
  }
  return *this;
}

void PageBuffer::Reserve(size_t size) {
  if (size <= size_) return;
  Free();
  if (size < kMapAtLeast) {
    data_ = static_cast<char*>(std::malloc(size));
    if (data_ == nullptr) throw std::bad_alloc();
  } else {
    static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    size_t length = (size + page - 1) / page * page;
    void* p = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    data_ = static_cast<char*>(p);
    mapped_ = length;
  }
  size_ = size;
}

void PageBuffer::Free() {
  if (data_ != nullptr) {
    if (mapped_ != 0) {
      munmap(data_, mapped_);
    } else {
      std::free(data_);
    }
  }
  data_ = nullptr;
  size_ = 0;
  mapped_ = 0;
}

}  // namespace wharf
