// YAML for wharf's configuration files: a parser that turns a YAML stream into a plain tree of
// `yaml::Node`s (yaml-cpp does the scanning, behind this header), and a `yaml::Reader` that reads
// typed values out of the tree with messages that name the file, the line, the column and the key
// path: "wharf.yaml:12:5: functions.preprocess.timeout: must be ..., got -3".
//
// What the parser decides, so that nothing downstream has to:
//   - Scalars are typed by the YAML 1.2 core schema (null, bool, int, float, str; see
//     ScalarType). `yes`, `no`, `on` and `off` are strings, not booleans; quoted scalars are
//     always strings; the explicit tags !!str, !!int, !!float, !!bool and !!null are honoured and
//     any other tag is an error.
//   - A mapping's keys are unique (YAML 1.2 §3.2.1.1); a repeated key is an error.
//   - Aliases are expanded into copies, within a budget of nodes and bytes, so an alias bomb is
//     an error and not an out-of-memory; an alias to an enclosing node (a cycle) is an error.
//   - The merge key `<<` (YAML 1.1 merge type) inserts the keys of a mapping (or of a list of
//     mappings) that the mapping does not already have.
//   - One document per stream; an empty stream is a null node. Every scalar is valid UTF-8
//     without NUL characters.
// Nothing in the input makes it crash or throw: every failure is an Error.
//
// Thread-safety: Parse and Reader are reentrant; a Node is a plain value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json.h"
#include "core/result.h"

namespace wharf::yaml {

// A position in the text, 1-based (0: unknown).
struct Mark {
  int line = 0;
  int column = 0;
};

enum class NodeKind : uint8_t { kNull, kScalar, kSequence, kMapping };

// The type of a scalar under the YAML 1.2 core schema (YAML 1.2.2 §10.3.2, tag resolution).
enum class ScalarType : uint8_t { kNull, kBool, kInt, kFloat, kString };

struct Member;

class Node {
 public:
  Node() = default;

  NodeKind kind() const { return kind_; }
  bool is_null() const { return kind_ == NodeKind::kNull; }
  bool is_scalar() const { return kind_ == NodeKind::kScalar; }
  bool is_sequence() const { return kind_ == NodeKind::kSequence; }
  bool is_mapping() const { return kind_ == NodeKind::kMapping; }
  const Mark& mark() const { return mark_; }

  // Scalars. `text` is the content as written (after unescaping); a null node's text is empty.
  ScalarType type() const { return type_; }
  const std::string& text() const { return text_; }
  bool as_bool() const { return b_; }    // REQUIRES: type() == kBool
  int64_t as_int() const { return i_; }  // REQUIRES: type() == kInt
  double as_double() const;              // REQUIRES: type() == kInt or kFloat

  // Sequences: the items. Mappings: the members in the order written. Empty for other kinds.
  const std::vector<Node>& items() const { return items_; }
  const std::vector<Member>& members() const { return members_; }
  // The value of the member whose key is the scalar `key`; nullptr when none (or not a mapping).
  const Node* find(std::string_view key) const;

  // For messages: "-3", "'abc'" (strings quoted), "null", "a sequence", "a mapping".
  std::string Describe() const;

 private:
  friend class Builder;

  NodeKind kind_ = NodeKind::kNull;
  ScalarType type_ = ScalarType::kNull;
  bool b_ = false;
  bool plain_ = false;  // a plain scalar without a tag (only such a "<<" is a merge key)
  int64_t i_ = 0;
  double d_ = 0;
  Mark mark_;
  std::string text_;
  std::vector<Node> items_;
  std::vector<Member> members_;
};

struct Member {
  Node key;
  Node value;
};

struct ParseLimits {
  size_t max_nodes = 1'000'000;                // including the copies that aliases make
  size_t max_scalar_bytes = size_t{64} << 20;  // the same, in bytes of scalar text
};

// Parses a YAML stream that holds at most one document. `file` names the text in messages and
// `error_code` is the code of every Error returned ("FILE:LINE:COL: what").
Result<Node> Parse(std::string_view text, std::string_view file, std::string_view error_code,
                   const ParseLimits& limits = {});

// A mapping checked against the keys its section allows (see Reader::Map).
class Fields {
 public:
  // The value under `key`; nullptr when absent.
  const Node* find(std::string_view key) const;
  const Node& node() const { return *node_; }
  const std::string& path() const { return path_; }
  // `path` + "." + key, for a member's messages.
  std::string PathOf(std::string_view key) const;

 private:
  friend class Reader;
  const Node* node_ = nullptr;
  std::string path_;
};

// Reads typed values out of a parsed tree. Every error has the form
// "FILE:LINE:COL: PATH: message" with the node's mark, and the reader's code.
class Reader {
 public:
  Reader(std::string file, std::string error_code)
      : file_(std::move(file)), code_(std::move(error_code)) {}

  const std::string& file() const { return file_; }

  // "FILE:LINE:COL: PATH" (no PATH part when `path` is empty).
  std::string Where(const Node& at, std::string_view path) const;
  Error Fail(const Node& at, std::string_view path, std::string_view message) const;

  // A mapping (null counts as an empty mapping) whose keys are all scalars and in `allowed`.
  // An unknown key is an error at that key, listing the allowed ones and the closest match.
  Result<Fields> Map(const Node& node, std::string path,
                     std::initializer_list<std::string_view> allowed) const;
  // A mapping (null counts as empty) with scalar keys of any name, e.g. a map of names.
  Result<Fields> AnyMap(const Node& node, std::string path) const;
  // A sequence (null counts as empty).
  Result<const std::vector<Node>*> Sequence(const Node& node, std::string_view path) const;

  // The text of any non-null scalar: `timeout: 30` read as a string is "30".
  Result<std::string> String(const Node& node, std::string_view path) const;
  Result<bool> Bool(const Node& node, std::string_view path) const;
  Result<double> Number(const Node& node, std::string_view path) const;
  Result<int64_t> Integer(const Node& node, std::string_view path) const;
  // Converts a node to Json: null, bool, int, float and str map to their JSON kinds, sequences
  // to arrays, mappings to objects (keys must be scalars and are taken as text). Integers beyond
  // int64 are doubles; .inf and .nan, which JSON cannot hold, are errors. For sections that embed
  // JSON documents (event patterns, inputs).
  Result<Json> ToJson(const Node& node, std::string_view path) const;

 private:
  std::string file_;
  std::string code_;
};

// "unknown key; expected a, b, c (did you mean 'b'?)": the closest allowed key is suggested when
// it is near enough to be a typo.
std::string UnknownKeyMessage(std::string_view key,
                              std::initializer_list<std::string_view> allowed);

// The key path of a sequence item: "auth.access_keys" + 1 -> "auth.access_keys[1]".
std::string ItemPath(std::string_view path, size_t index);

}  // namespace wharf::yaml
