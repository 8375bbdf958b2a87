#include "deliver/fanout.h"

#include "common/ids.h"
#include "common/status_log.h"

namespace hookd {
namespace {

void BindOptional(Stmt& st, int i, const std::optional<std::string>& v) {
  if (v)
    st.Bind(i, *v);
  else
    st.BindNull(i);
}

}  // namespace

std::vector<const Endpoint*> DeliveryTargets(const NewMessage& m,
                                             const EndpointSnapshot& endpoints) {
  std::vector<const Endpoint*> out;
  for (size_t i : endpoints.OfApp(m.app_id)) {
    const Endpoint& e = endpoints[i];
    if (m.only_endpoint_id ? e.id != *m.only_endpoint_id
                           : !Matches(e.filter, m.event_type, m.source_id))
      continue;
    if (e.disabled) continue;
    out.push_back(&e);
  }
  return out;
}

nlohmann::json MessageCreatedData(const NewMessage& m, int deliveries) {
  nlohmann::json data = {{"message_id", m.id},
                         {"app_id", m.app_id},
                         {"event_type", m.event_type},
                         {"deliveries", deliveries}};
  if (m.source_id) data["source_id"] = *m.source_id;
  if (m.event_id) data["event_id"] = *m.event_id;
  return data;
}

Result<int> InsertMessage(Db& db, const NewMessage& m, const EndpointSnapshot& endpoints,
                          const Clock& clock, Random& random) {
  auto ins = db.Cached(
      "INSERT INTO messages (id, event_type, source_id, event_id, payload, idempotency_key,"
      " request_hash, response, created_at, app_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!ins.ok()) return ins.status();
  Stmt& st = **ins;
  st.Bind(1, m.id).Bind(2, m.event_type);
  BindOptional(st, 3, m.source_id);
  BindOptional(st, 4, m.event_id);
  if (m.event_id && m.payload.empty())
    st.BindNull(5);
  else
    st.BindBlob(5, m.payload);
  BindOptional(st, 6, m.idempotency_key);
  BindOptional(st, 7, m.request_hash);
  st.Bind(8, m.response).Bind(9, m.created_at).Bind(10, m.app_id);
  if (Status s = st.Run(); !s.ok()) return s;

  auto seen = db.Cached(
      "INSERT INTO event_types (app_id, event_type, count, last_seen) VALUES (?1, ?2, 1, ?3)"
      " ON CONFLICT (app_id, event_type) DO UPDATE SET count = count + 1,"
      " last_seen = MAX(last_seen, excluded.last_seen)");
  if (!seen.ok()) return seen.status();
  (*seen)->Bind(1, m.app_id).Bind(2, m.event_type).Bind(3, m.created_at);
  if (Status s = (*seen)->Run(); !s.ok()) return s;

  int count = 0;
  for (const Endpoint* e : DeliveryTargets(m, endpoints)) {
    auto dlv = db.Cached(
        "INSERT INTO deliveries (id, message_id, endpoint_id, status, next_attempt_at,"
        " created_at, updated_at, app_id) VALUES (?, ?, ?, 'pending', ?, ?, ?, ?)");
    if (!dlv.ok()) return dlv.status();
    (*dlv)->Bind(1, NewId("dlv", clock, random)).Bind(2, m.id).Bind(3, e->id);
    (*dlv)->Bind(4, m.created_at).Bind(5, m.created_at).Bind(6, m.created_at).Bind(7, m.app_id);
    if (Status s = (*dlv)->Run(); !s.ok()) return s;
    ++count;
  }
  const nlohmann::json data = MessageCreatedData(m, count);
  if (Status s = AppendStatus(db, "message.created", m.created_at, data); !s.ok()) return s;
  return count;
}

}  // namespace hookd
