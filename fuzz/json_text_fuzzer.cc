// Writing JSON text from arbitrary bytes: AppendJsonString, IsValidUtf8, DumpJson of strings and
// keys holding bad UTF-8, and CheckIdentifier. Input: any bytes, used as one string.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/json_limits.h"
#include "common/json_text.h"
#include "fuzz/fuzz_util.h"
#include "ingest/verifier_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hookd;
  const std::string_view s = fuzz::AsView(data, size);
  const bool valid = IsValidUtf8(s);

  // AppendJsonString's output always parses back, to exactly `s` when `s` is valid UTF-8.
  std::string literal = "prefix";
  AppendJsonString(literal, s);
  FUZZ_CHECK(literal.compare(0, 6, "prefix") == 0, "appends");
  const std::string_view written = std::string_view(literal).substr(6);
  const auto back = nlohmann::json::parse(written, nullptr, false);
  FUZZ_CHECK(!back.is_discarded() && back.is_string(), literal);
  const std::string& decoded = back.get_ref<const std::string&>();
  FUZZ_CHECK(IsValidUtf8(decoded), "the output is valid UTF-8");
  FUZZ_CHECK(!valid || decoded == s, "valid UTF-8 survives unchanged");
  FUZZ_CHECK(valid || decoded != s, "invalid UTF-8 is replaced");

  // nlohmann writes valid strings the same way, and its parser agrees with IsValidUtf8 on raw
  // bytes inside a string literal.
  const std::string dumped = DumpJson(nlohmann::json(std::string(s)));
  if (valid) FUZZ_CHECK(dumped == written, dumped);
  bool plain = true;  // no byte the lexer rejects for another reason
  for (char c : s) plain = plain && c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20;
  if (plain) {
    const auto raw = nlohmann::json::parse("\"" + std::string(s) + "\"", nullptr, false);
    FUZZ_CHECK(raw.is_discarded() != valid, "IsValidUtf8 agrees with nlohmann's lexer");
  }

  // DumpJson never throws and always writes parseable JSON, whatever the keys and strings hold.
  nlohmann::json doc = {{std::string(s), {std::string(s), 1, nullptr}}, {"k", std::string(s)}};
  const std::string doc_text = DumpJson(doc);
  const Result<nlohmann::json> doc_back = ParseJsonBounded(doc_text);
  FUZZ_CHECK(doc_back.ok() && doc_back->is_object(), doc_text);
  if (valid) FUZZ_CHECK(*doc_back == doc, doc_text);

  // An identifier that passes is short, valid UTF-8 and free of control characters.
  if (CheckIdentifier(s, "fuzz").ok()) {
    FUZZ_CHECK(s.size() <= kMaxIdentifierBytes && valid, "identifier");
    for (char c : s) FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f, "control");
  }
  return 0;
}
