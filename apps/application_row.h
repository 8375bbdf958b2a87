// What both engines' application stores share (apps/application_repository.h): the row's text
// columns (metadata as JSON, the same bytes on SQLite and PostgreSQL), how a change applies, the
// checks an upsert, an update and a deletion make before touching the row, and the search's LIKE
// prefix. Pure functions; thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "apps/application.h"
#include "common/result.h"

namespace hookd {

// An id starts with app_ and a uid never does (ParseApplicationChange), so `{app}` is one or the
// other by its start.
inline bool IsApplicationId(std::string_view app) { return app.rfind("app_", 0) == 0; }

// The metadata column: a JSON object of strings. Reading keeps only the string values of an
// object, and anything else reads as empty.
std::string DumpApplicationMetadata(const std::map<std::string, std::string>& metadata);
std::map<std::string, std::string> ParseApplicationMetadata(std::string_view text);

// Sets what the change asks for; leaves the rest.
void ApplyApplicationChange(Application& a, const ApplicationChange& change);

// 409 uid_in_use.
Status ApplicationUidInUse(const std::string& uid);
// Before an upsert: 422 for a uid that is invalid or looks like an id, or a body's uid that is not
// the path's.
Status CheckApplicationUpsert(const std::string& uid, const ApplicationChange& change);
// 422 when an upsert would create an application without a name.
Status ApplicationNameRequired();
// 409 default_application when the change would change the default application's uid.
Status CheckApplicationUpdate(const Application& a, const ApplicationChange& change);
// 409 default_application for the default application.
Status CheckApplicationDelete(const Application& a);

// The LIKE pattern (escape character '\') matching names and uids that start with `search`.
std::string ApplicationSearchPrefix(std::string_view search);

}  // namespace hookd
