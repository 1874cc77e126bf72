// PageBuffer, of core/memory.h.
#include "core/memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace wharf {
namespace {

// Whether [p, p + bytes) is mapped in this process: mincore fails with ENOMEM on a range that
// is not.
bool Mapped(const void* p, size_t bytes) {
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  auto start = reinterpret_cast<uintptr_t>(p) / page * page;
  std::vector<unsigned char> pages((bytes + page - 1) / page + 1);
  int rc = mincore(reinterpret_cast<void*>(start), bytes, pages.data());
  return rc == 0 || errno != ENOMEM;
}

TEST(PageBufferTest, SmallBuffersComeFromTheHeapLargeOnesAreMappings) {
  PageBuffer empty;
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_EQ(empty.data(), nullptr);

  PageBuffer small(16 * 1024);
  EXPECT_EQ(small.size(), 16u * 1024);
  EXPECT_FALSE(small.mapped());
  std::memset(small.data(), 1, small.size());

  PageBuffer large(PageBuffer::kMapAtLeast);
  EXPECT_TRUE(large.mapped());
  EXPECT_EQ(large.size(), PageBuffer::kMapAtLeast);
  std::memset(large.data(), 2, large.size());
  EXPECT_TRUE(Mapped(large.data(), large.size()));
}

TEST(PageBufferTest, AFreedMappingIsGivenBack) {
  const char* at = nullptr;
  size_t bytes = 4 * 1024 * 1024;
  {
    PageBuffer buffer(bytes);
    std::memset(buffer.data(), 3, bytes);
    at = buffer.data();
    ASSERT_TRUE(Mapped(at, bytes));
  }
  EXPECT_FALSE(Mapped(at, bytes)) << "the pages of a freed PageBuffer are still mapped";
}

TEST(PageBufferTest, ReserveOnlyGrowsAndGivesTheOldBytesBack) {
  PageBuffer buffer(16 * 1024);
  char* first = buffer.data();
  buffer.Reserve(1000);  // smaller: kept as it is
  EXPECT_EQ(buffer.data(), first);
  EXPECT_EQ(buffer.size(), 16u * 1024);

  buffer.Reserve(1024 * 1024);  // from the heap to a mapping
  EXPECT_TRUE(buffer.mapped());
  EXPECT_EQ(buffer.size(), 1024u * 1024);
  std::memset(buffer.data(), 4, buffer.size());
  const char* mapping = buffer.data();

  buffer.Reserve(2 * 1024 * 1024);  // a bigger mapping; the old one goes
  EXPECT_EQ(buffer.size(), 2u * 1024 * 1024);
  std::memset(buffer.data(), 5, buffer.size());
  // The new mapping may take the old one's place; elsewhere, the old one must be gone.
  if (buffer.data() != mapping) {
    EXPECT_FALSE(Mapped(mapping, 1024 * 1024));
  }
}

TEST(PageBufferTest, MovesHandOverTheBytes) {
  PageBuffer a(1024 * 1024);
  std::memset(a.data(), 6, a.size());
  char* bytes = a.data();
  PageBuffer b(std::move(a));
  EXPECT_EQ(b.data(), bytes);
  EXPECT_EQ(b.size(), 1024u * 1024);
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(a.data(), nullptr);

  PageBuffer c(16 * 1024);
  c = std::move(b);
  EXPECT_EQ(c.data(), bytes);
  EXPECT_TRUE(c.mapped());
  std::swap(a, c);
  EXPECT_EQ(a.data(), bytes);
  EXPECT_EQ(a.data()[1024 * 1024 - 1], 6);
  EXPECT_EQ(c.size(), 0u);
}

}  // namespace
}  // namespace wharf
