#include "storage/pg/pg_rows.h"

namespace hookd {

Status ReadOptionalInt(const PgResult& r, int row, int col, std::optional<int64_t>& out) {
  if (r.IsNull(row, col)) return Status::Ok();
  auto v = r.Int(row, col);
  if (!v.ok()) return v.status();
  out = *v;
  return Status::Ok();
}

Status PgNotFound(std::string_view what, std::string_view id) {
  std::string message(what);
  message += id;
  return Status::NotFound(message);
}

}  // namespace hookd
