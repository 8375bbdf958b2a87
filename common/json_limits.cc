#include "common/json_limits.h"

namespace hookd {
namespace {

// Stops nlohmann's SAX parse at its first error and keeps the error's id and position.
struct ErrorCatcher final : nlohmann::json_sax<nlohmann::json> {
  int id = 0;
  std::size_t position = 0;
  bool parse_error(std::size_t pos, const std::string&,
                   const nlohmann::detail::exception& e) override {
    id = e.id;
    position = pos;
    return false;
  }
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
};

}  // namespace

bool JsonNestedDeeperThan(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) return true;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return false;
}

std::string JsonErrorMessage(int exception_id, std::size_t byte_position) {
  const std::string at = " at byte " + std::to_string(byte_position);
  if (exception_id == 406) return "a number is out of range" + at;
  return "not valid JSON" + at;
}

Result<nlohmann::json> ParseJsonBounded(std::string_view text) {
  if (JsonNestedDeeperThan(text))
    return Status::Malformed(
        "invalid_json", "JSON is nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  // nlohmann's lexer takes a NUL byte for the end of input, so "{}\0junk" would parse as {}.
  // A raw NUL is never valid JSON (even inside a string it must be escaped).
  if (const size_t nul = text.find('\0'); nul != std::string_view::npos)
    return Status::Malformed("invalid_json", JsonErrorMessage(101, nul + 1));
  auto value = nlohmann::json::parse(text, nullptr, false);
  if (!value.is_discarded()) return value;
  // Parse again only to say why; the failure path is rare.
  ErrorCatcher why;
  nlohmann::json::sax_parse(text, &why, nlohmann::json::input_format_t::json, true);
  return Status::Malformed("invalid_json", JsonErrorMessage(why.id, why.position));
}

std::string DumpJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace hookd
