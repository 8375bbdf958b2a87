// Small helpers the PostgreSQL stores share for reading rows and answering for missing ones.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "storage/pg/pg_conn.h"

namespace hookd {

// Reads a nullable bigint column: left unset for NULL, an error for a value that is no integer.
Status ReadOptionalInt(const PgResult& r, int row, int col, std::optional<int64_t>& out);

// A nullable bigint parameter.
inline PgParam OptionalInt(const std::optional<int64_t>& v) {
  return v ? PgParam(*v) : PgParam(nullptr);
}

// A nullable text parameter.
inline PgParam OptionalText(const std::optional<std::string>& v) {
  return v ? PgParam(*v) : PgParam(nullptr);
}

// 404 not_found with the message `what` followed by `id` ("no endpoint " + id).
Status PgNotFound(std::string_view what, std::string_view id);

}  // namespace hookd
