// Writing JSON text directly, for the few hot-path documents (one per ingested event) where
// building an nlohmann::json value first costs more than the rest of the work. Pure, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace hookd {

// Appends `s` as a JSON string literal (quotes included). Invalid UTF-8 bytes become U+FFFD, as
// nlohmann's error_handler_t::replace does, so the output is always valid JSON.
void AppendJsonString(std::string& out, std::string_view s);

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool IsValidUtf8(std::string_view s);

// A JSON object written member by member, e.g. JsonObjectText().Str("id", id).Int("n", 1).Text().
// The caller gives members in the order wanted (nlohmann::json writes keys sorted, so keys given
// in alphabetical order produce the same text); keys are not checked for duplicates.
class JsonObjectText {
 public:
  JsonObjectText& Str(std::string_view key, std::string_view value) {
    Key(key);
    AppendJsonString(out_, value);
    return *this;
  }
  JsonObjectText& Int(std::string_view key, int64_t value) {
    Key(key);
    out_ += std::to_string(value);
    return *this;
  }
  JsonObjectText& Null(std::string_view key) {
    Key(key);
    out_ += "null";
    return *this;
  }
  // The finished object; the builder is left empty.
  std::string Text() {
    if (out_.empty()) out_.push_back('{');  // not = "{": GCC 12's bogus -Wrestrict
    out_ += '}';
    return std::move(out_);
  }

 private:
  void Key(std::string_view key) {
    out_ += out_.empty() ? '{' : ',';
    AppendJsonString(out_, key);
    out_ += ':';
  }
  std::string out_;
};

}  // namespace hookd
