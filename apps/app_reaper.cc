#include "apps/app_reaper.h"

#include <string>
#include <vector>

#include "common/thread_name.h"

namespace hookd {
namespace {

Status Run(Db& db, const std::string& sql, const std::string& app_id, int64_t* changed) {
  auto st = db.Cached(sql);
  if (!st.ok()) return st.status();
  if (Status s = (*st)->Bind(1, app_id).Run(); !s.ok()) return s;
  if (changed) *changed += db.Changes();
  return Status::Ok();
}

}  // namespace

Result<bool> AppReaper::ReapBatch(const std::string& app_id, ReapReport& report) {
  auto txn = Transaction::Begin(*db_);
  if (!txn.ok()) return txn.status();
  // The batch's messages by messages_app; their deliveries by deliveries_message, attempts by
  // attempts_delivery. A delivery of this application is never of another one's message.
  auto pick = db_->Cached("SELECT id FROM messages WHERE app_id = ?1 ORDER BY seq LIMIT ?2");
  if (!pick.ok()) return pick.status();
  (*pick)->Bind(1, app_id).Bind(2, static_cast<int64_t>(batch_));
  std::vector<std::string> ids;
  while (true) {
    auto row = (*pick)->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    ids.push_back((*pick)->Text(0));
  }
  (*pick)->Reset();
  if (!ids.empty()) {
    for (const std::string& id : ids) {
      if (Status s = Run(*db_,
                         "DELETE FROM attempts WHERE delivery_id IN"
                         " (SELECT id FROM deliveries WHERE message_id = ?1)",
                         id, nullptr);
          !s.ok())
        return s;
      if (Status s =
              Run(*db_, "DELETE FROM deliveries WHERE message_id = ?1", id, &report.deliveries);
          !s.ok())
        return s;
      if (Status s = Run(*db_, "DELETE FROM messages WHERE id = ?1", id, &report.messages); !s.ok())
        return s;
    }
    if (Status s = (*txn)->Commit(); !s.ok()) return s;
    return true;
  }
  // No message left: the rest, and the application itself.
  for (const char* sql :
       {"DELETE FROM sources WHERE app_id = ?1", "DELETE FROM app_tokens WHERE app_id = ?1",
        "DELETE FROM event_types WHERE app_id = ?1", "DELETE FROM endpoints WHERE app_id = ?1",
        "DELETE FROM applications WHERE id = ?1 AND deleted_at IS NOT NULL"}) {
    if (Status s = Run(*db_, sql, app_id, nullptr); !s.ok()) return s;
  }
  if (Status s = (*txn)->Commit(); !s.ok()) return s;
  ++report.applications;
  return false;
}

ReapReport AppReaper::RunOnce() {
  ReapReport report;
  if (batch_ < 1) {
    // A batch of no messages would find none left and remove the application's row before them.
    report.status = Status::InvalidField("app reaper: batch_messages must be at least 1");
    return report;
  }
  std::vector<std::string> deleted;
  {
    // From the partial index applications_deleted: a few rows, however many live applications.
    auto st = db_->Cached("SELECT id FROM applications WHERE deleted_at IS NOT NULL");
    if (!st.ok()) {
      report.status = st.status();
      return report;
    }
    while (true) {
      auto row = (*st)->Step();
      if (!row.ok()) {
        report.status = row.status();
        return report;
      }
      if (!*row) break;
      deleted.push_back((*st)->Text(0));
    }
    (*st)->Reset();
  }
  for (const std::string& app_id : deleted) {
    while (true) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) return report;
      }
      auto more = ReapBatch(app_id, report);
      if (!more.ok()) {
        report.status = more.status();
        return report;
      }
      if (!*more) break;
    }
  }
  return report;
}

void AppReaper::Start() {
  thread_ = std::thread([this] {
    NameThisThread("hookd-app-reap");
    Loop();
  });
}

void AppReaper::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void AppReaper::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, interval_, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    const ReapReport r = RunOnce();
    if (!r.status.ok())
      logger_.Error("removing deleted applications failed (retried later)",
                    {{"error", r.status.message()}});
    else if (r.applications > 0)
      logger_.Info("deleted applications removed", {{"applications", r.applications},
                                                    {"messages", r.messages},
                                                    {"deliveries", r.deliveries}});
    lock.lock();
  }
}

}  // namespace hookd
