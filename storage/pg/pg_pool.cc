#include "storage/pg/pg_pool.h"

namespace hookd {

Result<PgPool::Lease> PgPool::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    while (!idle_.empty()) {
      std::unique_ptr<PgConn> conn = std::move(idle_.back());
      idle_.pop_back();
      // One libpq already knows to be broken is dropped, not lent.
      if (conn->healthy()) return Lease(this, std::move(conn));
    }
  }
  auto conn = PgConn::Connect(url_, options_);
  if (!conn.ok()) return conn.status();
  return Lease(this, std::move(conn).value());
}

size_t PgPool::idle() const {
  std::lock_guard<std::mutex> lock(mu_);
  return idle_.size();
}

void PgPool::Return(std::unique_ptr<PgConn> conn) {
  // One left inside a transaction (a caller's bug or a lost COMMIT) would leak it to the next.
  if (!conn->healthy() || conn->in_transaction()) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(conn));
}

}  // namespace hookd
