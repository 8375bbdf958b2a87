// The JSON entry points that read outside data: ParseJsonBounded, JsonNestedDeeperThan, DumpJson,
// ProbeJsonObject and ParseJsonObject. Input: a JSON document (or anything else).
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/api_helpers.h"
#include "common/json_limits.h"
#include "fuzz/fuzz_util.h"
#include "ingest/verifier_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hookd;
  const std::string_view text = fuzz::AsView(data, size);
  const Result<nlohmann::json> parsed = ParseJsonBounded(text);
  if (parsed.ok()) {
    FUZZ_CHECK(!JsonNestedDeeperThan(text), "an accepted document is within the depth limit");
    // What is accepted re-serializes to text that parses back to the same value.
    const std::string dumped = DumpJson(*parsed);
    const Result<nlohmann::json> reparsed = ParseJsonBounded(dumped);
    FUZZ_CHECK(reparsed.ok(), dumped);
    FUZZ_CHECK(*reparsed == *parsed, dumped);
    FUZZ_CHECK(DumpJson(*reparsed) == dumped, dumped);
  } else {
    FUZZ_CHECK(parsed.status().code() == "invalid_json", parsed.status().ToString());
  }

  // The verifiers' SAX probe accepts exactly the documents the DOM parser accepts as objects,
  // and finds the same top-level string members.
  const auto probe = ProbeJsonObject(text, {"id", "type"});
  const bool is_object = parsed.ok() && parsed->is_object();
  FUZZ_CHECK(probe.ok() == is_object, probe.ok() ? "probe accepted" : probe.status().ToString());
  if (probe.ok()) {
    for (const char* key : {"id", "type"}) {
      auto it = parsed->find(key);
      // With repeated keys the DOM keeps the last value and the probe the last string value.
      if (it != parsed->end() && it->is_string()) {
        FUZZ_CHECK(probe->count(key) == 1 && probe->at(key) == it->get<std::string>(), key);
      }
      if (it == parsed->end()) FUZZ_CHECK(probe->count(key) == 0, key);
    }
  } else {
    FUZZ_CHECK(probe.status().code() == "invalid_json", probe.status().ToString());
  }

  // The admin API's body parser: the same verdict as the DOM parser for a JSON content type.
  HttpRequest req;
  req.headers.Add("Content-Type", "application/json");
  req.body = std::string(text);
  const Result<nlohmann::json> api = ParseJsonObject(req);
  FUZZ_CHECK(api.ok() == (text.empty() || is_object), "ParseJsonObject agrees");
  if (api.ok() && !text.empty()) FUZZ_CHECK(*api == *parsed, "same value");
  return 0;
}
