// LISTEN/NOTIFY through PgListener: a NOTIFY reaches a listener within a timeout, one sent inside a
// transaction only when it commits, a wait with nothing to read ends at its timeout, and a lost
// listener connection is an error rather than a silent hang.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "storage/pg/pg_conn.h"
#include "storage/pg/pg_listener.h"
#include "tests/testing/pg_test_db.h"

namespace hookd {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

class PgListenTest : public testing::PgTest {};

TEST_F(PgListenTest, ANotifyArrivesAtTheListenerWithinTheTimeout) {
  auto listener = PgListener::Connect(url());
  ASSERT_TRUE(listener.ok()) << listener.status().ToString();
  ASSERT_TRUE((*listener)->Listen("hookd.wake-up").ok());  // a name that needs quoting
  auto sender = Connect();
  ASSERT_TRUE(sender);

  // Nothing sent: the wait ends at its timeout, empty.
  auto start = Clock::now();
  auto none = (*listener)->Wait(milliseconds(150));
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());
  EXPECT_GE(Clock::now() - start, milliseconds(140));
  EXPECT_LT(Clock::now() - start, milliseconds(1000));

  // Sent from another thread while the listener waits.
  std::thread t([&] {
    std::this_thread::sleep_for(milliseconds(100));
    EXPECT_TRUE(PgNotify(*sender, "hookd.wake-up", "seq=7").ok());
  });
  start = Clock::now();
  auto got = (*listener)->Wait(milliseconds(5000));
  t.join();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].channel, "hookd.wake-up");
  EXPECT_EQ((*got)[0].payload, "seq=7");
  EXPECT_EQ((*got)[0].sender_pid, sender->backend_pid());
  EXPECT_LT(Clock::now() - start, milliseconds(2000));

  // Several sent before the wait all come back, in order; other channels are not heard.
  ASSERT_TRUE(PgNotify(*sender, "elsewhere", "x").ok());
  for (const char* p : {"1", "2", "3"}) ASSERT_TRUE(PgNotify(*sender, "hookd.wake-up", p).ok());
  std::vector<std::string> payloads;
  const auto deadline = Clock::now() + milliseconds(3000);
  while (payloads.size() < 3 && Clock::now() < deadline) {
    auto more = (*listener)->Wait(milliseconds(500));
    ASSERT_TRUE(more.ok());
    for (const auto& n : *more) payloads.push_back(n.payload);
  }
  EXPECT_EQ(payloads, (std::vector<std::string>{"1", "2", "3"}));
}

TEST_F(PgListenTest, ANotifyInATransactionArrivesOnlyWhenItCommits) {
  auto listener = PgListener::Connect(url());
  ASSERT_TRUE(listener.ok());
  ASSERT_TRUE((*listener)->Listen("due").ok());
  auto sender = Connect();
  ASSERT_TRUE(sender);
  {
    auto txn = PgTransaction::Begin(*sender);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(PgNotify(*sender, "due", "rolled back").ok());
  }  // rolled back: never sent
  {
    auto txn = PgTransaction::Begin(*sender);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(PgNotify(*sender, "due", "committed").ok());
    auto early = (*listener)->Wait(milliseconds(200));
    ASSERT_TRUE(early.ok());
    EXPECT_TRUE(early->empty());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  auto got = (*listener)->Wait(milliseconds(5000));
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].payload, "committed");
}

TEST_F(PgListenTest, ALostListenerConnectionIsUnavailableNotAHang) {
  auto listener = PgListener::Connect(url());
  ASSERT_TRUE(listener.ok());
  ASSERT_TRUE((*listener)->Listen("due").ok());
  auto killer = Connect();
  ASSERT_TRUE(killer);
  ASSERT_TRUE(
      killer->Exec("SELECT pg_terminate_backend($1)", {(*listener)->conn().backend_pid()}).ok());
  const auto start = Clock::now();
  auto got = (*listener)->Wait(milliseconds(5000));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().kind(), ErrorKind::kUnavailable) << got.status().ToString();
  EXPECT_LT(Clock::now() - start, milliseconds(2000));
  // And again, at once.
  auto again = (*listener)->Wait(milliseconds(5000));
  ASSERT_FALSE(again.ok());
  EXPECT_LT(Clock::now() - start, milliseconds(2000));
}

}  // namespace
}  // namespace hookd
