// Small helpers the PostgreSQL stores share for reading rows and passing parameters: a nullable
// bigint read into an optional, an optional passed as a nullable parameter, and the kNotFound a
// store answers for a missing row, and the FOR SHARE lock an insert under an application takes on
// its live row. Pure but for the lock's statement, run on the caller's connection.
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

// The query that takes the FOR SHARE lock on the live application whose id is the parameter
// `param` ("$18") and gives its id: an insert under an application selects from it ("WITH app AS
// (<this>) INSERT ... SELECT ... FROM app"), so it inserts nothing when the application is gone.
// FOR SHARE conflicts with the UPDATE that marks the application deleted: one of the two waits for
// the other, and under READ COMMITTED a locked row is checked again as committed
// (docs/DECISIONS.md, "PostgreSQL: applications").
std::string LiveApplicationForShare(std::string_view param);

// "WITH app AS (<LiveApplicationForShare(param)>)", to begin such an insert with.
std::string WithLiveApplication(std::string_view param);

// Runs that query alone in the caller's transaction: true when the application is live, its row
// then share-locked until the transaction ends.
Result<bool> LockLiveApplication(PgConn& conn, const std::string& app_id);

}  // namespace hookd
