// The libpq layer against a real PostgreSQL (tests/testing/pg_test_db.h): typed reads, SQLSTATEs
// mapped to Status kinds, transactions that leave nothing unless committed, bounded connection
// attempts, a lost connection, parameters of every awkward shape, and the pool.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "storage/pg/pg_conn.h"
#include "storage/pg/pg_error.h"
#include "storage/pg/pg_pool.h"
#include "tests/testing/pg_test_db.h"

namespace hookd {
namespace {

using Clock = std::chrono::steady_clock;
class PgConnTest : public testing::PgTest {};

int64_t Count(PgConn& conn, const std::string& table) {
  auto r = conn.Exec("SELECT count(*) FROM " + table);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r->Int(0, 0).value() : -1;
}

// A TCP port on 127.0.0.1 that accepts connections (the kernel completes the handshake) and never
// says a word, as a hung server or a black-holing proxy.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      port_ = 0;
    else
      port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST_F(PgConnTest, ReadsTypedValuesAndNulls) {
  auto conn = Connect();
  ASSERT_TRUE(conn);
  auto r = conn->Exec("SELECT 42::bigint AS n, NULL::text AS nothing, true AS yes, 'x' AS word");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->rows(), 1);
  ASSERT_EQ(r->columns(), 4);
  EXPECT_EQ(r->Int(0, 0).value(), 42);
  EXPECT_TRUE(r->IsNull(0, 1));
  EXPECT_FALSE(r->IsNull(0, 0));
  EXPECT_TRUE(r->Bool(0, 2).value());
  EXPECT_EQ(r->Text(0, 3), "x");
  EXPECT_EQ(r->Column("word"), 3);
  // application_name: hookd's default, unless the URL names one.
  if (url().find("application_name") == std::string::npos) {
    auto name = conn->Exec("SELECT current_setting('application_name')");
    ASSERT_TRUE(name.ok());
    EXPECT_EQ(name->Text(0, 0), "hookd");
  }
  auto named = PgConn::Connect(url() + (url().find('?') == std::string::npos ? "?" : "&") +
                               "application_name=node-a");
  ASSERT_TRUE(named.ok()) << named.status().ToString();
  auto name = (*named)->Exec("SELECT current_setting('application_name')");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(name->Text(0, 0), "node-a");
  EXPECT_EQ(r->Column("absent"), -1);
  // NULL, or text, read as an integer is an error, never a 0.
  EXPECT_FALSE(r->Int(0, 1).ok());
  EXPECT_NE(r->Int(0, 1).status().message().find("NULL"), std::string::npos);
  EXPECT_FALSE(r->Int(0, 3).ok());
  EXPECT_FALSE(r->Int(1, 0).ok());  // no such row

  // Parameters by position, an integer among them.
  auto p = conn->Exec("SELECT $1::bigint + 1, $2::text IS NULL", {int64_t{41}, nullptr});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->Int(0, 0).value(), 42);
  EXPECT_TRUE(p->Bool(0, 1).value());
}

TEST_F(PgConnTest, AUniqueViolationIsAConflictAndOtherErrorsKeepTheirKinds) {
  auto conn = Connect();
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->ExecScript("CREATE TABLE t (k text PRIMARY KEY)").ok());
  ASSERT_TRUE(conn->Exec("INSERT INTO t VALUES ($1)", {"a"}).ok());
  auto dup = conn->Exec("INSERT INTO t VALUES ($1)", {"a"});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().kind(), ErrorKind::kConflict);
  EXPECT_EQ(dup.status().code(), "unique_violation");
  EXPECT_NE(dup.status().message().find("23505"), std::string::npos) << dup.status().message();
  // ON CONFLICT DO NOTHING RETURNING: the race-free way, nothing returned for the duplicate.
  auto again = conn->Exec("INSERT INTO t VALUES ($1) ON CONFLICT DO NOTHING RETURNING k", {"a"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->rows(), 0);

  auto syntax = conn->Exec("SELEC 1");
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.status().kind(), ErrorKind::kInternal);
  auto range = conn->Exec("SELECT $1::integer", {"99999999999"});
  ASSERT_FALSE(range.ok());
  EXPECT_EQ(range.status().kind(), ErrorKind::kInvalidField);
  // The connection is still usable after errors outside a transaction.
  EXPECT_TRUE(conn->Exec("SELECT 1").ok());
}

TEST_F(PgConnTest, ATransactionNotCommittedLeavesNothing) {
  auto conn = Connect();
  auto other = Connect();
  ASSERT_TRUE(conn && other);
  ASSERT_TRUE(conn->ExecScript("CREATE TABLE t (k text PRIMARY KEY)").ok());
  {
    auto txn = PgTransaction::Begin(*conn);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(conn->Exec("INSERT INTO t VALUES ('dropped')").ok());
    EXPECT_TRUE(conn->in_transaction());
    EXPECT_EQ(Count(*other, "t"), 0);  // not visible before commit
  }                                    // destroyed without Commit: rolled back
  EXPECT_FALSE(conn->in_transaction());
  EXPECT_EQ(Count(*other, "t"), 0);

  {
    auto txn = PgTransaction::Begin(*conn);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(conn->Exec("INSERT INTO t VALUES ('kept')").ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  EXPECT_EQ(Count(*other, "t"), 1);

  // A statement failed inside: COMMIT is answered with ROLLBACK, which must not pass for success.
  {
    auto txn = PgTransaction::Begin(*conn);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(conn->Exec("INSERT INTO t VALUES ('lost')").ok());
    auto dup = conn->Exec("INSERT INTO t VALUES ('kept')");
    ASSERT_FALSE(dup.ok());
    EXPECT_EQ(dup.status().kind(), ErrorKind::kConflict);
    const Status committed = (*txn)->Commit();
    EXPECT_FALSE(committed.ok());
    EXPECT_EQ(committed.code(), "rolled_back");
  }
  EXPECT_FALSE(conn->in_transaction());
  EXPECT_EQ(Count(*other, "t"), 1);
}

TEST_F(PgConnTest, SerializationFailuresAndDeadlocksAreRetryable) {
  auto a = Connect();
  auto b = Connect();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->ExecScript("CREATE TABLE t (id int PRIMARY KEY, v int);"
                            "INSERT INTO t VALUES (1, 0), (2, 0)")
                  .ok());

  // Serialization failure: a repeatable-read transaction updates a row changed since its snapshot.
  {
    auto txn = PgTransaction::Begin(*a, PgTransaction::Isolation::kRepeatableRead);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(a->Exec("SELECT v FROM t WHERE id = 1").ok());  // takes the snapshot
    ASSERT_TRUE(b->Exec("UPDATE t SET v = v + 1 WHERE id = 1").ok());
    auto late = a->Exec("UPDATE t SET v = v + 10 WHERE id = 1");
    ASSERT_FALSE(late.ok());
    EXPECT_TRUE(IsPgRetryable(late.status())) << late.status().ToString();
    EXPECT_EQ(late.status().kind(), ErrorKind::kUnavailable);
    EXPECT_NE(late.status().message().find("40001"), std::string::npos);
  }

  // Deadlock: each holds one row and wants the other's; the server aborts one of them.
  ASSERT_TRUE(a->ExecScript("SET deadlock_timeout = '100ms'").ok());
  ASSERT_TRUE(b->ExecScript("SET deadlock_timeout = '100ms'").ok());
  auto ta = PgTransaction::Begin(*a);
  auto tb = PgTransaction::Begin(*b);
  ASSERT_TRUE(ta.ok() && tb.ok());
  ASSERT_TRUE(a->Exec("UPDATE t SET v = 1 WHERE id = 1").ok());
  ASSERT_TRUE(b->Exec("UPDATE t SET v = 2 WHERE id = 2").ok());
  Status from_a;
  // Each side rolls back once its statement returns, which frees the other when it was the victim.
  std::thread t([&] {
    auto r = a->Exec("UPDATE t SET v = 1 WHERE id = 2");
    from_a = r.ok() ? Status::Ok() : r.status();
    (void)(*ta)->Rollback();
  });
  auto rb = b->Exec("UPDATE t SET v = 2 WHERE id = 1");
  const Status from_b = rb.ok() ? Status::Ok() : rb.status();
  (void)(*tb)->Rollback();
  t.join();
  // Exactly one was chosen as the victim, and its error says "run me again".
  EXPECT_NE(from_a.ok(), from_b.ok()) << from_a.ToString() << " / " << from_b.ToString();
  const Status& victim = from_a.ok() ? from_b : from_a;
  EXPECT_TRUE(IsPgRetryable(victim)) << victim.ToString();
  EXPECT_NE(victim.message().find("40P01"), std::string::npos) << victim.message();
}

TEST_F(PgConnTest, ABadUrlOrNoServerIsAClearErrorWithinTheTimeout) {
  PgConnectOptions fast;
  fast.connect_timeout = std::chrono::milliseconds(500);

  auto garbage = PgConn::Connect("this is not a url", fast);
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().kind(), ErrorKind::kInvalidField);
  EXPECT_NE(garbage.status().message().find("invalid database URL"), std::string::npos);

  // Nothing listening: refused at once.
  int closed_port = 0;
  {
    SilentListener l;
    closed_port = l.port();
  }
  auto start = Clock::now();
  auto refused = PgConn::Connect(
      "postgresql://postgres@127.0.0.1:" + std::to_string(closed_port) + "/postgres", fast);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().kind(), ErrorKind::kUnavailable);
  EXPECT_NE(refused.status().message().find("connecting to PostgreSQL"), std::string::npos);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));

  // A server that accepts and never answers: the attempt ends at the timeout, not later.
  SilentListener silent;
  ASSERT_NE(silent.port(), 0);
  start = Clock::now();
  auto hung = PgConn::Connect(
      "postgresql://postgres@127.0.0.1:" + std::to_string(silent.port()) + "/postgres", fast);
  const auto took = Clock::now() - start;
  ASSERT_FALSE(hung.ok());
  EXPECT_EQ(hung.status().kind(), ErrorKind::kUnavailable);
  EXPECT_NE(hung.status().message().find("no answer within 500 ms"), std::string::npos)
      << hung.status().message();
  EXPECT_GE(took, std::chrono::milliseconds(450));
  EXPECT_LT(took, std::chrono::seconds(2));

  // A database that does not exist: the server answers, and says so.
  auto missing = PgConn::Connect(testing::PgUrlWithDatabase(url(), "no_such_database"), fast);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().kind(), ErrorKind::kUnavailable);
  EXPECT_NE(missing.status().message().find("no_such_database"), std::string::npos);
}

TEST_F(PgConnTest, AConnectionLostMidSessionIsUnavailableAndNotLentAgain) {
  PgPool pool(url());
  int victim_pid = 0;
  {
    auto lease = pool.Acquire();
    ASSERT_TRUE(lease.ok()) << lease.status().ToString();
    victim_pid = (*lease)->backend_pid();
    auto killer = Connect();
    ASSERT_TRUE(killer);
    auto killed = killer->Exec("SELECT pg_terminate_backend($1)", {victim_pid});
    ASSERT_TRUE(killed.ok()) << killed.status().ToString();
    ASSERT_TRUE(killed->Bool(0, 0).value());
    const auto start = Clock::now();
    auto r = (*lease)->Exec("SELECT 1");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().kind(), ErrorKind::kUnavailable) << r.status().ToString();
    EXPECT_FALSE(IsPgRetryable(r.status()));
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
    EXPECT_FALSE((*lease)->healthy());
  }
  EXPECT_EQ(pool.idle(), 0u);  // the broken connection was closed, not pooled
  auto fresh = pool.Acquire();
  ASSERT_TRUE(fresh.ok());
  EXPECT_NE((*fresh)->backend_pid(), victim_pid);
  EXPECT_TRUE((*fresh)->Exec("SELECT 1").ok());
}

TEST_F(PgConnTest, ParametersOfAnyShapeRoundTripOrAreRefusedCleanly) {
  auto conn = Connect();
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->ExecScript("CREATE TABLE t (s text, b bytea)").ok());

  // 100 KB of text, and text that would be SQL if it were spliced in.
  std::string big(100 * 1024, 'x');
  for (size_t i = 0; i < big.size(); i += 97) big[i] = static_cast<char>('a' + i % 26);
  const std::string sneaky = "'); DROP TABLE t; --  \\ \" $1 é ✓";
  for (const std::string& s : {big, sneaky, std::string()}) {
    auto r = conn->Exec("SELECT $1::text, length($1::text)", {s});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->Text(0, 0), s);
  }
  ASSERT_TRUE(conn->Exec("INSERT INTO t (s) VALUES ($1)", {big}).ok());
  auto back = conn->Exec("SELECT s FROM t");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->Text(0, 0), big);
  EXPECT_EQ(Count(*conn, "t"), 1);

  // Bytes that are not UTF-8 are refused as text (the database is UTF-8), and nothing is stored.
  const std::string not_utf8 = "abc\xff\xfe\x80 def";
  auto refused = conn->Exec("INSERT INTO t (s) VALUES ($1)", {not_utf8});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().kind(), ErrorKind::kInvalidField) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("22021"), std::string::npos);
  EXPECT_EQ(Count(*conn, "t"), 1);
  EXPECT_TRUE(conn->Exec("SELECT 1").ok());

  // A NUL cannot be in text: refused before sending, never cut short at the NUL.
  auto with_nul = conn->Exec("INSERT INTO t (s) VALUES ($1)", {std::string("ab\0cd", 5)});
  ASSERT_FALSE(with_nul.ok());
  EXPECT_EQ(with_nul.status().kind(), ErrorKind::kInvalidField);
  EXPECT_NE(with_nul.status().message().find("NUL"), std::string::npos);
  EXPECT_EQ(Count(*conn, "t"), 1);

  // As bytea they go through untouched, a NUL and 100 KB included.
  std::string bytes = not_utf8 + std::string(1, '\0') + big;
  ASSERT_TRUE(conn->Exec("INSERT INTO t (b) VALUES ($1)", {PgParam::Bytes(bytes)}).ok());
  auto raw = conn->Exec("SELECT b, length(b) FROM t WHERE b IS NOT NULL");
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  ASSERT_EQ(raw->rows(), 1);
  EXPECT_EQ(raw->Int(0, 1).value(), static_cast<int64_t>(bytes.size()));
  EXPECT_EQ(raw->Bytes(0, 0).value(), bytes);
}

TEST_F(PgConnTest, ThePoolReusesHealthyIdleConnectionsOnly) {
  PgPool pool(url(), {}, 2);
  int first_pid = 0;
  {
    auto lease = pool.Acquire();
    ASSERT_TRUE(lease.ok());
    first_pid = (*lease)->backend_pid();
  }
  EXPECT_EQ(pool.idle(), 1u);
  {
    auto lease = pool.Acquire();
    ASSERT_TRUE(lease.ok());
    EXPECT_EQ((*lease)->backend_pid(), first_pid);
    // Given back inside a transaction: closed, so the next borrower never inherits it.
    ASSERT_TRUE((*lease)->ExecScript("BEGIN").ok());
  }
  EXPECT_EQ(pool.idle(), 0u);

  // Threads at once: each gets its own connection; at most max_idle are kept.
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 20; ++j) {
        auto lease = pool.Acquire();
        if (!lease.ok() || !(*lease)->Exec("SELECT pg_backend_pid()").ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(pool.idle(), 2u);
}

}  // namespace
}  // namespace hookd
