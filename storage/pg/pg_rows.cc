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

std::string LiveApplicationForShare(std::string_view param) {
  std::string sql = "SELECT id FROM applications WHERE id = ";
  sql += param;
  sql += " AND deleted_at IS NULL FOR SHARE";
  return sql;
}

std::string WithLiveApplication(std::string_view param) {
  std::string sql = "WITH app AS (";
  sql += LiveApplicationForShare(param);
  sql += ')';
  return sql;
}

Result<bool> LockLiveApplication(PgConn& conn, const std::string& app_id) {
  auto r = conn.Exec(LiveApplicationForShare("$1"), {app_id});
  if (!r.ok()) return r.status();
  return r->rows() > 0;
}

}  // namespace hookd
