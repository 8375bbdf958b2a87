#include "common/json_fields.h"

#include <cstddef>
#include <nlohmann/json.hpp>

namespace hookd {
namespace {

using Json = nlohmann::json;

// A SAX handler that keeps the wanted string members of the outermost object.
class TopLevelStrings : public nlohmann::json_sax<Json> {
 public:
  explicit TopLevelStrings(std::initializer_list<std::pair<std::string_view, std::string*>> wanted)
      : wanted_(wanted) {}

  bool null() override { return Value(); }
  bool boolean(bool) override { return Value(); }
  bool number_integer(number_integer_t) override { return Value(); }
  bool number_unsigned(number_unsigned_t) override { return Value(); }
  bool number_float(number_float_t, const string_t&) override { return Value(); }
  bool binary(binary_t&) override { return Value(); }
  bool string(string_t& s) override {
    if (depth_ == 1 && target_) *target_ = s;
    return Value();
  }
  bool start_object(std::size_t) override {
    if (depth_ == 0) is_object_ = true;
    ++depth_;
    target_ = nullptr;
    return true;
  }
  bool key(string_t& k) override {
    target_ = nullptr;
    if (depth_ != 1) return true;
    for (const auto& [name, out] : wanted_) {
      if (k == name) target_ = out;
    }
    return true;
  }
  bool end_object() override {
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    ++depth_;
    target_ = nullptr;
    return true;
  }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }
  bool is_object() const { return is_object_; }

 private:
  bool Value() {
    target_ = nullptr;
    return true;
  }
  std::initializer_list<std::pair<std::string_view, std::string*>> wanted_;
  int depth_ = 0;
  bool is_object_ = false;
  std::string* target_ = nullptr;  // the wanted member whose value comes next
};

}  // namespace

bool ReadTopLevelStrings(std::string_view text,
                         std::initializer_list<std::pair<std::string_view, std::string*>> wanted) {
  TopLevelStrings sax(wanted);
  const bool ok = Json::sax_parse(text.begin(), text.end(), &sax, Json::input_format_t::json,
                                  /*strict=*/true);
  return ok && sax.is_object();
}

}  // namespace hookd
