#include "storage/pg/pg_app_stats.h"

#include <map>
#include <string>

#include "common/time_format.h"
#include "storage/pg/pg_conn.h"

namespace hookd {

Result<nlohmann::json> PgAppStats::Stats(const std::string& app_id, int64_t now_ms,
                                         std::chrono::milliseconds window) {
  const int64_t since = now_ms - window.count();
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  // One snapshot for both counts, as SQLite's one connection reads them.
  auto txn = PgTransaction::Begin(**conn, PgTransaction::Isolation::kRepeatableRead);
  if (!txn.ok()) return txn.status();
  // seq starts at 1, so 0 stands for "no older row": every row counts.
  auto messages = (*conn)->Exec(
      "SELECT COUNT(*) FROM messages WHERE app_id = $1 AND seq > COALESCE((SELECT seq FROM"
      " messages WHERE app_id = $1 AND created_at < $2::bigint ORDER BY seq DESC LIMIT 1), 0)",
      {app_id, since});
  if (!messages.ok()) return messages.status();
  auto message_count = messages->Int(0, 0);
  if (!message_count.ok()) return message_count.status();
  auto deliveries = (*conn)->Exec(
      "SELECT status, COUNT(*) FROM deliveries WHERE app_id = $1 AND seq > COALESCE((SELECT seq"
      " FROM deliveries WHERE app_id = $1 AND created_at < $2::bigint ORDER BY seq DESC LIMIT 1),"
      " 0) GROUP BY status",
      {app_id, since});
  if (!deliveries.ok()) return deliveries.status();
  std::map<std::string, int64_t> by_status = {
      {"pending", 0}, {"retrying", 0}, {"succeeded", 0}, {"failed", 0}};
  for (int row = 0; row < deliveries->rows(); ++row) {
    auto n = deliveries->Int(row, 1);
    if (!n.ok()) return n.status();
    by_status[std::string(deliveries->Text(row, 0))] = *n;
  }
  if (Status s = (*txn)->Commit(); !s.ok()) return s;
  return nlohmann::json{
      {"since", FormatRfc3339(since)}, {"messages", *message_count}, {"deliveries", by_status}};
}

}  // namespace hookd
