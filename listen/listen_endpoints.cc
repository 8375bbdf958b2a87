#include "listen/listen_endpoints.h"

#include <nlohmann/json.hpp>

#include "common/thread_name.h"

namespace hookd {

Result<ListenOpened> ListenEndpoints::Open(const ListenHello& hello,
                                           const std::optional<std::string>& principal_app) {
  std::string app_id = principal_app.value_or(kDefaultAppId);
  if (hello.app) {
    auto resolved = apps_.Resolve(*hello.app);
    if (!resolved.ok()) {
      // An application credential learns nothing of other applications.
      if (principal_app) return Status(ErrorKind::kForbidden, "forbidden", "not your application");
      return resolved.status();
    }
    if (principal_app && *resolved != *principal_app)
      return Status(ErrorKind::kForbidden, "forbidden", "not your application");
    app_id = *resolved;
  }
  if (hello.endpoint_id) {
    auto known = endpoints_.Get(*hello.endpoint_id);
    if (known.ok() && known->kind == "cli" && known->app_id == app_id)
      return ListenOpened{std::move(known).value(), true};
  }
  nlohmann::json req = {{"url", hello.forward_to},
                        {"event_types", hello.events},
                        {"source_ids", hello.source_ids},
                        {"description", "hookd listen --forward-to " + hello.forward_to}};
  auto created = endpoints_.CreateCli(req, app_id);
  if (!created.ok()) return created.status();
  logger_.Info(
      "listen endpoint opened",
      {{"endpoint_id", created->id}, {"app_id", app_id}, {"forward_to", hello.forward_to}});
  return ListenOpened{std::move(created).value(), false};
}

Result<int64_t> ListenEndpoints::Remove(const std::string& endpoint_id) {
  int64_t waiting = 0;
  {
    auto db = pool_.Acquire();
    if (!db.ok()) return db.status();
    auto txn = Transaction::Begin(**db);
    if (!txn.ok()) return txn.status();
    // Claimed ones (leased, in flight) end with their attempt; the rest end now.
    const int64_t now = clock_.NowUnixMillis();
    auto st = (*db)->Cached(
        "UPDATE deliveries SET next_attempt_at = ?1 WHERE endpoint_id = ?2"
        " AND next_attempt_at IS NOT NULL AND (lease_until IS NULL OR lease_until <= ?1)"
        " AND EXISTS (SELECT 1 FROM endpoints WHERE id = ?2 AND kind = 'cli')");
    if (!st.ok()) return st.status();
    if (Status s = (*st)->Bind(1, now).Bind(2, endpoint_id).Run(); !s.ok()) return s;
    waiting = (*db)->Changes();
    auto del = (*db)->Cached("DELETE FROM endpoints WHERE id = ? AND kind = 'cli'");
    if (!del.ok()) return del.status();
    if (Status s = (*del)->Bind(1, endpoint_id).Run(); !s.ok()) return s;
    const bool deleted = (*db)->Changes() > 0;
    if (Status s = (*txn)->Commit(); !s.ok()) return s;
    if (!deleted) waiting = 0;
  }
  tunnels_.Forget(endpoint_id);
  endpoints_.Invalidate();
  logger_.Info("listen endpoint removed", {{"endpoint_id", endpoint_id}, {"waiting", waiting}});
  if (wake_) wake_();
  return waiting;
}

Status ListenEndpoints::NoteExisting() {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  auto st = (*db)->Cached("SELECT id FROM endpoints WHERE kind = 'cli'");
  if (!st.ok()) return st.status();
  while (true) {
    auto row = (*st)->Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
    tunnels_.NoteDetached((*st)->Text(0));
  }
}

void ListenEndpoints::Reap() {
  for (const std::string& id : tunnels_.DetachedLongerThan(grace_, clock_.NowUnixMillis())) {
    auto removed = Remove(id);
    if (!removed.ok())
      logger_.Warn("removing a listen endpoint failed (tried again)",
                   {{"endpoint_id", id}, {"error", removed.status().message()}});
  }
}

void ListenEndpoints::StartReaping(std::chrono::milliseconds every) {
  reaper_ = std::thread([this, every] {
    NameThisThread("hookd-listen-rp");
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, every, [this] { return stopping_; })) {
      lock.unlock();
      Reap();
      lock.lock();
    }
  });
}

void ListenEndpoints::StopReaping() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (reaper_.joinable()) reaper_.join();
}

}  // namespace hookd
