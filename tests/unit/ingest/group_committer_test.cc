#include "ingest/group_committer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "tests/testing/wait.h"
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
  // Succeeds once `n` answers have come, fails after kWaitDeadline (a committer that never
  // answers fails the test instead of hanging it until CTest's timeout).
  ::testing::AssertionResult WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu);
    if (cv.wait_for(lock, kWaitDeadline, [&] { return all.size() >= n; }))
      return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << all.size() << " of " << n << " answers after " << kWaitDeadline.count() << " ms";
  }
};

// Every event id handed to the store over all its batches, sorted.
std::vector<std::string> AllHandedOver(FakeEventStore& store) {
  std::vector<std::string> all;
  for (const auto& b : store.batches()) all.insert(all.end(), b.begin(), b.end());
  std::sort(all.begin(), all.end());
  return all;
}

TEST(GroupCommitter, FailedCommitAnswersUnavailableNeverSuccess) {
  FakeEventStore store({1});  // the first commit fails
  GroupCommitter committer(store);
  committer.Start();
  Answers answers;
  committer.Submit(MakeEvent("evt_a", "a"), answers.Collector());
  ASSERT_TRUE(answers.WaitFor(1));
  ASSERT_FALSE(answers.all[0].ok());
  EXPECT_EQ(answers.all[0].status().kind(), ErrorKind::kUnavailable);

  // The next commit succeeds and its request gets the store's outcome.
  committer.Submit(MakeEvent("evt_a2", "a"), answers.Collector());
  ASSERT_TRUE(answers.WaitFor(2));
  ASSERT_TRUE(answers.all[1].ok());
  EXPECT_FALSE(answers.all[1]->duplicate);
  EXPECT_EQ(answers.all[1]->id, "evt_a2");
  EXPECT_EQ(store.batches(), (std::vector<std::vector<std::string>>{{"evt_a"}, {"evt_a2"}}));
}

TEST(GroupCommitter, EveryRequestInAFailedBatchIsAnsweredWithAnError) {
  FakeEventStore store;
  store.set_fail_all(true);
  GroupCommitter committer(store);
  committer.Start();
  Answers answers;
  constexpr int kN = 200;
  std::vector<std::thread> threads;
  std::vector<std::string> sent;
  for (int i = 0; i < kN; ++i) sent.push_back("evt_" + std::to_string(i));
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = t * kN / 4; i < (t + 1) * kN / 4; ++i)
        committer.Submit(MakeEvent(sent[i], std::to_string(i)), answers.Collector());
    });
  for (auto& th : threads) th.join();
  ASSERT_TRUE(answers.WaitFor(kN));
  committer.Stop();
  ASSERT_EQ(answers.all.size(), static_cast<size_t>(kN));
  for (const auto& r : answers.all) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().kind(), ErrorKind::kUnavailable);
  }
  std::sort(sent.begin(), sent.end());
  EXPECT_EQ(AllHandedOver(store), sent) << "each event is handed to the store exactly once";
}

TEST(GroupCommitter, EachRequestGetsItsOwnOutcomeFromTheBatch) {
  FakeEventStore store;
  GroupCommitter committer(store);
  // Queued before the thread starts: one batch of four.
  std::vector<Result<IngestOutcome>> got(4, Status::Internal("not answered"));
  const std::vector<std::pair<std::string, std::string>> requests = {
      {"evt_1", "k1"}, {"evt_2", "dup:first"}, {"evt_3", "k3"}, {"evt_4", "dup:other"}};
  Answers answers;
  for (size_t i = 0; i < requests.size(); ++i) {
    committer.Submit(MakeEvent(requests[i].first, requests[i].second),
                     [&, i](Result<IngestOutcome> r) {
                       got[i] = std::move(r);
                       answers.Collector()(IngestOutcome{});
                     });
  }
  committer.Start();
  ASSERT_TRUE(answers.WaitFor(4));
  committer.Stop();
  ASSERT_EQ(store.batches().size(), 1u);
  ASSERT_TRUE(got[0].ok() && got[1].ok() && got[2].ok() && got[3].ok());
  EXPECT_EQ(got[0]->id, "evt_1");
  EXPECT_FALSE(got[0]->duplicate);
  EXPECT_EQ(got[1]->id, "evt_first");
  EXPECT_TRUE(got[1]->duplicate);
  EXPECT_EQ(got[2]->id, "evt_3");
  EXPECT_FALSE(got[2]->duplicate);
  EXPECT_EQ(got[3]->id, "evt_other");
  EXPECT_TRUE(got[3]->duplicate);
}

TEST(GroupCommitter, AStoreAnsweringTheWrongCountIsAnErrorForEveryRequest) {
  FakeEventStore store;
  store.set_short_answer(true);
  GroupCommitter committer(store);
  Answers answers;
  for (int i = 0; i < 3; ++i)
    committer.Submit(MakeEvent("evt_" + std::to_string(i), std::to_string(i)), answers.Collector());
  committer.Start();
  ASSERT_TRUE(answers.WaitFor(3));
  committer.Stop();
  for (const auto& r : answers.all) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().kind(), ErrorKind::kUnavailable);
  }
}

TEST(GroupCommitter, ConcurrentSubmitsShareCommitsAndReachTheStoreOnce) {
  FakeEventStore store;
  GroupCommitter committer(store);
  committer.Start();
  Answers answers;
  constexpr int kThreads = 8, kPerThread = 250;
  std::vector<std::thread> threads;
  std::vector<std::string> sent;
  for (int t = 0; t < kThreads; ++t)
    for (int i = 0; i < kPerThread; ++i)
      sent.push_back("evt_" + std::to_string(t) + "_" + std::to_string(i));
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i)
        committer.Submit(MakeEvent(sent[t * kPerThread + i], std::to_string(i)),
                         answers.Collector());
    });
  for (auto& th : threads) th.join();
  ASSERT_TRUE(answers.WaitFor(kThreads * kPerThread));
  committer.Stop();
  for (const auto& r : answers.all) ASSERT_TRUE(r.ok());
  std::sort(sent.begin(), sent.end());
  EXPECT_EQ(AllHandedOver(store), sent);
  EXPECT_LT(store.batches().size(), static_cast<size_t>(kThreads * kPerThread))
      << "no batching happened";
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
  EXPECT_EQ(AllHandedOver(store).size(), 100u) << "the refused event never reached the store";
}

}  // namespace
}  // namespace hookd::testing
