// Env: what an ASL expression may read while a state runs: the state's input ($), the context
// object ($$), the variables ($name) and the source of randomness for States.UUID and
// States.MathRandom. The interpreter never reads the clock or a random device itself; the engine
// passes them in here (DESIGN.md, "Rules of the house").
// Thread-safety: an Env is read-only while expressions are evaluated; build one per evaluation.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/json.h"

namespace wharf::asl {

// Variables set by Assign. A Parallel branch or Map iteration gets a new scope whose `outer`
// is the enclosing one: it reads the outer variables but its own assignments stay inside it.
struct VarScope {
  std::shared_ptr<const VarScope> outer;
  std::map<std::string, Json, std::less<>> vars;

  // Looks `name` up here, then in the enclosing scopes; nullptr when it is not defined.
  const Json* Lookup(std::string_view name) const {
    for (const VarScope* s = this; s; s = s->outer.get()) {
      auto it = s->vars.find(name);
      if (it != s->vars.end()) return &it->second;
    }
    return nullptr;
  }
};

// Non-deterministic inputs. The engine records what they returned so that a replay is exact.
class Entropy {
 public:
  virtual ~Entropy() = default;
  virtual std::string NewUuid() = 0;  // a random (version 4) UUID, lower case
  virtual uint64_t NextRandom() = 0;  // 64 random bits
};

struct Env {
  const Json& input;               // $
  const Json& context;             // $$
  const VarScope* vars = nullptr;  // $name; nullptr means no variables are defined
  Entropy* entropy = nullptr;      // nullptr: States.UUID / unseeded MathRandom fail
};

}  // namespace wharf::asl
