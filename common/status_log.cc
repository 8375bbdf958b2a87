#include "common/status_log.h"

#include "common/db.h"
#include "common/json_limits.h"
#include "common/time_format.h"

namespace hookd {

std::string StatusDataText(const nlohmann::json& data) { return DumpJson(data); }

Status AppendStatus(Db& db, std::string_view type, int64_t at_ms, const nlohmann::json& data) {
  return AppendStatusText(db, type, at_ms, StatusDataText(data));
}

Status AppendStatusText(Db& db, std::string_view type, int64_t at_ms, std::string_view data) {
  auto st = db.Cached("INSERT INTO status_log (type, at, data) VALUES (?, ?, ?)");
  if (!st.ok()) return st.status();
  return (*st)->Bind(1, type).Bind(2, at_ms).Bind(3, data).Run();
}

Result<std::vector<StatusEntry>> ReadStatusAfter(Db& db, int64_t after, int limit,
                                                 bool parse_data) {
  auto st =
      db.Cached("SELECT seq, type, at, data FROM status_log WHERE seq > ? ORDER BY seq LIMIT ?");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, after).Bind(2, static_cast<int64_t>(limit));
  std::vector<StatusEntry> out;
  while (true) {
    auto row = (*st)->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    StatusEntry e{(*st)->Int(0), (*st)->Text(1), (*st)->Int(2), nullptr, (*st)->Text(3)};
    if (parse_data) e.data = nlohmann::json::parse(e.data_text, nullptr, false);
    out.push_back(std::move(e));
  }
  return out;
}

nlohmann::json StatusEntryJson(const StatusEntry& e) {
  return {{"seq", e.seq}, {"type", e.type}, {"at", FormatRfc3339(e.at_ms)}, {"data", e.data}};
}

}  // namespace hookd
