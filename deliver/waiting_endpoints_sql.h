// The endpoints with waiting deliveries, as SQL: a loose scan of deliveries_due (endpoint_id,
// next_attempt_at), one index seek per endpoint whatever the size of its backlog. A statement
// starts with kWaitingEndpoints and reads the table `ep(id)`, whose last row is NULL.
#pragma once

namespace hookd {

inline constexpr char kWaitingEndpoints[] =
    "WITH RECURSIVE ep(id) AS ("
    " SELECT (SELECT MIN(endpoint_id) FROM deliveries WHERE next_attempt_at IS NOT NULL)"
    " UNION ALL"
    " SELECT (SELECT MIN(endpoint_id) FROM deliveries"
    "         WHERE next_attempt_at IS NOT NULL AND endpoint_id > ep.id)"
    " FROM ep WHERE ep.id IS NOT NULL)";

}  // namespace hookd
