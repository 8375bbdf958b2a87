// PgListener: LISTEN on one dedicated connection and wait for NOTIFYs with a timeout.
//
// Wait() returns the notifications that arrived (possibly several, in the order they were
// sent), or none when the timeout passed first; a lost connection is kUnavailable, and the
// caller makes a new listener (and re-reads what it may have missed: NOTIFY is a wake-up, not a
// queue). One thread at a time.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "storage/pg/pg_conn.h"

namespace hookd {

struct PgNotification {
  std::string channel;
  std::string payload;
  int sender_pid = 0;  // the backend that sent it
};

class PgListener {
 public:
  static Result<std::unique_ptr<PgListener>> Connect(const std::string& url,
                                                     const PgConnectOptions& options = {});
  Status Listen(std::string_view channel);
  Result<std::vector<PgNotification>> Wait(std::chrono::milliseconds timeout);
  PgConn& conn() { return *conn_; }

 private:
  explicit PgListener(std::unique_ptr<PgConn> conn) : conn_(std::move(conn)) {}
  std::vector<PgNotification> Drain();
  std::unique_ptr<PgConn> conn_;
};

// NOTIFY through pg_notify, so the channel and payload are parameters; delivered when the
// calling transaction commits (at once outside one).
Status PgNotify(PgConn& conn, std::string_view channel, std::string_view payload);

}  // namespace hookd
