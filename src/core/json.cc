// Json: parsing with Boost.JSON's SAX parser straight into immutable nodes, and serialization.
#include "core/json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include <boost/json/basic_parser_impl.hpp>

namespace wharf {

namespace {
constexpr size_t kIndexThreshold = 12;  // objects larger than this get a sorted key index
}  // namespace

JsonObject::JsonObject(std::vector<JsonMember> members) : members_(std::move(members)) {
  // Duplicate keys: the last one wins, at the position of the first (RFC 8259 leaves it open;
  // this matches what Jackson-based services do).
  if (members_.size() > 1) {
    bool dup = false;
    if (members_.size() <= kIndexThreshold) {
      for (size_t i = 1; i < members_.size() && !dup; ++i)
        for (size_t j = 0; j < i; ++j)
          if (members_[i].first == members_[j].first) {
            dup = true;
            break;
          }
    } else {
      std::vector<std::string_view> keys;
      keys.reserve(members_.size());
      for (auto& m : members_) keys.push_back(m.first);
      std::sort(keys.begin(), keys.end());
      dup = std::adjacent_find(keys.begin(), keys.end()) != keys.end();
    }
    if (dup) {
      std::vector<JsonMember> unique;
      for (auto& m : members_) {
        auto it = std::find_if(unique.begin(), unique.end(),
                               [&](const JsonMember& u) { return u.first == m.first; });
        if (it == unique.end())
          unique.push_back(std::move(m));
        else
          it->second = std::move(m.second);
      }
      members_ = std::move(unique);
    }
  }
  if (members_.size() > kIndexThreshold) {
    sorted_.resize(members_.size());
    for (uint32_t i = 0; i < sorted_.size(); ++i) sorted_[i] = i;
    std::sort(sorted_.begin(), sorted_.end(),
              [&](uint32_t a, uint32_t b) { return members_[a].first < members_[b].first; });
  }
}

const Json* JsonObject::find(std::string_view key) const {
  if (sorted_.empty()) {
    for (auto& m : members_)
      if (m.first == key) return &m.second;
    return nullptr;
  }
  auto it = std::lower_bound(
      sorted_.begin(), sorted_.end(), key,
      [&](uint32_t i, std::string_view k) { return std::string_view(members_[i].first) < k; });
  if (it != sorted_.end() && members_[*it].first == key) return &members_[*it].second;
  return nullptr;
}

Json Json::Bool(bool b) {
  Json j;
  j.kind_ = Kind::kBool;
  j.b_ = b;
  return j;
}
Json Json::Int(int64_t i) {
  Json j;
  j.kind_ = Kind::kInt;
  j.i_ = i;
  return j;
}
Json Json::Double(double d) {
  Json j;
  j.kind_ = Kind::kDouble;
  j.d_ = d;
  return j;
}
Json Json::String(std::string s) {
  Json j;
  j.kind_ = Kind::kString;
  j.p_ = std::make_shared<const std::string>(std::move(s));
  return j;
}
Json Json::Array(JsonArray items) {
  Json j;
  j.kind_ = Kind::kArray;
  j.p_ = std::make_shared<const JsonArray>(std::move(items));
  return j;
}
Json Json::Object(std::vector<JsonMember> members) {
  Json j;
  j.kind_ = Kind::kObject;
  j.p_ = std::make_shared<const JsonObject>(std::move(members));
  return j;
}
const Json& Json::EmptyObject() {
  static const Json kEmpty = Object({});
  return kEmpty;
}
const Json& Json::EmptyArray() {
  static const Json kEmpty = Array({});
  return kEmpty;
}

const std::string& Json::as_string() const { return *static_cast<const std::string*>(p_.get()); }
const JsonArray& Json::as_array() const { return *static_cast<const JsonArray*>(p_.get()); }
const JsonObject& Json::as_object() const { return *static_cast<const JsonObject*>(p_.get()); }

const Json* Json::find(std::string_view key) const {
  if (kind_ != Kind::kObject) return nullptr;
  return as_object().find(key);
}
const Json* Json::at(size_t index) const {
  if (kind_ != Kind::kArray) return nullptr;
  auto& a = as_array();
  return index < a.size() ? &a[index] : nullptr;
}
size_t Json::size() const {
  if (kind_ == Kind::kArray) return as_array().size();
  if (kind_ == Kind::kObject) return as_object().size();
  return 0;
}

Json Json::Set(std::string_view key, Json value) const {
  std::vector<JsonMember> members;
  const auto& old = as_object().members();
  members.reserve(old.size() + 1);
  bool replaced = false;
  for (auto& m : old) {
    if (!replaced && m.first == key) {
      members.emplace_back(m.first, std::move(value));
      replaced = true;
    } else {
      members.push_back(m);
    }
  }
  if (!replaced) members.emplace_back(std::string(key), std::move(value));
  Json j;
  j.kind_ = Kind::kObject;
  j.p_ = std::make_shared<const JsonObject>(std::move(members));
  return j;
}

bool Json::SameNode(const Json& other) const {
  if (kind_ != other.kind_) return false;
  switch (kind_) {
    case Kind::kNull:
      return true;
    case Kind::kBool:
      return b_ == other.b_;
    case Kind::kInt:
      return i_ == other.i_;
    case Kind::kDouble:
      return d_ == other.d_;
    default:
      return p_ == other.p_;
  }
}

bool operator==(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_int() && b.is_int()) return a.i_ == b.i_;
    return a.as_double() == b.as_double();
  }
  if (a.kind_ != b.kind_) return false;
  switch (a.kind_) {
    case Json::Kind::kNull:
      return true;
    case Json::Kind::kBool:
      return a.b_ == b.b_;
    case Json::Kind::kString:
      return a.p_ == b.p_ || a.as_string() == b.as_string();
    case Json::Kind::kArray: {
      if (a.p_ == b.p_) return true;
      return a.as_array() == b.as_array();
    }
    case Json::Kind::kObject: {
      if (a.p_ == b.p_) return true;
      auto& x = a.as_object();
      auto& y = b.as_object();
      if (x.size() != y.size()) return false;
      for (auto& m : x) {
        const Json* other = y.find(m.first);
        if (!other || !(*other == m.second)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

const char* Json::KindName(Kind kind) {
  switch (kind) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return "boolean";
    case Kind::kInt:
      return "integer";
    case Kind::kDouble:
      return "number";
    case Kind::kString:
      return "string";
    case Kind::kArray:
      return "array";
    case Kind::kObject:
      return "object";
  }
  return "?";
}

// ---- serialization ----

void AppendJsonString(std::string& out, std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  out.push_back('"');
  size_t run = 0;  // start of the current run of characters that need no escape
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      default:
        out.append("\\u00");
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

static void AppendDouble(std::string& out, double d) {
  if (!std::isfinite(
          d)) {  // JSON has no NaN or infinity; print null as Jackson does not allow them
    out.append("null");
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  std::string_view s(buf, r.ptr - buf);
  out.append(s);
  if (s.find_first_of(".eEn") == std::string_view::npos) out.append(".0");
}

void Json::DumpTo(std::string& out) const {
  switch (kind_) {
    case Kind::kNull:
      out.append("null");
      break;
    case Kind::kBool:
      out.append(b_ ? "true" : "false");
      break;
    case Kind::kInt: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, i_);
      out.append(buf, r.ptr - buf);
      break;
    }
    case Kind::kDouble:
      AppendDouble(out, d_);
      break;
    case Kind::kString:
      AppendJsonString(out, as_string());
      break;
    case Kind::kArray: {
      out.push_back('[');
      bool first = true;
      for (auto& e : as_array()) {
        if (!first) out.push_back(',');
        first = false;
        e.DumpTo(out);
      }
      out.push_back(']');
      break;
    }
    case Kind::kObject: {
      out.push_back('{');
      bool first = true;
      for (auto& m : as_object()) {
        if (!first) out.push_back(',');
        first = false;
        AppendJsonString(out, m.first);
        out.push_back(':');
        m.second.DumpTo(out);
      }
      out.push_back('}');
      break;
    }
  }
}

std::string Json::Dump() const {
  std::string out;
  DumpTo(out);
  return out;
}

static void PrettyTo(const Json& j, std::string& out, int indent) {
  auto newline = [&](int n) {
    out.push_back('\n');
    out.append(static_cast<size_t>(n) * 2, ' ');
  };
  if (j.is_array() && j.size() > 0) {
    out.push_back('[');
    bool first = true;
    for (auto& e : j.as_array()) {
      if (!first) out.push_back(',');
      first = false;
      newline(indent + 1);
      PrettyTo(e, out, indent + 1);
    }
    newline(indent);
    out.push_back(']');
  } else if (j.is_object() && j.size() > 0) {
    out.push_back('{');
    bool first = true;
    for (auto& m : j.as_object()) {
      if (!first) out.push_back(',');
      first = false;
      newline(indent + 1);
      AppendJsonString(out, m.first);
      out.append(": ");
      PrettyTo(m.second, out, indent + 1);
    }
    newline(indent);
    out.push_back('}');
  } else {
    j.DumpTo(out);
  }
}

std::string Json::Pretty() const {
  std::string out;
  PrettyTo(*this, out, 0);
  return out;
}

// ---- parsing ----

namespace {

namespace bj = boost::json;

// Builds Json nodes from Boost.JSON's SAX events. Containers under construction live on stacks.
class Builder {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  bool on_document_begin(bj::error_code&) { return true; }
  bool on_document_end(bj::error_code&) { return true; }
  bool on_object_begin(bj::error_code&) {
    frames_.push_back(Frame{true, {}, {}});
    return true;
  }
  bool on_object_end(std::size_t, bj::error_code&) {
    Frame f = std::move(frames_.back());
    frames_.pop_back();
    Emit(Json::Object(std::move(f.members)));
    return true;
  }
  bool on_array_begin(bj::error_code&) {
    frames_.push_back(Frame{false, {}, {}});
    return true;
  }
  bool on_array_end(std::size_t, bj::error_code&) {
    Frame f = std::move(frames_.back());
    frames_.pop_back();
    Emit(Json::Array(std::move(f.items)));
    return true;
  }
  bool on_key_part(bj::string_view s, std::size_t, bj::error_code&) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(bj::string_view s, std::size_t, bj::error_code&) {
    key_.append(s.data(), s.size());
    frames_.back().members.emplace_back(std::move(key_), Json());
    key_.clear();
    return true;
  }
  bool on_string_part(bj::string_view s, std::size_t, bj::error_code&) {
    str_.append(s.data(), s.size());
    return true;
  }
  bool on_string(bj::string_view s, std::size_t, bj::error_code&) {
    str_.append(s.data(), s.size());
    Emit(Json::String(std::move(str_)));
    str_.clear();
    return true;
  }
  bool on_number_part(bj::string_view, bj::error_code&) { return true; }
  bool on_int64(int64_t i, bj::string_view, bj::error_code&) {
    Emit(Json::Int(i));
    return true;
  }
  bool on_uint64(uint64_t u, bj::string_view, bj::error_code&) {
    Emit(Json::Double(static_cast<double>(u)));
    return true;
  }
  bool on_double(double d, bj::string_view, bj::error_code&) {
    Emit(Json::Double(d));
    return true;
  }
  bool on_bool(bool b, bj::error_code&) {
    Emit(Json::Bool(b));
    return true;
  }
  bool on_null(bj::error_code&) {
    Emit(Json());
    return true;
  }
  bool on_comment_part(bj::string_view, bj::error_code&) { return true; }
  bool on_comment(bj::string_view, bj::error_code&) { return true; }

  Json result;

 private:
  struct Frame {
    bool is_object;
    std::vector<JsonMember> members;
    JsonArray items;
  };
  void Emit(Json v) {
    if (frames_.empty()) {
      result = std::move(v);
    } else if (frames_.back().is_object) {
      frames_.back().members.back().second = std::move(v);
    } else {
      frames_.back().items.push_back(std::move(v));
    }
  }
  std::vector<Frame> frames_;
  std::string key_, str_;
};

}  // namespace

Result<Json> Json::Parse(std::string_view text) {
  bj::parse_options opts;
  opts.max_depth = 10000;
  bj::basic_parser<Builder> parser(opts);
  bj::error_code ec;
  size_t n = parser.write_some(false, text.data(), text.size(), ec);
  if (!ec && n < text.size()) ec = bj::error::extra_data;
  if (ec) {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < n && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    return MakeError("InvalidJson", "invalid JSON at line " + std::to_string(line) + ", column " +
                                        std::to_string(col) + ": " + ec.message());
  }
  return std::move(parser.handler().result);
}

}  // namespace wharf
