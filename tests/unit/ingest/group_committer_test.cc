#include "ingest/group_committer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "tests/unit/ingest/fake_event_store.h"

namespace hookd::testing {
namespace {

Event MakeEvent(const std::string& id, const std::string& key) {
  Event e;
  e.id = id;
  e.source_id = "src_1";
  e.provider_event_id = key;
  return e;
}

// Collects the answers and lets the test wait for a number of them.
struct Answers {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Result<IngestOutcome>> all;

  GroupCommitter::Done Collector() {
    return [this](Result<IngestOutcome> r) {
      std::lock_guard<std::mutex> lock(mu);
      all.push_back(std::move(r));
      cv.notify_all();
    };
  }
  void WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return all.size() >= n; });
  }
};

TEST(GroupCommitter, FailedCommitAnswersUnavailableNeverSuccess) {
  FakeEventStore store({1});  // the first commit fails
  GroupCommitter committer(store);
  committer.Start();
  Answers answers;
  committer.Submit(MakeEvent("evt_a", "a"), answers.Collector());
  answers.WaitFor(1);
  ASSERT_FALSE(answers.all[0].ok());
  EXPECT_EQ(answers.all[0].status().kind(), ErrorKind::kUnavailable);
  EXPECT_EQ(store.stored(), 0u);

  // The provider's retry of the same event then succeeds: nothing was half-stored.
  committer.Submit(MakeEvent("evt_a2", "a"), answers.Collector());
  answers.WaitFor(2);
  ASSERT_TRUE(answers.all[1].ok());
  EXPECT_FALSE(answers.all[1]->duplicate);
  EXPECT_EQ(answers.all[1]->id, "evt_a2");
  EXPECT_EQ(store.stored(), 1u);
}

TEST(GroupCommitter, EveryRequestInAFailedBatchIsAnsweredWithAnError) {
  FakeEventStore store;
  store.set_fail_all(true);
  GroupCommitter committer(store);
  committer.Start();
  Answers answers;
  constexpr int kN = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kN / 4; ++i)
        committer.Submit(
            MakeEvent("evt_" + std::to_string(t * 1000 + i), std::to_string(t * 1000 + i)),
            answers.Collector());
    });
  for (auto& th : threads) th.join();
  answers.WaitFor(kN);
  for (const auto& r : answers.all) EXPECT_FALSE(r.ok());
  EXPECT_EQ(store.stored(), 0u);
}

TEST(GroupCommitter, ConcurrentSubmitsShareCommitsAndStoreEachKeyOnce) {
  FakeEventStore store;
  GroupCommitter committer(store);
  committer.Start();
  Answers answers;
  constexpr int kThreads = 8, kPerThread = 250;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i)
        // Every thread submits the same keys: each key must be stored once.
        committer.Submit(
            MakeEvent("evt_" + std::to_string(t) + "_" + std::to_string(i), std::to_string(i)),
            answers.Collector());
    });
  for (auto& th : threads) th.join();
  answers.WaitFor(kThreads * kPerThread);
  size_t accepted = 0;
  for (const auto& r : answers.all) {
    ASSERT_TRUE(r.ok());
    if (!r->duplicate) ++accepted;
  }
  EXPECT_EQ(accepted, static_cast<size_t>(kPerThread));
  EXPECT_EQ(store.stored(), static_cast<size_t>(kPerThread));
  size_t commits = store.batch_sizes().size();
  EXPECT_LT(commits, static_cast<size_t>(kThreads * kPerThread)) << "no batching happened";
}

TEST(GroupCommitter, StopAnswersQueuedWorkAndRefusesNewWork) {
  FakeEventStore store;
  Answers answers;
  {
    GroupCommitter committer(store);
    committer.Start();
    for (int i = 0; i < 100; ++i)
      committer.Submit(MakeEvent("evt_" + std::to_string(i), std::to_string(i)),
                       answers.Collector());
    committer.Stop();
    EXPECT_EQ(answers.all.size(), 100u);
    for (const auto& r : answers.all) EXPECT_TRUE(r.ok());
    committer.Submit(MakeEvent("evt_late", "late"), answers.Collector());
    ASSERT_EQ(answers.all.size(), 101u);
    EXPECT_EQ(answers.all.back().status().kind(), ErrorKind::kUnavailable);
  }
  EXPECT_EQ(store.stored(), 100u);
}

}  // namespace
}  // namespace hookd::testing
