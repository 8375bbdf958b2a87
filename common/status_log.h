// The durable status log: every state change (event.received, message.created,
// delivery.*, endpoint.*) as a row with an increasing `seq`, which the status streams serve.
// Appends run inside the caller's transaction, so a change and its log entry commit together.
// Functions take the caller's connection; thread-safety is that of the Db.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace hookd {

class Db;

struct StatusEntry {
  int64_t seq = 0;
  std::string type;
  int64_t at_ms = 0;
  nlohmann::json data;    // null when read with parse_data = false
  std::string data_text;  // data as stored (JSON object text); empty when not read from the log
};

// An entry's data as the log stores it, on either engine: compact JSON text with sorted keys
// (DumpJson), which the status streams pass on as it is.
std::string StatusDataText(const nlohmann::json& data);

// Appends one entry; `data` is a JSON object (ids, status, ...).
Status AppendStatus(Db& db, std::string_view type, int64_t at_ms, const nlohmann::json& data);
// The same with `data` already written as JSON object text (for the hot paths).
Status AppendStatusText(Db& db, std::string_view type, int64_t at_ms, std::string_view data);

// Entries with seq > after, oldest first, at most `limit`. With parse_data = false only
// data_text is filled (for the status streams, which pass the text on as it is).
Result<std::vector<StatusEntry>> ReadStatusAfter(Db& db, int64_t after, int limit,
                                                 bool parse_data = true);

// {"seq", "type", "at" (RFC 3339), "data"} as API.md's status stream shows it.
nlohmann::json StatusEntryJson(const StatusEntry& e);

}  // namespace hookd
