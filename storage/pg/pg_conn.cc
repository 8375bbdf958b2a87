#include "storage/pg/pg_conn.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <vector>

#include "storage/pg/pg_error.h"

namespace hookd {
namespace {

// libpq's messages end with a newline.
std::string Trimmed(const char* msg) {
  std::string s = msg ? msg : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s.empty() ? "unknown error" : s;
}

Status ConnError(PGconn* conn, std::string_view what) {
  return PgErrorStatus("", what, Trimmed(PQerrorMessage(conn)));
}

Status ResultError(PGconn* conn, const PGresult* res, std::string_view what) {
  if (!res) return ConnError(conn, what);
  const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
  const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
  std::string msg = primary ? std::string(primary) : Trimmed(PQresultErrorMessage(res));
  if (const char* detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL)) {
    msg += " (";
    msg += detail;
    msg += ")";
  }
  // A connection lost mid-query has no SQLSTATE, and says so in the connection's message.
  if (!state && PQstatus(conn) == CONNECTION_BAD) return ConnError(conn, what);
  return PgErrorStatus(state ? state : "", what, msg);
}

}  // namespace

PgResult::PgResult(pg_result* res) : res_(res) {}
PgResult::~PgResult() {
  if (res_) PQclear(res_);
}
PgResult& PgResult::operator=(PgResult&& o) noexcept {
  if (this != &o) {
    if (res_) PQclear(res_);
    res_ = o.res_;
    o.res_ = nullptr;
  }
  return *this;
}

int PgResult::rows() const { return res_ ? PQntuples(res_) : 0; }
int PgResult::columns() const { return res_ ? PQnfields(res_) : 0; }
int PgResult::Column(std::string_view name) const {
  for (int c = 0; c < columns(); ++c) {
    if (name == PQfname(res_, c)) return c;
  }
  return -1;
}
int64_t PgResult::Affected() const {
  const char* n = res_ ? PQcmdTuples(res_) : "";
  int64_t v = 0;
  std::from_chars(n, n + std::strlen(n), v);
  return v;
}

bool PgResult::IsNull(int row, int col) const { return PQgetisnull(res_, row, col) != 0; }
std::string_view PgResult::Text(int row, int col) const {
  return {PQgetvalue(res_, row, col), static_cast<size_t>(PQgetlength(res_, row, col))};
}

Result<int64_t> PgResult::Int(int row, int col) const {
  if (row >= rows() || col >= columns()) return Status::Internal("no such row or column");
  if (IsNull(row, col))
    return Status::Internal(std::string("column ") + PQfname(res_, col) + " is NULL");
  const std::string_view t = Text(row, col);
  int64_t v = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || end != t.data() + t.size())
    return Status::Internal(std::string("column ") + PQfname(res_, col) + " is not an integer");
  return v;
}

Result<bool> PgResult::Bool(int row, int col) const {
  if (row >= rows() || col >= columns()) return Status::Internal("no such row or column");
  if (IsNull(row, col))
    return Status::Internal(std::string("column ") + PQfname(res_, col) + " is NULL");
  const std::string_view t = Text(row, col);
  if (t == "t") return true;
  if (t == "f") return false;
  return Status::Internal(std::string("column ") + PQfname(res_, col) + " is not a boolean");
}

Result<std::string> PgResult::Bytes(int row, int col) const {
  if (row >= rows() || col >= columns()) return Status::Internal("no such row or column");
  if (IsNull(row, col))
    return Status::Internal(std::string("column ") + PQfname(res_, col) + " is NULL");
  size_t n = 0;
  unsigned char* raw =
      PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(res_, row, col)), &n);
  if (!raw) return Status::Internal(std::string("column ") + PQfname(res_, col) + " is not bytea");
  std::string out(reinterpret_cast<const char*>(raw), n);
  PQfreemem(raw);
  return out;
}

Result<std::unique_ptr<PgConn>> PgConn::Connect(const std::string& url,
                                                const PgConnectOptions& options) {
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(url.c_str(), &parse_error);
  if (!parsed) {
    std::string msg = Trimmed(parse_error);
    PQfreemem(parse_error);
    return Status::InvalidField("invalid database URL: " + msg);
  }
  PQconninfoFree(parsed);

  // hookd's defaults first; the URL, expanded in place of dbname (expand_dbname = 1), overrides
  // them where it says otherwise. libpq's connect_timeout (whole seconds, at least 2) is only a
  // back-stop: the loop below keeps the deadline in milliseconds.
  const std::string timeout_s =
      std::to_string(std::max<int64_t>(2, (options.connect_timeout.count() + 999) / 1000));
  const char* keys[] = {"application_name", "connect_timeout", "dbname", nullptr};
  const char* values[] = {options.application_name.c_str(), timeout_s.c_str(), url.c_str(),
                          nullptr};
  PGconn* conn = PQconnectStartParams(keys, values, 1);
  if (!conn) return Status::Unavailable("connecting to PostgreSQL: out of memory");
  std::unique_ptr<PgConn> pg(new PgConn(conn));
  if (PQstatus(conn) == CONNECTION_BAD) return ConnError(conn, "connecting to PostgreSQL");

  // PQconnectPoll's loop, each wait bounded by what is left of the timeout.
  const auto deadline = std::chrono::steady_clock::now() + options.connect_timeout;
  PostgresPollingStatusType state = PGRES_POLLING_WRITING;
  while (state != PGRES_POLLING_OK) {
    if (state == PGRES_POLLING_FAILED) return ConnError(conn, "connecting to PostgreSQL");
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return Status::Unavailable("connecting to PostgreSQL: no answer within " +
                                 std::to_string(options.connect_timeout.count()) + " ms");
    }
    pollfd pfd{PQsocket(conn),
               static_cast<short>(state == PGRES_POLLING_READING ? POLLIN : POLLOUT), 0};
    const int n = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (n < 0 && errno != EINTR)
      return Status::Unavailable("connecting to PostgreSQL: poll failed");
    if (n <= 0) continue;
    state = PQconnectPoll(conn);
  }
  // Server notices ("already exists, skipping") would go to stderr; hookd's log is its own.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return pg;
}

PgConn::~PgConn() { PQfinish(conn_); }

Result<PgResult> PgConn::Exec(std::string_view sql, std::initializer_list<PgParam> params) {
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  std::vector<Oid> types;
  bool any_binary = false;
  int index = 0;
  for (const PgParam& p : params) {
    ++index;
    // libpq reads a text parameter up to its first NUL: refused rather than cut short.
    if (!p.binary() && !p.null() && p.value().find('\0') != std::string::npos) {
      return Status::InvalidField("query: text parameter $" + std::to_string(index) +
                                  " contains a NUL byte (text cannot hold one; bytea can)");
    }
    values.push_back(p.null() ? nullptr : p.value().c_str());
    lengths.push_back(static_cast<int>(p.value().size()));
    formats.push_back(p.binary() ? 1 : 0);
    types.push_back(p.binary() ? 17 : 0);  // 17: bytea; 0: the server infers the type
    any_binary = any_binary || p.binary();
  }
  const std::string text(sql);
  PGresult* res = PQexecParams(conn_, text.c_str(), static_cast<int>(values.size()),
                               any_binary ? types.data() : nullptr, values.data(), lengths.data(),
                               formats.data(), 0);
  PgResult result(res);
  const ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return ResultError(conn_, res, "query");
  return result;
}

Status PgConn::ExecScript(std::string_view sql) {
  const std::string text(sql);
  PGresult* res = PQexec(conn_, text.c_str());  // the last statement's result, or the error
  PgResult holder(res);
  const ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY)
    return ResultError(conn_, res, "query");
  return Status::Ok();
}

bool PgConn::healthy() const { return PQstatus(conn_) == CONNECTION_OK; }
bool PgConn::in_transaction() const { return PQtransactionStatus(conn_) != PQTRANS_IDLE; }
int PgConn::backend_pid() const { return PQbackendPID(conn_); }

std::string PgConn::QuoteIdentifier(std::string_view name) const {
  char* q = PQescapeIdentifier(conn_, name.data(), name.size());
  if (!q) return "\"\"";
  std::string out(q);
  PQfreemem(q);
  return out;
}

Result<std::unique_ptr<PgTransaction>> PgTransaction::Begin(PgConn& conn, Isolation isolation) {
  const char* sql = isolation == Isolation::kSerializable ? "BEGIN ISOLATION LEVEL SERIALIZABLE"
                    : isolation == Isolation::kRepeatableRead
                        ? "BEGIN ISOLATION LEVEL REPEATABLE READ"
                        : "BEGIN";
  if (Status s = conn.ExecScript(sql); !s.ok()) return s;
  return std::unique_ptr<PgTransaction>(new PgTransaction(conn));
}

PgTransaction::~PgTransaction() {
  if (!done_) (void)Rollback();
}

Status PgTransaction::Commit() {
  if (done_) return Status::Internal("commit: the transaction has ended");
  done_ = true;
  PGconn* conn = conn_.raw();
  PgResult res(PQexec(conn, "COMMIT"));
  // The server answers COMMIT of a failed transaction with a ROLLBACK, and no error.
  if (PQresultStatus(res.raw()) != PGRES_COMMAND_OK) return ResultError(conn, res.raw(), "commit");
  if (std::string_view(PQcmdStatus(res.raw())) != "COMMIT")
    return Status::Conflict("rolled_back",
                            "commit: the transaction was rolled back (a statement in it failed)");
  return Status::Ok();
}

Status PgTransaction::Rollback() {
  if (done_) return Status::Ok();
  done_ = true;
  return conn_.ExecScript("ROLLBACK");
}

}  // namespace hookd
