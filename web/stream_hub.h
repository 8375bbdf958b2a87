// StatusHub: the one reader of the status log that feeds every status-stream client.
//
// A reader thread reads new entries once, when a writer in this process says it committed
// (Notify) or on a slow fallback poll (writers in other processes), serializes each entry once
// (JSON and the SSE block, shared as immutable strings) and keeps the most recent ones in a
// bounded ring. Clients attach a StreamSink with a filter and a resume point: the ring hands
// them the entries they missed and then every new matching entry. A resume point older than
// the ring is served from the database by Fetch, in pages, on the reader thread; no client
// causes a query per entry.
//
// Thread-safety: every public method is thread-safe. StreamSink::OnEntry is called on the
// reader thread (or PollOnce's caller) with the hub's lock held: it must only queue or post,
// never block or call back into the hub. Fetch's `done` runs on the caller's thread (ring) or
// on the reader thread (database), without the lock.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/status_log.h"
#include "web/status_source.h"
#include "web/stream_filter.h"

namespace hookd {

// One status-log entry, serialized once and shared by every client.
struct StreamEntry {
  int64_t seq = 0;
  std::string type;
  std::string endpoint_id;  // from data, empty when absent
  std::string source_id;
  std::shared_ptr<const std::string> json;  // StatusEntryJson(entry).dump()
  std::shared_ptr<const std::string> sse;   // "id: <seq>\nevent: <type>\ndata: <json>\n\n"
};
using StreamEntryPtr = std::shared_ptr<const StreamEntry>;

StreamEntryPtr MakeStreamEntry(const StatusEntry& e);
bool Matches(const StreamFilter& f, const StreamEntry& e);

class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // A new entry that matches the sink's filter (see the thread-safety note above).
  virtual void OnEntry(const StreamEntryPtr& entry) = 0;
};

struct FetchResult {
  Status status;
  std::vector<StreamEntryPtr> entries;  // matching, oldest first
  // The resume point after this result: every matching entry up to it has been returned.
  int64_t next = 0;
};

struct StatusHubOptions {
  size_t ring_capacity = 4096;   // entries kept in memory
  int page_size = 500;           // rows per database read
  int max_pages_per_fetch = 20;  // a Fetch scans at most this many pages, then returns its next
  std::chrono::milliseconds fallback_poll{1000};
};

class StatusHub {
 public:
  explicit StatusHub(StatusSource& source, StatusHubOptions options = {});
  ~StatusHub();
  StatusHub(const StatusHub&) = delete;
  StatusHub& operator=(const StatusHub&) = delete;

  // Reads the log's current end (the ring starts empty there) and starts the reader thread.
  Status Start();
  // Stops the reader thread; pending Fetches are answered with 503. Idempotent.
  void Stop();
  // A writer committed status entries: read them now. Cheap; any thread.
  void Notify();

  // The seq of the newest entry read so far.
  int64_t last_seq() const;

  // Registers `sink` for every later entry matching `filter`, if the ring holds every entry after
  // `after` (nullopt: from now). Returns the matching entries after `after` already in the ring
  // (the sink gets each entry once: the backlog and the live entries neither overlap nor leave a
  // gap). Returns nullopt and registers nothing when `after` is older than the ring: read the gap
  // with Fetch, then attach again from its `next`. The hub keeps only a weak reference.
  std::optional<std::vector<StreamEntryPtr>> Attach(const std::shared_ptr<StreamSink>& sink,
                                                    const StreamFilter& filter,
                                                    std::optional<int64_t> after);
  // Unregisters `sink`; after it returns OnEntry is not called again. Returns the hub's last seq
  // at that moment: every entry up to it that matched has been offered to the sink.
  int64_t Detach(const StreamSink* sink);

  // Up to `limit` matching entries after `after`: from the ring when it covers `after` (done runs
  // at once), else from the database on the reader thread (scanning at most
  // max_pages_per_fetch pages). Before Start, database reads run on the calling thread.
  void Fetch(int64_t after, const StreamFilter& filter, size_t limit,
             std::function<void(FetchResult)> done);

  // Reads and publishes new entries on the calling thread (the reader thread's step; for tests
  // that do not Start). Initializes the log's end on first use.
  Status PollOnce();

  size_t subscriber_count() const;

 private:
  struct Sub {
    std::weak_ptr<StreamSink> sink;
    const StreamSink* key;
    StreamFilter filter;
    int64_t after;  // entries up to here were in its backlog or answered by Fetch
  };
  struct FetchJob {
    int64_t after;
    StreamFilter filter;
    size_t limit;
    std::function<void(FetchResult)> done;
  };

  Status InitLocked();
  void Run();
  void Publish(const std::vector<StatusEntry>& rows);
  FetchResult FetchFromDb(const FetchJob& job);

  StatusSource& source_;
  const StatusHubOptions options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool initialized_ = false;         // guarded by mu_
  bool running_ = false;             // guarded by mu_
  bool stop_ = false;                // guarded by mu_
  bool notified_ = false;            // guarded by mu_
  int64_t last_seq_ = 0;             // guarded by mu_
  int64_t floor_ = 0;                // guarded by mu_: the ring holds every seq > floor_
  std::deque<StreamEntryPtr> ring_;  // guarded by mu_
  std::vector<Sub> subs_;            // guarded by mu_
  std::deque<FetchJob> jobs_;        // guarded by mu_
  std::mutex poll_mu_;               // one reader of the source at a time
  std::thread thread_;
};

}  // namespace hookd
