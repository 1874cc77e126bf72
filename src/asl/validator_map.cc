// The Map state's own fields: ItemProcessor / Iterator with ProcessorConfig, ItemsPath / Items,
// ItemSelector / Parameters, MaxConcurrency, the failure tolerances, ItemBatcher, ItemReader,
// ResultWriter and Label.
#include <limits>

#include "asl/validator.h"

namespace wharf::asl::internal {

namespace {

bool CheckKeys(Validator& v, const Json& obj, const Loc& loc,
               std::initializer_list<std::string_view> allowed, const char* what) {
  for (const auto& [key, value] : obj.as_object()) {
    bool ok = false;
    for (std::string_view a : allowed) ok = ok || key == a;
    if (!ok) return v.Fail(loc.Key(key), std::string("unknown field in ") + what);
  }
  return true;
}

// AWS: a Map Label has at most 40 characters and none of whitespace, brackets, wildcards,
// the special characters " # % \ ^ | ~ ` $ & , ; : / or control characters.
bool ValidLabel(std::string_view label) {
  if (label.empty() || Utf8Length(label) > 40) return false;
  for (unsigned char c : label) {
    if (c < 0x20 || c == 0x7F || c == ' ') return false;
    if (std::string_view("<>{}[]?*\"#%\\^|~`$&,;:/").find(static_cast<char>(c)) !=
        std::string_view::npos)
      return false;
  }
  return true;
}

}  // namespace

bool Validator::ParseMapFields(const Json& body, const Loc& loc, State& out) {
  // Spec §Map State: the iteration runs the state machine in "ItemProcessor" (formerly
  // "Iterator"); exactly one of them is required.
  const Json* processor = body.find("ItemProcessor");
  const char* processor_key = "ItemProcessor";
  if (const Json* iterator = body.find("Iterator")) {
    if (processor) return Fail(loc.Key("Iterator"), "cannot be combined with 'ItemProcessor'");
    processor = iterator;
    processor_key = "Iterator";
  }
  if (!processor) return Fail(loc, "required field 'ItemProcessor' (or 'Iterator') is missing");
  Loc ploc = loc.Key(processor_key);
  if (processor->is_object()) {
    if (const Json* config = processor->find("ProcessorConfig")) {
      Loc cloc = ploc.Key("ProcessorConfig");
      if (!config->is_object()) return Fail(cloc, "must be a JSON object");
      if (!CheckKeys(*this, *config, cloc, {"Mode", "ExecutionType"}, "ProcessorConfig"))
        return false;
      if (const Json* mode = config->find("Mode")) {
        if (!mode->is_string() ||
            (mode->as_string() != "INLINE" && mode->as_string() != "DISTRIBUTED"))
          return Fail(cloc.Key("Mode"), "must be \"INLINE\" or \"DISTRIBUTED\"");
        out.distributed = mode->as_string() == "DISTRIBUTED";
      }
      if (const Json* type = config->find("ExecutionType")) {
        if (!type->is_string() ||
            (type->as_string() != "STANDARD" && type->as_string() != "EXPRESS"))
          return Fail(cloc.Key("ExecutionType"), "must be \"STANDARD\" or \"EXPRESS\"");
        out.execution_type = type->as_string();
      } else if (out.distributed) {
        return Fail(cloc, "a DISTRIBUTED processor needs an ExecutionType (STANDARD or EXPRESS)");
      }
    }
  }
  out.processor = ParseMachine(*processor, ploc, MachineKind::kProcessor);
  if (!out.processor) return false;

  // The items: ItemsPath (a reference path, default "$") or a literal Items array.
  const Json* items_path = body.find("ItemsPath");
  const Json* items = body.find("Items");
  if (items_path && items) return Fail(loc.Key("Items"), "cannot be combined with 'ItemsPath'");
  if (items_path && !ParseReferencePath(*items_path, loc.Key("ItemsPath"), out.items_path))
    return false;
  if (items) {
    if (!items->is_array())
      return Fail(loc.Key("Items"),
                  "must be an array in a JSONPath state (use ItemsPath to "
                  "select items from the input)");
    out.items = *items;
  }

  // ItemSelector, or its former name Parameters.
  const Json* selector = body.find("ItemSelector");
  if (const Json* params = body.find("Parameters")) {
    if (selector) return Fail(loc.Key("Parameters"), "cannot be combined with 'ItemSelector'");
    if (!ParseTemplate(*params, loc.Key("Parameters"), out.parameters, Shape::kObjectOrArray))
      return false;
    out.item_selector_is_parameters = true;
  } else if (selector) {
    if (!ParseTemplate(*selector, loc.Key("ItemSelector"), out.parameters, Shape::kObjectOrArray))
      return false;
  }

  // Spec §Map State: MaxConcurrency is a non-negative integer (0: no limit).
  if (!ParseIntOrPath(body, "MaxConcurrency", loc, 0, std::numeric_limits<int32_t>::max(),
                      out.max_concurrency))
    return false;

  // Failure tolerance: a count (non-negative integer) and a percentage (0 to 100), each
  // literal or through a path.
  IntOrPath count;
  if (!ParseIntOrPath(body, "ToleratedFailureCount", loc, 0, std::numeric_limits<int32_t>::max(),
                      count))
    return false;
  out.tolerated_failure_count = count.value;
  out.tolerated_failure_count_path = count.path;
  const Json* pct = body.find("ToleratedFailurePercentage");
  const Json* pct_path = body.find("ToleratedFailurePercentagePath");
  if (pct && pct_path)
    return Fail(loc.Key("ToleratedFailurePercentagePath"),
                "cannot be combined with 'ToleratedFailurePercentage'");
  if (pct) {
    Loc l = loc.Key("ToleratedFailurePercentage");
    if (!pct->is_number()) return Fail(l, "must be a number");
    if (pct->as_double() < 0 || pct->as_double() > 100) return Fail(l, "must be between 0 and 100");
    out.tolerated_failure_percentage = pct->as_double();
  }
  if (pct_path && !ParseReferencePath(*pct_path, loc.Key("ToleratedFailurePercentagePath"),
                                      out.tolerated_failure_percentage_path))
    return false;

  if (const Json* batcher = body.find("ItemBatcher")) {
    Loc bloc = loc.Key("ItemBatcher");
    if (!batcher->is_object()) return Fail(bloc, "must be a JSON object");
    if (!CheckKeys(*this, *batcher, bloc,
                   {"MaxItemsPerBatch", "MaxItemsPerBatchPath", "MaxInputBytesPerBatch",
                    "MaxInputBytesPerBatchPath", "BatchInput"},
                   "ItemBatcher"))
      return false;
    ItemBatcher b;
    if (!ParseIntOrPath(*batcher, "MaxItemsPerBatch", bloc, 1, std::numeric_limits<int32_t>::max(),
                        b.max_items_per_batch))
      return false;
    // AWS: a batch is at most 256 KiB.
    if (!ParseIntOrPath(*batcher, "MaxInputBytesPerBatch", bloc, 1, 262144,
                        b.max_input_bytes_per_batch))
      return false;
    if (const Json* input = batcher->find("BatchInput"))
      if (!ParseTemplate(*input, bloc.Key("BatchInput"), b.batch_input, Shape::kObject))
        return false;
    out.item_batcher = std::move(b);
  }

  if (const Json* reader = body.find("ItemReader")) {
    Loc rloc = loc.Key("ItemReader");
    if (!reader->is_object()) return Fail(rloc, "must be a JSON object");
    if (!CheckKeys(*this, *reader, rloc, {"Resource", "Parameters", "ReaderConfig"}, "ItemReader"))
      return false;
    const Json* resource = reader->find("Resource");
    if (!resource) return Fail(rloc, "required field 'Resource' is missing");
    std::string ignored;
    if (!ParseResource(*resource, rloc.Key("Resource"), ignored)) return false;
    std::optional<PayloadTemplate> params;
    if (const Json* p = reader->find("Parameters"))
      if (!ParseTemplate(*p, rloc.Key("Parameters"), params, Shape::kObject)) return false;
    if (const Json* config = reader->find("ReaderConfig")) {
      Loc cloc = rloc.Key("ReaderConfig");
      if (!config->is_object()) return Fail(cloc, "must be a JSON object");
      IntOrPath max_items;
      // AWS: MaxItems is at most 100,000,000.
      if (!ParseIntOrPath(*config, "MaxItems", cloc, 0, 100000000, max_items)) return false;
      if (const Json* type = config->find("InputType"))
        if (!ParseString(*type, cloc.Key("InputType"), ignored, Empty::kRejected)) return false;
    }
    out.item_reader = *reader;
  }

  if (const Json* writer = body.find("ResultWriter")) {
    Loc wloc = loc.Key("ResultWriter");
    if (!writer->is_object()) return Fail(wloc, "must be a JSON object");
    if (!CheckKeys(*this, *writer, wloc, {"Resource", "Parameters", "WriterConfig"},
                   "ResultWriter"))
      return false;
    std::string ignored;
    if (const Json* resource = writer->find("Resource"))
      if (!ParseResource(*resource, wloc.Key("Resource"), ignored)) return false;
    std::optional<PayloadTemplate> params;
    if (const Json* p = writer->find("Parameters"))
      if (!ParseTemplate(*p, wloc.Key("Parameters"), params, Shape::kObject)) return false;
    out.result_writer = *writer;
  }

  if (const Json* label = body.find("Label")) {
    if (!ParseString(*label, loc.Key("Label"), out.label, Empty::kRejected)) return false;
    if (!ValidLabel(out.label))
      return Fail(loc.Key("Label"),
                  "a label has at most 40 characters and no whitespace, brackets, wildcards, "
                  "control characters or any of \" # % \\ ^ | ~ ` $ & , ; : /");
    if (!all_labels_.insert(out.label).second)
      return Fail(loc.Key("Label"),
                  "duplicate label: Map labels must be unique in the state "
                  "machine");
  }
  return true;
}

}  // namespace wharf::asl::internal
