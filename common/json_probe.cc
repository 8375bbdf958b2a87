#include "common/json_probe.h"

#include <nlohmann/json.hpp>

#include "common/json_limits.h"

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
