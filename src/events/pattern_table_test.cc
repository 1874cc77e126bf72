// The table of pattern/event/verdict rows in testdata/patterns.json: each row alone, and all the
// rows' patterns in one Matcher, whose answer for each row's event must be exactly the rows whose
// pattern matches that event.
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "events/matcher.h"
#include "events/pattern.h"

namespace wharf::events {
namespace {

struct Row {
  std::string id;
  std::string note;
  Json event;
  Pattern pattern;
  bool matches = false;
};

std::vector<Row> LoadRows() {
  std::string path = std::string(WHARF_SOURCE_DIR) + "/src/events/testdata/patterns.json";
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream text;
  text << in.rdbuf();
  auto table = Json::Parse(text.str());
  EXPECT_TRUE(table.ok()) << path << ": " << table.error().message;
  std::vector<Row> rows;
  if (!table.ok()) return rows;
  for (size_t i = 0; i < table->size(); ++i) {
    const Json& r = *table->at(i);
    Row row;
    char id[32];
    std::snprintf(id, sizeof id, "row-%03zu", i);
    row.id = id;
    row.note = r.find("note")->as_string();
    row.event = *r.find("event");
    row.matches = r.find("matches")->as_bool();
    auto p = Pattern::Compile(r.find("pattern")->Dump());
    EXPECT_TRUE(p.ok()) << row.id << " (" << row.note << "): " << p.error().message;
    if (!p.ok()) continue;
    row.pattern = std::move(*p);
    rows.push_back(std::move(row));
  }
  return rows;
}

const std::vector<Row>& Rows() {
  static const std::vector<Row> rows = LoadRows();
  return rows;
}

TEST(PatternTable, HasEnoughRowsOfBothVerdicts) {
  const auto& rows = Rows();
  size_t yes = 0;
  for (const auto& r : rows) yes += r.matches;
  EXPECT_GE(rows.size(), 200u);
  EXPECT_GE(yes, 60u);
  EXPECT_GE(rows.size() - yes, 60u);
}

TEST(PatternTable, EachRowAlone) {
  for (const auto& r : Rows()) {
    EXPECT_EQ(r.pattern.Matches(r.event), r.matches) << r.id << ": " << r.note;
  }
}

void ExpectSameAsSinglePatterns(const Matcher& matcher, const std::vector<Row>& rows,
                                const std::set<std::string>& held) {
  for (const auto& r : rows) {
    std::set<std::string> want;
    for (const auto& other : rows) {
      if (!held.contains(other.id)) continue;
      bool m = &other == &r ? other.matches : other.pattern.Matches(r.event);
      if (m) want.insert(other.id);
    }
    auto got_list = matcher.Match(r.event);
    std::set<std::string> got(got_list.begin(), got_list.end());
    EXPECT_EQ(got.size(), got_list.size()) << "duplicates for the event of " << r.id;
    if (got == want) continue;
    std::string diff;
    for (const auto& id : want) {
      if (!got.contains(id)) diff += " missing " + id;
    }
    for (const auto& id : got) {
      if (!want.contains(id)) diff += " extra " + id;
    }
    ADD_FAILURE() << "event of " << r.id << " (" << r.note << "):" << diff;
  }
}

TEST(PatternTable, OneMatcherHoldingEveryRow) {
  const auto& rows = Rows();
  Matcher matcher;
  std::set<std::string> held;
  for (const auto& r : rows) {
    matcher.Add(r.id, r.pattern);
    held.insert(r.id);
  }
  ASSERT_EQ(matcher.size(), rows.size());
  ExpectSameAsSinglePatterns(matcher, rows, held);

  // Removing every other rule leaves the automaton answering for the rest ...
  for (size_t i = 0; i < rows.size(); i += 2) {
    EXPECT_TRUE(matcher.Remove(rows[i].id));
    held.erase(rows[i].id);
  }
  ExpectSameAsSinglePatterns(matcher, rows, held);
  // ... and adding them back restores it.
  for (size_t i = 0; i < rows.size(); i += 2) {
    matcher.Add(rows[i].id, rows[i].pattern);
    held.insert(rows[i].id);
  }
  ExpectSameAsSinglePatterns(matcher, rows, held);

  // Removing everything frees every state but the root.
  for (const auto& r : rows) EXPECT_TRUE(matcher.Remove(r.id));
  EXPECT_EQ(matcher.stats().states, 1u);
  EXPECT_EQ(matcher.stats().fields, 0u);
  EXPECT_TRUE(matcher.Match(rows[0].event).empty());
}

}  // namespace
}  // namespace wharf::events
