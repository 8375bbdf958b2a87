#include "ingest/verifier_util.h"

#include <charconv>
#include <vector>

#include "common/json_limits.h"
#include "common/json_text.h"

namespace hookd {

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

}  // namespace hookd
