// PgConn: one PostgreSQL connection through libpq (storage/pg/*.cc are the only files that include
// libpq-fe.h; see docs/DECISIONS.md, "libpq, not libpqxx").
//
// Queries are sent with PQexecParams: parameters travel as text (or as binary bytea with
// PgParam::Bytes), never spliced into the SQL. Errors come back as Status (storage/pg/pg_error.h).
// A PgConn and the PgResults it hands out belong to one thread at a time; PgPool hands
// connections to threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

struct pg_conn;
struct pg_result;

namespace hookd {

// One query parameter: text, an integer (sent as its decimal text), NULL, or bytes for a bytea
// parameter (sent in binary, so any byte, NUL included, goes through).
class PgParam {
 public:
  PgParam(std::string_view text) : value_(text) {}    // NOLINT(google-explicit-constructor)
  PgParam(const char* text) : value_(text) {}         // NOLINT(google-explicit-constructor)
  PgParam(const std::string& text) : value_(text) {}  // NOLINT(google-explicit-constructor)
  PgParam(int64_t v) : value_(std::to_string(v)) {}   // NOLINT(google-explicit-constructor)
  PgParam(int v) : value_(std::to_string(v)) {}       // NOLINT(google-explicit-constructor)
  PgParam(std::nullptr_t) : null_(true) {}            // NOLINT(google-explicit-constructor)
  static PgParam Bytes(std::string_view bytes) {
    PgParam p(bytes);
    p.binary_ = true;
    return p;
  }

  bool null() const { return null_; }
  bool binary() const { return binary_; }
  const std::string& value() const { return value_; }

 private:
  std::string value_;
  bool null_ = false;
  bool binary_ = false;
};

// The rows of one query, read by row and column (both from 0). Values arrive as text.
class PgResult {
 public:
  explicit PgResult(pg_result* res);
  ~PgResult();
  PgResult(PgResult&& o) noexcept : res_(o.res_) { o.res_ = nullptr; }
  PgResult& operator=(PgResult&& o) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;

  int rows() const;
  int columns() const;
  // The column's index by name, -1 when there is none.
  int Column(std::string_view name) const;
  // Rows an INSERT, UPDATE or DELETE touched.
  int64_t Affected() const;

  bool IsNull(int row, int col) const;
  // The value as text ("" for NULL; check IsNull where NULL matters). Valid while this lives.
  std::string_view Text(int row, int col) const;
  // Typed reads: an error (kInternal) for NULL or a value that is not of the type.
  Result<int64_t> Int(int row, int col) const;
  Result<bool> Bool(int row, int col) const;
  // A bytea column's bytes.
  Result<std::string> Bytes(int row, int col) const;
  pg_result* raw() const { return res_; }

 private:
  pg_result* res_;
};

struct PgConnectOptions {
  // The whole connection attempt (resolving aside): TCP, TLS, authentication.
  std::chrono::milliseconds connect_timeout{5000};
  // application_name, shown in pg_stat_activity.
  std::string application_name = "hookd";
};

class PgConn {
 public:
  // Connects to a libpq URI (postgres://...) or key=value connection string. A string libpq
  // cannot parse is kInvalidField; a server that cannot be reached, refuses or does not answer
  // within the timeout is kUnavailable.
  static Result<std::unique_ptr<PgConn>> Connect(const std::string& url,
                                                 const PgConnectOptions& options = {});
  ~PgConn();
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  // One statement with parameters ($1, $2, ...). A text parameter with a NUL byte is refused
  // (kInvalidField) before anything is sent.
  Result<PgResult> Exec(std::string_view sql, std::initializer_list<PgParam> params = {});
  // Several statements separated by semicolons, no parameters (migrations, BEGIN/COMMIT).
  Status ExecScript(std::string_view sql);

  // False once the connection is lost.
  bool healthy() const;
  // Inside a transaction (open or failed), as a pool must not lend it.
  bool in_transaction() const;
  // The server process serving this connection (pg_backend_pid()).
  int backend_pid() const;
  std::string QuoteIdentifier(std::string_view name) const;
  pg_conn* raw() { return conn_; }

 private:
  explicit PgConn(pg_conn* conn) : conn_(conn) {}
  pg_conn* conn_;
};

// BEGIN ... COMMIT, rolled back on destruction unless committed. A COMMIT the server answers
// with ROLLBACK (a statement failed inside the transaction) is an error, not a success. A
// connection lost during COMMIT is kUnavailable and leaves the outcome unknown: what follows must
// be safe to run again (idempotent writes), as with any database.
class PgTransaction {
 public:
  enum class Isolation { kReadCommitted, kRepeatableRead, kSerializable };
  static Result<std::unique_ptr<PgTransaction>> Begin(
      PgConn& conn, Isolation isolation = Isolation::kReadCommitted);
  ~PgTransaction();
  Status Commit();
  // Ends the transaction without its changes (the destructor does it when nothing else has).
  Status Rollback();
  // The connection the transaction runs on.
  PgConn& conn() const { return conn_; }

 private:
  explicit PgTransaction(PgConn& conn) : conn_(conn) {}
  PgConn& conn_;
  bool done_ = false;
};

}  // namespace hookd
