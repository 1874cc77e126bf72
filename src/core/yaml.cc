// The YAML parser: yaml-cpp's event parser feeding a Builder that makes the plain Node tree
// (see yaml.h for what it decides). yaml-cpp is used only in this file; yaml_reader.cc reads the
// tree.
#include "core/yaml.h"

#include <yaml-cpp/anchor.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <exception>
#include <limits>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

namespace wharf::yaml {
namespace {

constexpr std::string_view kTagPrefix = "tag:yaml.org,2002:";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsOctal(char c) { return c >= '0' && c <= '7'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool AllOf(std::string_view s, bool (*pred)(char)) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!pred(c)) return false;
  }
  return true;
}

// YAML 1.2.2 §10.3.2 (core schema), the regular expressions of tag resolution:
//   null:  null | Null | NULL | ~  (and the empty plain scalar)
//   bool:  true | True | TRUE | false | False | FALSE
//   int:   [-+]? [0-9]+  |  0o [0-7]+  |  0x [0-9a-fA-F]+
//   float: [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
//          | [-+]? ( \.inf | \.Inf | \.INF )  |  \.nan | \.NaN | \.NAN
bool IsNullText(std::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}
std::optional<bool> BoolText(std::string_view s) {
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  return std::nullopt;
}
std::string_view StripSign(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  return s;
}
bool IsDecimalInt(std::string_view s) { return AllOf(StripSign(s), IsDigit); }
bool IsOctalInt(std::string_view s) {
  return s.size() > 2 && s.substr(0, 2) == "0o" && AllOf(s.substr(2), IsOctal);
}
bool IsHexInt(std::string_view s) {
  return s.size() > 2 && s.substr(0, 2) == "0x" && AllOf(s.substr(2), IsHex);
}
bool IsFloatText(std::string_view s) {
  std::string_view t = StripSign(s);
  size_t i = 0;
  auto digits = [&] {
    size_t start = i;
    while (i < t.size() && IsDigit(t[i])) ++i;
    return i - start;
  };
  if (i < t.size() && t[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  } else {
    if (digits() == 0) return false;
    if (i < t.size() && t[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '-' || t[i] == '+')) ++i;
    if (digits() == 0) return false;
  }
  return i == t.size();
}
bool IsInfText(std::string_view s) {
  std::string_view t = StripSign(s);
  return t == ".inf" || t == ".Inf" || t == ".INF";
}
bool IsNanText(std::string_view s) { return s == ".nan" || s == ".NaN" || s == ".NAN"; }

// Digits of `base` as a double (for integers beyond int64).
double DigitsToDouble(std::string_view digits, int base) {
  double v = 0;
  for (char c : digits) {
    int d = IsDigit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
    v = v * base + d;
  }
  return v;
}

// Valid UTF-8 (RFC 3629 §4: no overlong forms, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      n = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n + 1;
  }
  return true;
}

Mark ToMark(const YAML::Mark& m) {
  if (m.is_null() || m.line < 0 || m.column < 0) return {};
  return {m.line + 1, m.column + 1};
}

}  // namespace

// Builds the Node tree from yaml-cpp's events. The first error is kept and every later event is
// ignored, so that nothing is thrown through yaml-cpp.
class Builder final : public YAML::EventHandler {
 public:
  Builder(std::string_view file, std::string_view code, const ParseLimits& limits)
      : file_(file), code_(code), limits_(limits) {}

  bool failed() const { return error_.has_value(); }
  Error TakeError() { return std::move(*error_); }
  Node TakeRoot() { return std::move(root_); }

  void Fail(const Mark& at, std::string_view message) { Fail(at, ChildPath(), message); }
  void Fail(const Mark& at, const std::string& path, std::string_view message) {
    if (error_) return;
    std::string where = file_;
    if (at.line > 0) where += ":" + std::to_string(at.line) + ":" + std::to_string(at.column);
    if (!path.empty()) where += ": " + path;
    error_ = MakeError(code_, where + ": " + std::string(message));
  }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (failed()) return;
    Node n;
    n.mark_ = ToMark(mark);
    // An empty value ("key:" and nothing) gets the mark of the token after it; point at its key.
    if (!stack_.empty() && stack_.back().key && stack_.back().key->mark_.line < n.mark_.line)
      n.mark_ = stack_.back().key->mark_;
    Add(std::move(n), anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (failed()) return;
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      // yaml-cpp registers an anchor when its node starts: an alias to it from inside is a cycle.
      Fail(ToMark(mark), "an alias may not refer to a node that contains it");
      return;
    }
    const Anchored& a = it->second;
    if (!Charge(a.nodes, a.bytes, ToMark(mark))) return;
    Node copy = a.node;
    copy.mark_ = ToMark(mark);
    Place(std::move(copy), a.nodes, a.bytes);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    if (failed()) return;
    Node n;
    n.kind_ = NodeKind::kScalar;
    n.mark_ = ToMark(mark);
    n.text_ = value;
    if (!IsValidUtf8(value)) return Fail(n.mark_, "the text is not valid UTF-8");
    if (value.find('\0') != std::string::npos)
      return Fail(n.mark_, "a scalar may not contain a NUL character");
    if (!Resolve(n, tag)) return;
    Add(std::move(n), anchor);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(NodeKind::kSequence, mark, tag, anchor, "seq");
  }
  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(NodeKind::kMapping, mark, tag, anchor, "map");
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapEnd() override {
    if (failed()) return;
    Merge(stack_.back().node);
    Close();
  }

 private:
  struct Frame {
    Node node;
    std::string path;  // the key path, for messages
    YAML::anchor_t anchor = YAML::NullAnchor;
    size_t nodes = 0;  // nodes and bytes inside, for the cost of an alias to this one
    size_t bytes = 0;
    std::optional<Node> key;                    // a mapping's key awaiting its value
    std::unordered_map<std::string, int> keys;  // a mapping's keys -> line, for duplicates
  };

  // Identifies a key for the uniqueness rule: its kind and text ("~" and "" differ).
  static std::string KeyOf(const Node& key) {
    return static_cast<char>('0' + static_cast<int>(key.kind_)) + key.text_;
  }
  struct Anchored {
    Node node;
    size_t nodes;
    size_t bytes;
  };

  static std::string Join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  // The key path of the node that comes next.
  std::string ChildPath() const {
    if (stack_.empty()) return "";
    const Frame& top = stack_.back();
    if (top.node.kind_ == NodeKind::kSequence) return ItemPath(top.path, top.node.items_.size());
    if (top.key) return Join(top.path, top.key->text_);
    return top.path;  // a key
  }

  bool Charge(size_t nodes, size_t bytes, const Mark& at) {
    nodes_ += nodes;
    bytes_ += bytes;
    if (nodes_ > limits_.max_nodes || bytes_ > limits_.max_scalar_bytes) {
      Fail(at, "the document is too large: more than " + std::to_string(limits_.max_nodes) +
                   " nodes or " + std::to_string(limits_.max_scalar_bytes >> 20) +
                   " MiB of text, counting the copies that aliases make");
      return false;
    }
    return true;
  }

  // Types a scalar by its tag: "?" is a plain scalar without a tag (resolved by the core schema),
  // "!" a quoted or block scalar (a string); an explicit tag must be one of the core schema's.
  bool Resolve(Node& n, const std::string& tag) {
    const std::string& s = n.text_;
    std::string_view name;
    if (tag == "?") {
      n.plain_ = true;
    } else if (tag == "!" || tag == std::string(kTagPrefix) + "str") {
      n.type_ = ScalarType::kString;
      return true;
    } else if (tag.size() > kTagPrefix.size() &&
               tag.compare(0, kTagPrefix.size(), kTagPrefix) == 0) {
      name = std::string_view(tag).substr(kTagPrefix.size());
      if (name != "null" && name != "bool" && name != "int" && name != "float") {
        Fail(n.mark_, "unsupported tag '!!" + std::string(name) + "'");
        return false;
      }
    } else {
      Fail(n.mark_, "unsupported tag '" + tag + "'");
      return false;
    }
    auto mismatch = [&] {
      n.type_ = ScalarType::kString;  // described in quotes
      Fail(n.mark_, n.Describe() + " is not a valid !!" + std::string(name));
      return false;
    };
    if ((name.empty() || name == "null") && IsNullText(s)) {
      n.kind_ = NodeKind::kNull;
      n.type_ = ScalarType::kNull;
      return true;
    }
    if (name == "null") return mismatch();
    if (name.empty() || name == "bool") {
      if (auto b = BoolText(s)) {
        n.type_ = ScalarType::kBool;
        n.b_ = *b;
        return true;
      }
      if (name == "bool") return mismatch();
    }
    if (name.empty() || name == "int" || name == "float") {
      if (IsDecimalInt(s) || IsOctalInt(s) || IsHexInt(s)) {
        int base = IsDecimalInt(s) ? 10 : IsOctalInt(s) ? 8 : 16;
        std::string_view digits = base == 10 ? StripSign(s) : std::string_view(s).substr(2);
        bool negative = base == 10 && s[0] == '-';
        uint64_t u = 0;
        auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), u, base);
        uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
        if (ec == std::errc() && u <= limit && name != "float") {
          n.type_ = ScalarType::kInt;
          n.i_ = negative ? static_cast<int64_t>(0 - u) : static_cast<int64_t>(u);
        } else {
          n.type_ = ScalarType::kFloat;
          double d = 0;
          if (base == 10) std::from_chars(digits.data(), digits.data() + digits.size(), d);
          n.d_ = (base == 10 ? d : DigitsToDouble(digits, base)) * (negative ? -1 : 1);
        }
        return true;
      }
      if (name == "int") return mismatch();
      if (IsFloatText(s)) {
        std::string_view t = s[0] == '+' ? std::string_view(s).substr(1) : std::string_view(s);
        double d = 0;
        auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), d);
        if (ec == std::errc::result_out_of_range) {
          d = t[0] == '-' ? -HUGE_VAL : HUGE_VAL;  // a huge exponent: as big as a double gets
        } else if (ec != std::errc() || p != t.data() + t.size()) {
          return mismatch();
        }
        n.type_ = ScalarType::kFloat;
        n.d_ = d;
        return true;
      }
      if (IsInfText(s) || IsNanText(s)) {
        n.type_ = ScalarType::kFloat;
        n.d_ = IsNanText(s) ? std::numeric_limits<double>::quiet_NaN()
                            : (s[0] == '-' ? -HUGE_VAL : HUGE_VAL);
        return true;
      }
      if (name == "float") return mismatch();
    }
    n.type_ = ScalarType::kString;
    return true;
  }

  void Open(NodeKind kind, const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
            std::string_view tag_name) {
    if (failed()) return;
    Frame f;
    f.node.kind_ = kind;
    f.node.mark_ = ToMark(mark);
    f.path = ChildPath();
    f.anchor = anchor;
    if (tag != "?" && tag != "!" && tag != std::string(kTagPrefix) + std::string(tag_name))
      return Fail(f.node.mark_, "unsupported tag '" + tag + "'");
    if (!Charge(1, 0, f.node.mark_)) return;
    f.nodes = 1;
    stack_.push_back(std::move(f));
  }

  void Close() {
    if (failed()) return;
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    if (f.anchor != YAML::NullAnchor) {
      if (!Charge(f.nodes, f.bytes, f.node.mark_)) return;  // the anchor keeps a copy
      anchors_[f.anchor] = Anchored{f.node, f.nodes, f.bytes};
    }
    Place(std::move(f.node), f.nodes, f.bytes);
  }

  // A complete scalar or null.
  void Add(Node n, YAML::anchor_t anchor) {
    size_t bytes = n.text_.size();
    if (!Charge(1, bytes, n.mark_)) return;
    if (anchor != YAML::NullAnchor) {
      if (!Charge(1, bytes, n.mark_)) return;  // the anchor keeps a copy
      anchors_[anchor] = Anchored{n, 1, bytes};
    }
    Place(std::move(n), 1, bytes);
  }

  void Place(Node n, size_t nodes, size_t bytes) {
    if (stack_.empty()) {
      root_ = std::move(n);
      return;
    }
    Frame& parent = stack_.back();
    parent.nodes += nodes;
    parent.bytes += bytes;
    if (parent.node.kind_ == NodeKind::kSequence) {
      parent.node.items_.push_back(std::move(n));
    } else if (!parent.key) {
      // YAML 1.2 §3.2.1.1: "The content of a mapping node is an unordered set of key/value node
      // pairs, with the restriction that each of the keys is unique."
      if (n.is_scalar() || n.is_null()) {
        auto [it, fresh] = parent.keys.emplace(KeyOf(n), n.mark_.line);
        if (!fresh) {
          return Fail(n.mark_, Join(parent.path, n.text_),
                      "duplicate key (first at line " + std::to_string(it->second) + ")");
        }
      }
      parent.key = std::move(n);
    } else {
      parent.node.members_.push_back(Member{std::move(*parent.key), std::move(n)});
      parent.key.reset();
    }
  }

  // The merge key (YAML 1.1, yaml.org/type/merge.html): "If the value associated with the key is
  // a single mapping node, each of its key/value pairs is inserted into the current mapping,
  // unless the key already exists in it. If the value associated with the merge key is a
  // sequence, then this sequence is expected to contain mapping nodes and each of these nodes is
  // merged in turn according to its order in the sequence. Keys in mapping nodes earlier in the
  // sequence override keys specified in later mapping nodes."
  void Merge(Node& map) {
    bool any = false;
    for (const Member& m : map.members_) any |= IsMergeKey(m.key);
    if (!any) return;
    std::vector<Member> own;
    std::vector<const Node*> sources;
    for (Member& m : map.members_) {
      if (!IsMergeKey(m.key)) {
        own.push_back(std::move(m));
        continue;
      }
      if (m.value.is_mapping()) {
        sources.push_back(&m.value);
      } else if (m.value.is_sequence()) {
        for (const Node& item : m.value.items_) {
          if (!item.is_mapping())
            return Fail(item.mark_, "a merge key '<<' takes a mapping or a list of mappings");
          sources.push_back(&item);
        }
      } else {
        return Fail(m.value.mark_, "a merge key '<<' takes a mapping or a list of mappings");
      }
    }
    std::unordered_set<std::string> present;
    for (const Member& m : own) present.insert(KeyOf(m.key));
    std::vector<Member> result = std::move(own);
    for (const Node* source : sources) {
      for (const Member& m : source->members_) {
        if (present.insert(KeyOf(m.key)).second) result.push_back(m);
      }
    }
    map.members_ = std::move(result);
  }

  static bool IsMergeKey(const Node& key) {
    return key.is_scalar() && key.plain_ && key.text_ == "<<";
  }

  std::string file_;
  std::string code_;
  ParseLimits limits_;
  std::optional<Error> error_;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, Anchored> anchors_;
  size_t nodes_ = 0;
  size_t bytes_ = 0;
  Node root_;
};

namespace {

// Notes where a second document starts, to refuse it.
class SecondDocument final : public YAML::EventHandler {
 public:
  Mark mark;
  void OnDocumentStart(const YAML::Mark& m) override { mark = ToMark(m); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

std::string Located(std::string_view file, const Mark& at) {
  std::string s(file);
  if (at.line > 0) s += ":" + std::to_string(at.line) + ":" + std::to_string(at.column);
  return s;
}

}  // namespace

Result<Node> Parse(std::string_view text, std::string_view file, std::string_view error_code,
                   const ParseLimits& limits) {
  Builder builder(file, error_code, limits);
  auto syntax = [&](const YAML::Mark& m, std::string_view msg) -> Error {
    return MakeError(std::string(error_code),
                     Located(file, ToMark(m)) + ": YAML syntax error: " + std::string(msg));
  };
  try {
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    if (!parser.HandleNextDocument(builder)) return Node();  // an empty stream
    if (builder.failed()) return builder.TakeError();
    SecondDocument second;
    if (parser.HandleNextDocument(second))
      return MakeError(
          std::string(error_code),
          Located(file, second.mark) + ": a second YAML document; the file must hold exactly one");
    return builder.TakeRoot();
  } catch (const YAML::DeepRecursion& e) {
    if (builder.failed()) return builder.TakeError();
    return syntax(e.mark, "nested too deeply");
  } catch (const YAML::Exception& e) {
    if (builder.failed()) return builder.TakeError();
    return syntax(e.mark, e.msg);
  } catch (const std::bad_alloc&) {
    return MakeError(std::string(error_code), std::string(file) + ": out of memory while parsing");
  } catch (const std::exception& e) {
    if (builder.failed()) return builder.TakeError();
    return MakeError(std::string(error_code),
                     std::string(file) + ": YAML syntax error: " + e.what());
  }
}

}  // namespace wharf::yaml
