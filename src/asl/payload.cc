// Payload templates and expressions (see payload.h).
#include "asl/payload.h"

#include <optional>
#include <vector>

namespace wharf::asl {

// ---------------------------------------------------------------------------------------------
// Expression

struct Expression::Impl {
  std::string text;
  std::optional<JsonPath> path;
  std::optional<Intrinsic> intrinsic;
};

Result<Expression> Expression::Parse(std::string_view text) {
  auto impl = std::make_shared<Impl>();
  impl->text = std::string(text);
  size_t b = 0;
  while (b < text.size() && (text[b] == ' ' || text[b] == '\t' || text[b] == '\n')) ++b;
  if (b < text.size() && text[b] == '$') {
    WHARF_TRY(JsonPath path, JsonPath::Parse(text));
    impl->path = std::move(path);
  } else if (Intrinsic::Looks(text)) {
    WHARF_TRY(Intrinsic call, Intrinsic::Parse(text));
    impl->intrinsic = std::move(call);
  } else {
    return MakeError("InvalidExpression",
                     "'" + std::string(text) +
                         "' is neither a JSONPath (starting with '$') nor an intrinsic function "
                         "call (States.Name(...))");
  }
  Expression e;
  e.impl_ = std::move(impl);
  return e;
}

const std::string& Expression::text() const { return impl_->text; }
bool Expression::is_path() const { return impl_->path.has_value(); }
const JsonPath* Expression::path() const { return impl_->path ? &*impl_->path : nullptr; }

Result<Json> Expression::Evaluate(const Env& env, std::string_view field) const {
  if (impl_->intrinsic) return impl_->intrinsic->Evaluate(env);
  auto r = impl_->path->Evaluate(env);
  if (r.ok()) return r;
  // Spec §Payload Template: "If the path ... does not match any node, the interpreter raises
  // States.Runtime"; the cause is AWS's wording.
  return MakeError("States.Runtime", "The JSONPath '" + impl_->text +
                                         "' specified for the field '" + std::string(field) +
                                         "' could not be found in the input '" + env.input.Dump() +
                                         "'");
}

// ---------------------------------------------------------------------------------------------
// PayloadTemplate

struct PayloadTemplate::Node {
  enum class Kind { kConst, kExpr, kObject, kArray };
  Kind kind = Kind::kConst;
  Json constant;                                      // kConst: shared with the template's source
  std::optional<Expression> expr;                     // kExpr
  std::string field;                                  // kExpr: the member's name as written ("x.$")
  std::vector<std::pair<std::string, Node>> members;  // kObject: names without ".$"
  std::vector<Node> items;                            // kArray

  Result<Json> Evaluate(const Env& env) const {
    switch (kind) {
      case Kind::kConst:
        return constant;
      case Kind::kExpr:
        return expr->Evaluate(env, field);
      case Kind::kObject: {
        std::vector<JsonMember> out;
        out.reserve(members.size());
        for (const auto& [name, node] : members) {
          WHARF_TRY(Json v, node.Evaluate(env));
          out.emplace_back(name, std::move(v));
        }
        return Json::Object(std::move(out));
      }
      case Kind::kArray: {
        JsonArray out;
        out.reserve(items.size());
        for (const auto& node : items) {
          WHARF_TRY(Json v, node.Evaluate(env));
          out.push_back(std::move(v));
        }
        return Json::Array(std::move(out));
      }
    }
    return constant;
  }
};

namespace {

bool EndsWithDollar(std::string_view key) {
  return key.size() >= 2 && key.substr(key.size() - 2) == ".$";
}

std::string Join(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return std::string(parent) + "/" + std::string(key);
}

}  // namespace

Result<PayloadTemplate> PayloadTemplate::Compile(const Json& tmpl, std::string_view where) {
  struct Compiler {
    std::string_view where;

    Error Invalid(const std::string& what) const {
      return MakeError("InvalidDefinition", std::string(where) + ": " + what);
    }

    // `at` names the node for messages ("a/b.$"; empty for the root).
    Result<Node> CompileValue(const Json& v, const std::string& at) const {
      Node node;
      if (v.is_object()) {
        bool dynamic = false;
        node.kind = Node::Kind::kObject;
        node.members.reserve(v.size());
        for (const auto& [key, value] : v.as_object()) {
          std::string member_at = Join(at, key);
          // Spec §Payload Template: "If the field name ends with .$, the value is a path or an
          // intrinsic function; the field in the result has the name without .$".
          if (EndsWithDollar(key)) {
            if (!value.is_string())
              return Invalid("the value of member '" + member_at +
                             "' must be a string holding a JSONPath or an intrinsic function, "
                             "not " +
                             Json::KindName(value.kind()));
            auto expr = Expression::Parse(value.as_string());
            if (!expr.ok())
              return Invalid("the value of member '" + member_at +
                             "' is not a valid JSONPath or "
                             "intrinsic function: " +
                             expr.error().message);
            Node child;
            child.kind = Node::Kind::kExpr;
            child.expr = std::move(*expr);
            child.field = key;
            node.members.emplace_back(key.substr(0, key.size() - 2), std::move(child));
            dynamic = true;
          } else {
            WHARF_TRY(Node child, CompileValue(value, member_at));
            if (child.kind != Node::Kind::kConst) dynamic = true;
            node.members.emplace_back(key, std::move(child));
          }
        }
        // Spec §Payload Template: a template must not hold two fields that have the same name
        // once ".$" is removed.
        for (size_t i = 1; i < node.members.size(); ++i)
          for (size_t j = 0; j < i; ++j)
            if (node.members[i].first == node.members[j].first)
              return Invalid("members '" + Join(at, node.members[i].first) + "' and '" +
                             Join(at, node.members[i].first) +
                             ".$' collide: both produce the field '" + node.members[i].first + "'");
        if (!dynamic) return Const(v);
        return node;
      }
      if (v.is_array()) {
        bool dynamic = false;
        node.kind = Node::Kind::kArray;
        node.items.reserve(v.size());
        size_t i = 0;
        for (const auto& item : v.as_array()) {
          WHARF_TRY(Node child, CompileValue(item, Join(at, std::to_string(i++))));
          if (child.kind != Node::Kind::kConst) dynamic = true;
          node.items.push_back(std::move(child));
        }
        if (!dynamic) return Const(v);
        return node;
      }
      return Const(v);
    }

    static Node Const(const Json& v) {
      Node node;
      node.kind = Node::Kind::kConst;
      node.constant = v;
      return node;
    }
  };

  Compiler compiler{where};
  WHARF_TRY(Node root, compiler.CompileValue(tmpl, ""));
  PayloadTemplate t;
  t.root_ = std::make_shared<const Node>(std::move(root));
  t.source_ = tmpl;
  return t;
}

Result<Json> PayloadTemplate::Evaluate(const Env& env) const {
  if (!root_) return source_;  // default-constructed: the null template
  return root_->Evaluate(env);
}

const Json& PayloadTemplate::source() const { return source_; }

}  // namespace wharf::asl
