// Json: an immutable JSON value that is cheap to copy.
//
// Arrays, objects and strings are held by reference-counted pointers to immutable nodes, so copying
// a Json copies a pointer, never a document. A change (Set, Append) builds a new node for the path
// that changed and shares every other subtree with the original. This is what lets a state machine
// pass a large document through Parallel branches, Map items and ResultPath without deep copies
// (see docs/json.md for the choice and the measurements).
//
// Objects keep their keys in insertion order, as Step Functions prints them.
// Numbers are either integers (int64) or doubles; "1.0" stays a double and prints as "1.0".
//
// Thread-safety: a Json may be read and copied from any number of threads at once; nodes are
// never modified after construction (reference counts are atomic).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace wharf {

class Json;
using JsonArray = std::vector<Json>;
using JsonMember = std::pair<std::string, Json>;

class JsonObject;

class Json {
 public:
  enum class Kind : uint8_t { kNull, kBool, kInt, kDouble, kString, kArray, kObject };

  Json() : i_(0) {}
  static Json Null() { return Json(); }
  static Json Bool(bool b);
  static Json Int(int64_t i);
  static Json Double(double d);
  static Json String(std::string s);
  static Json Array(JsonArray items);
  static Json Object(std::vector<JsonMember> members);  // later duplicates replace earlier keys
  static const Json& EmptyObject();
  static const Json& EmptyArray();

  // Parses RFC 8259 JSON. The error message gives line and column.
  static Result<Json> Parse(std::string_view text);

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_int() const { return kind_ == Kind::kInt; }
  bool is_double() const { return kind_ == Kind::kDouble; }
  bool is_number() const { return kind_ == Kind::kInt || kind_ == Kind::kDouble; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_array() const { return kind_ == Kind::kArray; }
  bool is_object() const { return kind_ == Kind::kObject; }

  // REQUIRES: the matching kind (as_double also accepts an integer).
  bool as_bool() const { return b_; }
  int64_t as_int() const { return i_; }
  double as_double() const { return kind_ == Kind::kInt ? static_cast<double>(i_) : d_; }
  const std::string& as_string() const;
  const JsonArray& as_array() const;
  const JsonObject& as_object() const;

  // Object member lookup; nullptr when this is not an object or has no such key.
  const Json* find(std::string_view key) const;
  // Array element; nullptr when out of range or not an array.
  const Json* at(size_t index) const;
  // Number of members or elements; 0 for scalars.
  size_t size() const;

  // Returns a copy of this object with `key` set to `value` (replaced in place or appended).
  // Members other than `key` are shared, not copied. REQUIRES: is_object().
  Json Set(std::string_view key, Json value) const;

  // Serializes compactly, as Step Functions prints documents.
  std::string Dump() const;
  void DumpTo(std::string& out) const;
  // Serializes with two-space indentation, for people.
  std::string Pretty() const;

  // Deep structural equality; an integer equals the double of the same value.
  friend bool operator==(const Json& a, const Json& b);
  friend bool operator!=(const Json& a, const Json& b) { return !(a == b); }

  // True when both refer to the same node (or are equal scalars): a cheap "unchanged" test.
  bool SameNode(const Json& other) const;

  // A short name of the kind, for messages ("string", "object", ...).
  static const char* KindName(Kind kind);

 private:
  Kind kind_ = Kind::kNull;
  union {
    bool b_;
    int64_t i_;
    double d_;
  };
  std::shared_ptr<const void> p_;
};

// The members of a JSON object in insertion order, with an index for large objects.
class JsonObject {
 public:
  explicit JsonObject(std::vector<JsonMember> members);
  const std::vector<JsonMember>& members() const { return members_; }
  size_t size() const { return members_.size(); }
  bool empty() const { return members_.empty(); }
  auto begin() const { return members_.begin(); }
  auto end() const { return members_.end(); }
  const Json* find(std::string_view key) const;

 private:
  std::vector<JsonMember> members_;
  std::vector<uint32_t> sorted_;  // member indexes sorted by key; filled only for large objects
};

// Appends `s` as a JSON string literal (with quotes) to `out`.
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace wharf
