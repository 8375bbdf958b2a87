#include "storage/pg/pg_listener.h"

#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>

#include "storage/pg/pg_error.h"

namespace hookd {

Result<std::unique_ptr<PgListener>> PgListener::Connect(const std::string& url,
                                                        const PgConnectOptions& options) {
  auto conn = PgConn::Connect(url, options);
  if (!conn.ok()) return conn.status();
  return std::unique_ptr<PgListener>(new PgListener(std::move(conn).value()));
}

Status PgListener::Listen(std::string_view channel) {
  return conn_->ExecScript("LISTEN " + conn_->QuoteIdentifier(channel));
}

std::vector<PgNotification> PgListener::Drain() {
  std::vector<PgNotification> out;
  while (PGnotify* n = PQnotifies(conn_->raw())) {
    out.push_back({n->relname, n->extra ? n->extra : "", n->be_pid});
    PQfreemem(n);
  }
  return out;
}

Result<std::vector<PgNotification>> PgListener::Wait(std::chrono::milliseconds timeout) {
  PGconn* conn = conn_->raw();
  // Some may have arrived with an earlier query's answer.
  std::vector<PgNotification> got = Drain();
  if (!got.empty()) return got;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return got;
    if (PQstatus(conn) != CONNECTION_OK || PQsocket(conn) < 0)
      return PgErrorStatus("", "listen", "the connection is lost");
    pollfd pfd{PQsocket(conn), POLLIN, 0};
    const int n = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (n < 0 && errno != EINTR) return PgErrorStatus("", "listen", "poll failed");
    if (n <= 0) continue;
    if (PQconsumeInput(conn) == 0 || PQstatus(conn) != CONNECTION_OK) {
      std::string msg = PQerrorMessage(conn);
      while (!msg.empty() && msg.back() == '\n') msg.pop_back();
      return PgErrorStatus("", "listen", msg.empty() ? "the connection is lost" : msg);
    }
    got = Drain();
    if (!got.empty()) return got;
  }
}

Status PgNotify(PgConn& conn, std::string_view channel, std::string_view payload) {
  auto r = conn.Exec("SELECT pg_notify($1, $2)", {channel, payload});
  return r.ok() ? Status::Ok() : r.status();
}

}  // namespace hookd
