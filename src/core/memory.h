// Process-wide allocator settings for wharf's binaries, and the buffers that must not stay behind
// in the allocator once freed.
#pragma once

#include <cstddef>

namespace wharf {

// Tells glibc's malloc to keep freed memory for reuse instead of returning it to the kernel
// after every large free. An execution allocates and frees its history and its Map frames as a
// whole; without this, each execution pays for unmapping and faulting in the same pages again
// (measured: 4x on a 10,000-item Map, see bench/README.md). wharf is a long-running service, so
// holding on to its peak heap is the right trade. The cap of 64 MiB of retained free memory is
// per malloc arena, and each thread that allocates has one (up to 8 per core): the free space at
// the top of an arena is never given back below the cap, so a block freed there stays resident.
// Call once at start-up, before other threads exist.
void TuneAllocator();

// A byte buffer for the large pieces of file transfers. From kMapAtLeast bytes up it is an
// anonymous mapping of its own, whose pages go back to the kernel when it is freed;
// from malloc, under TuneAllocator, a thread that once moved a large file would keep its
// megabytes of buffers in its arena for the life of the process. Smaller buffers come from the
// heap: a mapping costs two system calls and a page fault per page touched, more than a small
// file's transfer should pay.
// A buffer only grows (Reserve), and its contents are lost when it does. Allocation failure throws
// std::bad_alloc.
// Thread-safety: none; one owner at a time (it may move between threads).
class PageBuffer {
 public:
  static constexpr size_t kMapAtLeast = 128 * 1024;

  PageBuffer() = default;
  explicit PageBuffer(size_t size) { Reserve(size); }
  ~PageBuffer() { Free(); }
  PageBuffer(PageBuffer&& other) noexcept;
  PageBuffer& operator=(PageBuffer&& other) noexcept;
  PageBuffer(const PageBuffer&) = delete;
  PageBuffer& operator=(const PageBuffer&) = delete;

  char* data() { return data_; }
  const char* data() const { return data_; }
  size_t size() const { return size_; }
  bool mapped() const { return mapped_ != 0; }  // for tests

  // Makes the buffer at least `size` bytes long. When it must grow, the old bytes are freed and
  // the new ones are unspecified.
  void Reserve(size_t size);

 private:
  void Free();
  char* data_ = nullptr;
  size_t size_ = 0;
  size_t mapped_ = 0;  // the mapping's length; 0 when the bytes come from the heap
};

}  // namespace wharf
