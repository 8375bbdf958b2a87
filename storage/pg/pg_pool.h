// PgPool: a bounded set of idle connections to one PostgreSQL, lent out one thread at a time.
// A connection comes back to the pool only when it is healthy and outside any transaction;
// otherwise it is closed. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/pg/pg_conn.h"

namespace hookd {

class PgPool {
 public:
  PgPool(std::string url, PgConnectOptions options = {}, size_t max_idle = 8)
      : url_(std::move(url)), options_(std::move(options)), max_idle_(max_idle) {}

  class Lease {
   public:
    Lease(PgPool* pool, std::unique_ptr<PgConn> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) = default;
    ~Lease() {
      if (conn_) pool_->Return(std::move(conn_));
    }
    PgConn& operator*() { return *conn_; }
    PgConn* operator->() { return conn_.get(); }

   private:
    PgPool* pool_;
    std::unique_ptr<PgConn> conn_;
  };

  // A connection, made on demand when none is idle.
  Result<Lease> Acquire();
  size_t idle() const;
  const std::string& url() const { return url_; }

 private:
  void Return(std::unique_ptr<PgConn> conn);

  const std::string url_;
  const PgConnectOptions options_;
  const size_t max_idle_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<PgConn>> idle_;  // guarded by mu_
};

}  // namespace hookd
