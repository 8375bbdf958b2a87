// The application everything belongs to unless said otherwise (migrations/0015_applications.sql,
// API.md "Applications (tenants)"): what existed before applications, and whatever the unscoped
// routes create.
#pragma once

namespace hookd {

inline constexpr char kDefaultAppId[] = "app_default";

}  // namespace hookd
