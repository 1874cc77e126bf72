// yaml::Node accessors and yaml::Reader: typed reads with "FILE:LINE:COL: PATH: message" errors
// (see yaml.h).
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/yaml.h"

namespace wharf::yaml {
namespace {

std::string Located(std::string_view file, const Mark& at) {
  std::string s(file);
  if (at.line > 0) s += ":" + std::to_string(at.line) + ":" + std::to_string(at.column);
  return s;
}

// Levenshtein distance, for "did you mean".
size_t Distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

constexpr size_t kDescribeMax = 40;

}  // namespace

double Node::as_double() const { return type_ == ScalarType::kInt ? static_cast<double>(i_) : d_; }

const Node* Node::find(std::string_view key) const {
  for (const Member& m : members_) {
    if (m.key.is_scalar() && m.key.text_ == key) return &m.value;
  }
  return nullptr;
}

std::string Node::Describe() const {
  switch (kind_) {
    case NodeKind::kNull:
      return "null";
    case NodeKind::kSequence:
      return "a list";
    case NodeKind::kMapping:
      return "a mapping";
    case NodeKind::kScalar:
      break;
  }
  std::string t = text_.size() > kDescribeMax ? text_.substr(0, kDescribeMax) + "..." : text_;
  for (char& c : t) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return type_ == ScalarType::kString ? "'" + t + "'" : t;
}

const Node* Fields::find(std::string_view key) const { return node_->find(key); }

std::string Fields::PathOf(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

std::string UnknownKeyMessage(std::string_view key,
                              std::initializer_list<std::string_view> allowed) {
  std::string list;
  std::string_view closest;
  size_t best = std::numeric_limits<size_t>::max();
  for (std::string_view a : allowed) {
    list += (list.empty() ? "" : ", ") + std::string(a);
    size_t d = Distance(key, a);
    if (d < best) best = d, closest = a;
  }
  std::string message = "unknown key; expected " + (list.empty() ? "none" : list);
  if (!closest.empty() && best <= std::max<size_t>(2, closest.size() / 3))
    message += " (did you mean '" + std::string(closest) + "'?)";
  return message;
}

std::string ItemPath(std::string_view path, size_t index) {
  return std::string(path) + "[" + std::to_string(index) + "]";
}

std::string Reader::Where(const Node& at, std::string_view path) const {
  std::string s = Located(file_, at.mark());
  if (!path.empty()) s += ": " + std::string(path);
  return s;
}

Error Reader::Fail(const Node& at, std::string_view path, std::string_view message) const {
  return MakeError(code_, Where(at, path) + ": " + std::string(message));
}

Result<Fields> Reader::AnyMap(const Node& node, std::string path) const {
  if (!node.is_mapping() && !node.is_null())
    return Fail(node, path, "must be a mapping, got " + node.Describe());
  for (const Member& m : node.members()) {
    if (!m.key.is_scalar())
      return Fail(m.key, path, "a key must be a plain string, got " + m.key.Describe());
  }
  Fields f;
  f.node_ = &node;
  f.path_ = std::move(path);
  return f;
}

Result<Fields> Reader::Map(const Node& node, std::string path,
                           std::initializer_list<std::string_view> allowed) const {
  WHARF_TRY(Fields f, AnyMap(node, std::move(path)));
  for (const Member& m : node.members()) {
    const std::string& key = m.key.text();
    bool known = false;
    for (std::string_view a : allowed) known |= a == key;
    if (known) continue;
    std::string message = UnknownKeyMessage(key, allowed);
    return Fail(m.key, f.PathOf(key), message);
  }
  return f;
}

Result<const std::vector<Node>*> Reader::Sequence(const Node& node, std::string_view path) const {
  if (!node.is_sequence() && !node.is_null())
    return Fail(node, path, "must be a list, got " + node.Describe());
  return &node.items();
}

Result<std::string> Reader::String(const Node& node, std::string_view path) const {
  if (!node.is_scalar()) return Fail(node, path, "must be a string, got " + node.Describe());
  return node.text();
}

Result<bool> Reader::Bool(const Node& node, std::string_view path) const {
  if (!node.is_scalar() || node.type() != ScalarType::kBool)
    return Fail(node, path, "must be true or false, got " + node.Describe());
  return node.as_bool();
}

Result<double> Reader::Number(const Node& node, std::string_view path) const {
  bool number =
      node.is_scalar() && (node.type() == ScalarType::kInt || node.type() == ScalarType::kFloat);
  if (!number || !std::isfinite(node.as_double()))
    return Fail(node, path, "must be a number, got " + node.Describe());
  return node.as_double();
}

Result<int64_t> Reader::Integer(const Node& node, std::string_view path) const {
  if (!node.is_scalar() || node.type() != ScalarType::kInt)
    return Fail(node, path, "must be an integer, got " + node.Describe());
  return node.as_int();
}

Result<Json> Reader::ToJson(const Node& node, std::string_view path) const {
  switch (node.kind()) {
    case NodeKind::kNull:
      return Json::Null();
    case NodeKind::kSequence: {
      JsonArray items;
      items.reserve(node.items().size());
      for (size_t i = 0; i < node.items().size(); ++i) {
        WHARF_TRY(Json item, ToJson(node.items()[i], ItemPath(path, i)));
        items.push_back(std::move(item));
      }
      return Json::Array(std::move(items));
    }
    case NodeKind::kMapping: {
      std::vector<JsonMember> members;
      members.reserve(node.members().size());
      for (const Member& m : node.members()) {
        if (!m.key.is_scalar())
          return Fail(m.key, path, "a key must be a plain string, got " + m.key.Describe());
        std::string at = path.empty() ? m.key.text() : std::string(path) + "." + m.key.text();
        WHARF_TRY(Json value, ToJson(m.value, at));
        members.emplace_back(m.key.text(), std::move(value));
      }
      return Json::Object(std::move(members));
    }
    case NodeKind::kScalar:
      break;
  }
  switch (node.type()) {
    case ScalarType::kBool:
      return Json::Bool(node.as_bool());
    case ScalarType::kInt:
      return Json::Int(node.as_int());
    case ScalarType::kFloat:
      if (!std::isfinite(node.as_double()))
        return Fail(node, path, "must be a finite number to be JSON, got " + node.Describe());
      return Json::Double(node.as_double());
    case ScalarType::kNull:
      return Json::Null();
    case ScalarType::kString:
      break;
  }
  return Json::String(node.text());
}

}  // namespace wharf::yaml
