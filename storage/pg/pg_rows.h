// Small helpers the PostgreSQL stores share for reading rows and passing parameters: a nullable
// bigint read into an optional, an optional passed as a nullable parameter, and the kNotFound a
// store answers for a missing row. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/status.h"
#include "storage/pg/pg_conn.h"

namespace hookd {

// Reads column `col` of `row` into `out`, leaving `out` empty for NULL; an error when the value is
// not an integer.
Status ReadOptionalInt(const PgResult& r, int row, int col, std::optional<int64_t>& out);

// `v` as a parameter: its value, or NULL when empty.
inline PgParam OptionalParam(const std::optional<int64_t>& v) {
  return v ? PgParam(*v) : PgParam(nullptr);
}

// A nullable text parameter.
inline PgParam OptionalText(const std::optional<std::string>& v) {
  return v ? PgParam(*v) : PgParam(nullptr);
}

// kNotFound with the message `what` followed by `id` ("no endpoint ep_1").
Status PgNotFound(std::string_view what, std::string_view id);

}  // namespace hookd
