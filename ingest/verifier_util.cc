#include "ingest/verifier_util.h"

#include <charconv>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/json_limits.h"
#include "common/json_text.h"

namespace hookd {
namespace {

// Tracks nesting so only members of the outermost object are captured.
class TopLevelProbe final : public nlohmann::json_sax<nlohmann::json> {
 public:
  TopLevelProbe(std::initializer_list<std::string_view> keys,
                std::map<std::string, std::string, std::less<>>& out)
      : keys_(keys), out_(out) {}

  bool null() override { return Scalar(); }
  bool boolean(bool) override { return Scalar(); }
  bool number_integer(number_integer_t) override { return Scalar(); }
  bool number_unsigned(number_unsigned_t) override { return Scalar(); }
  bool number_float(number_float_t, const string_t&) override { return Scalar(); }
  bool string(string_t& val) override {
    if (depth_ == 1 && wanted_) out_.insert_or_assign(std::move(key_), std::move(val));
    return Scalar();
  }
  bool binary(binary_t&) override { return Scalar(); }
  bool start_object(std::size_t) override { return Open(true); }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override { return Open(false); }
  bool end_array() override { return Close(); }
  bool key(string_t& val) override {
    wanted_ = false;
    if (depth_ == 1) {
      for (std::string_view k : keys_) wanted_ = wanted_ || k == val;
      if (wanted_) key_ = val;
    }
    return true;
  }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& e) override {
    error_ = JsonErrorMessage(e.id, position);
    return false;
  }
  bool root_is_object() const { return root_is_object_; }
  // Why the parse stopped, when it did ("" when the document was not an object).
  const std::string& error() const { return error_; }

 private:
  bool Scalar() {
    wanted_ = false;
    return depth_ > 0;  // a bare scalar document is not an object
  }
  bool Open(bool object) {
    if (depth_ == 0) root_is_object_ = object;
    wanted_ = false;
    if (++depth_ > kMaxJsonDepth) {
      error_ = "JSON is nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
      return false;
    }
    return root_is_object_;
  }
  bool Close() {
    --depth_;
    wanted_ = false;
    return true;
  }

  std::initializer_list<std::string_view> keys_;
  std::map<std::string, std::string, std::less<>>& out_;
  int depth_ = 0;
  bool wanted_ = false;
  bool root_is_object_ = false;
  std::string key_;
  std::string error_;
};

}  // namespace

Status BadSignature(std::string msg) {
  return Status::Unauthenticated("invalid_signature", std::move(msg));
}

Status CheckIdentifier(std::string_view value, std::string_view what) {
  const auto bad = [&](const std::string& why) {
    return Status(ErrorKind::kMalformed, "invalid_header", std::string(what) + " " + why);
  };
  if (value.size() > kMaxIdentifierBytes)
    return bad("is longer than " + std::to_string(kMaxIdentifierBytes) + " bytes");
  if (!IsValidUtf8(value)) return bad("is not valid UTF-8");
  for (char c : value)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return bad("holds a control character");
  return Status::Ok();
}

Result<std::optional<std::string>> IdentifierHeader(const Headers& headers, std::string_view name) {
  auto values = headers.GetAll(name);
  if (values.empty()) return std::optional<std::string>();
  for (std::string_view v : values)
    if (v != values.front())
      return Status(ErrorKind::kMalformed, "invalid_header",
                    std::string(name) + " appears more than once with different values");
  if (Status s = CheckIdentifier(values.front(), name); !s.ok()) return s;
  return std::optional<std::string>(std::string(values.front()));
}

Result<std::optional<std::string_view>> SingleSignatureHeader(const Headers& headers,
                                                              std::string_view name) {
  auto values = headers.GetAll(name);
  if (values.size() > 1) return BadSignature(std::string(name) + " appears more than once");
  if (values.empty()) return std::optional<std::string_view>();
  return std::optional<std::string_view>(values.front());
}

std::optional<int64_t> ParseUnixSeconds(std::string_view s) {
  if (s.empty() || s.front() < '0' || s.front() > '9') return std::nullopt;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

bool WithinTolerance(int64_t ts, int64_t now, int64_t tolerance) {
  if (tolerance < 0) return false;
  // Unsigned subtraction gives the exact distance between any two int64 values.
  uint64_t diff = ts >= now ? static_cast<uint64_t>(ts) - static_cast<uint64_t>(now)
                            : static_cast<uint64_t>(now) - static_cast<uint64_t>(ts);
  return diff <= static_cast<uint64_t>(tolerance);
}

Status StaleTimestamp(std::string_view header, int64_t ts, int64_t tolerance) {
  return Status::Unauthenticated("timestamp_out_of_tolerance",
                                 std::string(header) + " timestamp " + std::to_string(ts) +
                                     " is more than " + std::to_string(tolerance) + " s from now");
}

Result<std::map<std::string, std::string, std::less<>>> ProbeJsonObject(
    std::string_view body, std::initializer_list<std::string_view> keys) {
  // As in ParseJsonBounded: nlohmann would stop at a NUL byte and ignore what follows it.
  if (const size_t nul = body.find('\0'); nul != std::string_view::npos)
    return Status::Malformed("invalid_json", "body: " + JsonErrorMessage(101, nul + 1));
  std::map<std::string, std::string, std::less<>> out;
  TopLevelProbe probe(keys, out);
  const bool ok = nlohmann::json::sax_parse(body.begin(), body.end(), &probe,
                                            nlohmann::json::input_format_t::json, true);
  if (!probe.error().empty()) return Status::Malformed("invalid_json", "body: " + probe.error());
  if (!ok || !probe.root_is_object())
    return Status::Malformed("invalid_json", "body is not a JSON object");
  return out;
}

}  // namespace hookd
