#include "core/yaml.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace wharf::yaml {
namespace {

Result<Node> P(const std::string& text) { return Parse(text, "f.yaml", "E"); }

// The document as compact JSON, or "ERR <message>".
std::string AsJson(const std::string& text) {
  auto node = P(text);
  if (!node.ok()) return "ERR " + node.error().message;
  auto json = Reader("f.yaml", "E").ToJson(*node, "");
  if (!json.ok()) return "ERR " + json.error().message;
  return json->Dump();
}

struct Case {
  const char* yaml;
  const char* expected;  // compact JSON, or "ERR message"
};

// YAML 1.2.2 §10.3.2: the core schema's tag resolution.
TEST(YamlTest, CoreSchemaScalars) {
  const Case cases[] = {
      {"", "null"},
      {"a: ~", R"({"a":null})"},
      {"a: null", R"({"a":null})"},
      {"a: Null", R"({"a":null})"},
      {"a: NULL", R"({"a":null})"},
      {"a:", R"({"a":null})"},
      {"a: nULL", R"({"a":"nULL"})"},
      {"a: [true, True, TRUE, false, False, FALSE]", R"({"a":[true,true,true,false,false,false]})"},
      // YAML 1.1's booleans are strings in 1.2 (the "Norway problem").
      {"a: [yes, no, on, off, y, n, tRUE]", R"({"a":["yes","no","on","off","y","n","tRUE"]})"},
      {"a: [0, -0, +12, 007, -42]", R"({"a":[0,0,12,7,-42]})"},
      {"a: [0o17, 0x1F, 0xff, 0o8, 0x, 0b1]", R"({"a":[15,31,255,"0o8","0x","0b1"]})"},
      {"a: [1.5, .5, 1., -2.5e3, 1E2, +.5]", R"({"a":[1.5,0.5,1.0,-2500.0,100.0,0.5]})"},
      {"a: [1_000, 1.2.3, 1e, e1, .]", R"({"a":["1_000","1.2.3","1e","e1","."]})"},
      {"a: 9223372036854775807", R"({"a":9223372036854775807})"},
      {"a: -9223372036854775808", R"({"a":-9223372036854775808})"},
      {"a: 9223372036854775808", R"({"a":9223372036854775808.0})"},
      {"a: ['1', \"true\", 'null', '']", R"({"a":["1","true","null",""]})"},
      {"a: !!str 12", R"({"a":"12"})"},
      {"a: !!float 3", R"({"a":3.0})"},
      {"a: !!int '12'", R"({"a":12})"},
      {"a: !!bool 'true'", R"({"a":true})"},
      {"a: !!int abc", "ERR f.yaml:1:4: a: 'abc' is not a valid !!int"},
      {"a: !!bool yes", "ERR f.yaml:1:4: a: 'yes' is not a valid !!bool"},
      {"a: !!null 0", "ERR f.yaml:1:4: a: '0' is not a valid !!null"},
      {"a: !foo 1", "ERR f.yaml:1:4: a: unsupported tag '!foo'"},
      {"a: !!binary aGk=", "ERR f.yaml:1:4: a: unsupported tag '!!binary'"},
      {"a: !!set {x}", "ERR f.yaml:1:4: a: unsupported tag 'tag:yaml.org,2002:set'"},
      {"a: [.inf, -.Inf, .NaN]",
       "ERR f.yaml:1:5: a[0]: must be a finite number to be JSON, got .inf"},
      {"a: 1e400", "ERR f.yaml:1:4: a: must be a finite number to be JSON, got 1e400"},
      {"a: |\n  one\n  two\n", R"({"a":"one\ntwo\n"})"},
      {"a: >-\n  one\n  two\n", R"({"a":"one two"})"},
      {"a: \"tab\\there\"", R"({"a":"tab\there"})"},
      {"a: \"caf\\u00e9\"", R"({"a":"café"})"},
  };
  for (const Case& c : cases) EXPECT_EQ(AsJson(c.yaml), c.expected) << c.yaml;
}

TEST(YamlTest, StructureAliasesAndMerge) {
  const Case cases[] = {
      {"a: {b: [1, {c: d}]}", R"({"a":{"b":[1,{"c":"d"}]}})"},
      {"- a\n- b: 1\n  c: 2\n", R"(["a",{"b":1,"c":2}])"},
      {"a: &x [1, 2]\nb: *x\n", R"({"a":[1,2],"b":[1,2]})"},
      {"a: &s hi\nb: *s\n", R"({"a":"hi","b":"hi"})"},
      {"a: &n\nb: *n\n", R"({"a":null,"b":null})"},
      // Merge keys: explicit keys win, then earlier mappings in the list.
      {"x: &b {p: 1, q: 2}\nd:\n  <<: *b\n  q: 3\n", R"({"x":{"p":1,"q":2},"d":{"q":3,"p":1}})"},
      {"d:\n  <<: [{p: 1}, {p: 2, r: 3}]\n", R"({"d":{"p":1,"r":3}})"},
      {"d: {'<<': {p: 1}}", R"({"d":{"<<":{"p":1}}})"},  // a quoted "<<" is an ordinary key
      {"d: {<<: 1}", "ERR f.yaml:1:9: d: a merge key '<<' takes a mapping or a list of mappings"},
      {"d: {<<: [1]}",
       "ERR f.yaml:1:10: d: a merge key '<<' takes a mapping or a list of mappings"},
      // YAML 1.2 §3.2.1.1: keys are unique.
      {"a: 1\nb: 2\na: 3\n", "ERR f.yaml:3:1: a: duplicate key (first at line 1)"},
      {"x:\n  - k: 1\n    k: 2\n", "ERR f.yaml:3:5: x[0].k: duplicate key (first at line 2)"},
      {"x: {1: a, '1': b}", "ERR f.yaml:1:11: x.1: duplicate key (first at line 1)"},
      {"a: &a [*a]", "ERR f.yaml:1:8: a[0]: an alias may not refer to a node that contains it"},
      {"a: &a {b: {c: *a}}",
       "ERR f.yaml:1:15: a.b.c: an alias may not refer to a node that contains it"},
      {"? [a]\n: 1\n", "ERR f.yaml:1:3: a key must be a plain string, got a list"},
  };
  for (const Case& c : cases) EXPECT_EQ(AsJson(c.yaml), c.expected) << c.yaml;
}

TEST(YamlTest, SyntaxErrorsGiveFileLineAndColumn) {
  const Case cases[] = {
      {"a: [1, 2\n", "ERR f.yaml:2:1: YAML syntax error: end of sequence flow not found"},
      {"a: b: c\n", "ERR f.yaml:1:5: YAML syntax error: illegal map value"},
      {"a:\n  b: 1\n   c: 2\n", "ERR f.yaml:3:5: YAML syntax error: illegal map value"},
      {"a: \"open\nb: 1", "ERR f.yaml:2:5: YAML syntax error: illegal EOF in scalar"},
      {"a: @x", "ERR f.yaml:1:4: YAML syntax error: unknown token"},
      {"a: *nope\n", "ERR f.yaml:1:4: YAML syntax error: the referenced anchor is not defined"},
      {"a: 1\n---\nb: 2\n",
       "ERR f.yaml:2:1: a second YAML document; the file must hold exactly one"},
      {"a: \"\\0\"", "ERR f.yaml:1:4: a: a scalar may not contain a NUL character"},
      {"a: \"\xff\"", "ERR f.yaml:1:4: a: the text is not valid UTF-8"},
      {"a: \xed\xa0\x80", "ERR f.yaml:1:4: a: the text is not valid UTF-8"},  // a surrogate
      {"a: \xc0\xaf", "ERR f.yaml:1:4: a: the text is not valid UTF-8"},      // overlong '/'
  };
  for (const Case& c : cases) EXPECT_EQ(AsJson(c.yaml), c.expected) << c.yaml;
  EXPECT_EQ(AsJson("---\n"), "null");
  EXPECT_EQ(AsJson("# only a comment\n"), "null");
  EXPECT_EQ(AsJson("\xef\xbb\xbf"
                   "a: 1\n"),
            R"({"a":1})");  // a byte-order mark
}

TEST(YamlTest, MarksAreOneBased) {
  auto node = P("first: 1\nsecond:\n  inner: [x, y]\n");
  ASSERT_TRUE(node.ok());
  const Node* inner = node->find("second")->find("inner");
  ASSERT_NE(inner, nullptr);
  EXPECT_EQ(inner->mark().line, 3);
  EXPECT_EQ(inner->mark().column, 10);
  EXPECT_EQ(inner->items()[1].mark().line, 3);
  EXPECT_EQ(inner->items()[1].mark().column, 14);
  EXPECT_EQ(node->members()[1].key.mark().line, 2);
  EXPECT_EQ(node->members()[1].key.mark().column, 1);
}

TEST(YamlTest, AliasBombIsAnErrorNotAnOutOfMemory) {
  // "Billion laughs": ten levels of ten aliases each would be 10^10 nodes.
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 10; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) text += (k ? ", " : "") + prev;
    text += "]\n";
  }
  auto node = P(text);
  ASSERT_FALSE(node.ok());
  EXPECT_NE(node.error().message.find("too large: more than 1000000 nodes"), std::string::npos)
      << node.error().message;

  // The same budget counts bytes: a long string repeated by aliases.
  auto repeated = [](int copies) {
    std::string text = "s: &s " + std::string(1 << 20, 'x') + "\nl: [";
    for (int k = 0; k < copies; ++k) text += (k ? ", " : "") + std::string("*s");
    return text + "]\n";
  };
  ParseLimits limits;
  limits.max_scalar_bytes = 16 << 20;
  EXPECT_TRUE(Parse(repeated(10), "f.yaml", "E", limits).ok());
  auto bytes = Parse(repeated(20), "f.yaml", "E", limits);  // 21 MiB of text
  ASSERT_FALSE(bytes.ok());
  EXPECT_NE(bytes.error().message.find("too large"), std::string::npos);
}

TEST(YamlTest, DeepNestingIsAnError) {
  for (const std::string& text : {std::string(100'000, '['), std::string(100'000, '{'), [] {
                                    std::string s;
                                    for (int i = 0; i < 5000; ++i)
                                      s += std::string(static_cast<size_t>(i), ' ') + "- \n";
                                    return s;
                                  }()}) {
    auto node = P(text);
    if (node.ok()) continue;  // yaml-cpp may accept some deep forms; it must not crash
    EXPECT_EQ(node.error().message.rfind("f.yaml:", 0), 0u) << node.error().message;
  }
  auto flow = P(std::string(100'000, '['));
  ASSERT_FALSE(flow.ok());
  EXPECT_NE(flow.error().message.find("nested too deeply"), std::string::npos)
      << flow.error().message;
}

// Random bytes and mutations of a real file: Parse and ToJson must return, never crash or throw,
// and every error must name the file.
TEST(YamlTest, RandomInputNeverCrashes) {
  const std::string seed_text =
      "a: &x {b: [1, 2.5, 'q', \"\\u00e9\"], c: ~}\nd:\n  <<: *x\n  e: |\n    text\n"
      "f: [*x, !!str 1, {g: h}]\n? k\n: v\n---\nz: 1\n";
  const std::string alphabet = "-:?[]{},&*!|>'\"%@`#\n \t\\abc01.~<=";
  std::mt19937 rng(20261129);
  Reader reader("f.yaml", "E");
  for (int i = 0; i < 3000; ++i) {
    std::string text;
    if (i % 3 == 0) {
      size_t n = rng() % 200;
      for (size_t k = 0; k < n; ++k) text += static_cast<char>(rng() % 256);
    } else if (i % 3 == 1) {
      size_t n = rng() % 200;
      for (size_t k = 0; k < n; ++k) text += alphabet[rng() % alphabet.size()];
    } else {
      text = seed_text;
      for (int m = 0; m < 1 + static_cast<int>(rng() % 6); ++m) {
        size_t at = rng() % (text.size() + 1);
        switch (rng() % 3) {
          case 0:
            text.insert(at, 1, alphabet[rng() % alphabet.size()]);
            break;
          case 1:
            if (at < text.size()) text.erase(at, 1);
            break;
          default:
            if (at < text.size()) text[at] = static_cast<char>(rng() % 256);
            break;
        }
      }
    }
    auto node = Parse(text, "f.yaml", "E");
    if (node.ok()) {
      auto json = reader.ToJson(*node, "");
      if (!json.ok()) {
        EXPECT_EQ(json.error().message.rfind("f.yaml", 0), 0u);
      }
    } else {
      EXPECT_EQ(node.error().code, "E");
      EXPECT_EQ(node.error().message.rfind("f.yaml", 0), 0u) << node.error().message;
    }
  }
}

TEST(YamlTest, ReaderTypesAndMessages) {
  auto node = P("s: text\nn: 12\nf: 1.5\nb: true\nm: {x: 1}\nl: [1]\nz:\n");
  ASSERT_TRUE(node.ok());
  Reader r("f.yaml", "Bad");
  const Node& s = *node->find("s");
  const Node& n = *node->find("n");
  const Node& f = *node->find("f");
  const Node& b = *node->find("b");
  const Node& m = *node->find("m");
  const Node& l = *node->find("l");
  const Node& z = *node->find("z");
  EXPECT_EQ(*r.String(s, "s"), "text");
  EXPECT_EQ(*r.String(n, "n"), "12");  // any scalar reads as its text
  EXPECT_EQ(r.String(z, "z").error().message, "f.yaml:7:1: z: must be a string, got null");
  EXPECT_EQ(r.String(l, "l").error().message, "f.yaml:6:4: l: must be a string, got a list");
  EXPECT_EQ(*r.Integer(n, "n"), 12);
  EXPECT_EQ(r.Integer(f, "f").error().message, "f.yaml:3:4: f: must be an integer, got 1.5");
  EXPECT_EQ(*r.Number(f, "f"), 1.5);
  EXPECT_EQ(r.Number(s, "s").error().message, "f.yaml:1:4: s: must be a number, got 'text'");
  EXPECT_TRUE(*r.Bool(b, "b"));
  EXPECT_EQ(r.Bool(s, "s").error().message, "f.yaml:1:4: s: must be true or false, got 'text'");
  EXPECT_EQ(r.Bool(s, "s").error().code, "Bad");
  EXPECT_TRUE(r.Map(m, "m", {"x"}).ok());
  EXPECT_TRUE(r.Map(z, "z", {"x"}).ok());  // null is an empty mapping
  EXPECT_EQ(r.Map(m, "m", {"xx", "y"}).error().message,
            "f.yaml:5:5: m.x: unknown key; expected xx, y (did you mean 'xx'?)");
  EXPECT_EQ(r.Map(m, "m", {"long_name"}).error().message,
            "f.yaml:5:5: m.x: unknown key; expected long_name");
  EXPECT_EQ(r.Map(l, "l", {}).error().message, "f.yaml:6:4: l: must be a mapping, got a list");
  EXPECT_EQ((*r.Sequence(z, "z"))->size(), 0u);
  EXPECT_EQ(r.Sequence(m, "m").error().message, "f.yaml:5:4: m: must be a list, got a mapping");
  EXPECT_EQ(ItemPath("a.b", 3), "a.b[3]");
}

}  // namespace
}  // namespace wharf::yaml
