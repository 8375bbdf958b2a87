// Small helpers shared by the admin API handlers: JSON bodies, list parameters and list
// responses in API.md's shape. Pure, thread-safe.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/http_types.h"
#include "common/result.h"

namespace hookd {

// The request body as a JSON object: 415 unsupported_media_type unless the content type is JSON,
// 400 invalid_json unless it parses to an object. An empty body is an empty object.
Result<nlohmann::json> ParseJsonObject(const HttpRequest& req);

// True for application/json and application/<x>+json, with or without parameters.
bool IsJsonContentType(std::string_view content_type);

struct ListParams {
  int limit = 50;                    // 1..500
  std::optional<std::string> after;  // the cursor: the id of the last item already seen
};
// Reads ?limit= and ?after=; 422 on a limit that is not 1..500.
Result<ListParams> ParseListParams(const HttpRequest& req);

// {"data": items, "next": <id of the last item, or null when there is no more>}.
// `has_more` is true when the store found a row beyond `limit`.
nlohmann::json ListJson(nlohmann::json items, bool has_more);

// 422 naming the first member of `obj` that is not in `allowed`.
Status RejectUnknownFields(const nlohmann::json& obj, std::initializer_list<const char*> allowed);

// Reads an optional string field; 422 when present and not a string.
Result<std::optional<std::string>> OptionalString(const nlohmann::json& obj, const char* field);
// Reads an optional integer field in [min, max]; 422 otherwise.
Result<std::optional<int64_t>> OptionalInt(const nlohmann::json& obj, const char* field,
                                           int64_t min, int64_t max);

}  // namespace hookd
