// StatusHub: the one reader of the status log that feeds every status-stream client.
//
// A reader thread reads new entries once, when a writer in this process says it committed
// (Notify, at most once per min_read_interval) or on a slow fallback poll (writers in other
// processes), serializes each entry once
// (JSON and the SSE block, shared as immutable strings) and keeps the most recent ones in a
// bounded ring. Every read is also one StreamBatch: the entries of that read and their SSE
// blocks concatenated, so a client that takes all of them (no filter) gets one buffer per read.
// Clients attach a StreamSink with a filter and a resume point: the ring hands them the entries
// they missed and then, once per read, the new entries that match (as indexes into the batch).
// Sinks are indexed by their filter (endpoint_id, else source_id, else app_id, else each type
// pattern; plus the unfiltered ones), so an entry only touches the sinks whose filter can match it.
// A resume point older than the ring is served from the database by Fetch, in pages, on the reader
// thread; no client causes a query per entry.
//
// Thread-safety: every public method is thread-safe. StreamSink::OnEntries is called on the
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
#include <unordered_map>
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
  std::string app_id;  // from data; the default application's when absent (older entries)
  std::shared_ptr<const std::string> json;  // StatusEntryJson(entry).dump()
  std::shared_ptr<const std::string> sse;   // "id: <seq>\nevent: <type>\ndata: <json>\n\n"
};
using StreamEntryPtr = std::shared_ptr<const StreamEntry>;

StreamEntryPtr MakeStreamEntry(const StatusEntry& e);
bool Matches(const StreamFilter& f, const StreamEntry& e);

// The entries of one read of the status log, shared by every client.
struct StreamBatch {
  std::vector<StreamEntryPtr> entries;  // seq ascending
  std::string sse;                      // every entry's SSE block, in order
  std::vector<size_t> sse_end;          // sse_end[i]: where entries[i]'s block ends in `sse`
  size_t SseBegin(size_t i) const { return i == 0 ? 0 : sse_end[i - 1]; }
};
using StreamBatchPtr = std::shared_ptr<const StreamBatch>;

StreamBatchPtr MakeStreamBatch(std::vector<StreamEntryPtr> entries);

// Which entries of a batch a sink gets: `list` (ascending indexes) when set, else every index
// in [from, to).
struct StreamPicks {
  uint32_t from = 0;
  uint32_t to = 0;
  const std::vector<uint32_t>* list = nullptr;

  size_t size() const { return list ? list->size() : to - from; }
  uint32_t operator[](size_t i) const {
    return list ? (*list)[i] : from + static_cast<uint32_t>(i);
  }
};

class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // The entries of a new batch that match the sink's filter, at least one (see the
  // thread-safety note above). `picks` is only valid during the call.
  virtual void OnEntries(const StreamBatchPtr& batch, const StreamPicks& picks) = 0;
};

// A sink that takes the entries one by one (long-polls and tests: few entries).
class PerEntrySink : public StreamSink {
 public:
  virtual void OnEntry(const StreamEntryPtr& entry) = 0;
  void OnEntries(const StreamBatchPtr& batch, const StreamPicks& picks) final {
    for (size_t i = 0; i < picks.size(); ++i) OnEntry(batch->entries[picks[i]]);
  }
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
  // Reads at most once per interval when woken by commits: a burst of commits becomes one batch
  // (one post, one write per client) at the cost of up to this much lag.
  std::chrono::milliseconds min_read_interval{20};
  // With no client attached and none fetching for this long (or ever), a poll reads only the
  // log's end,
  // not its entries: the ring starts over there, and a client resuming from before it is
  // answered from the database like one older than the ring.
  // None: never idle (a ring always filled; for tests of the ring itself).
  std::optional<std::chrono::milliseconds> idle_after = std::chrono::milliseconds(30000);
  // While idle, the reader reads commits at most once per idle_poll, not per min_read_interval
  // (a wake-up per commit was a tenth of hookd's context switches at 1,000 publishes/s); a client
  // that attaches or fetches has it read at once.
  std::chrono::milliseconds idle_poll{100};
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
    int64_t after;                // entries up to here were in its backlog or answered by Fetch
    uint64_t stamp = 0;           // the last entry it was checked against (one check per entry)
    std::vector<uint32_t> picks;  // the matching entries of the batch being published
  };
  using Bucket = std::vector<Sub*>;
  using Index = std::unordered_map<std::string, Bucket>;
  struct FetchJob {
    int64_t after;
    StreamFilter filter;
    size_t limit;
    std::function<void(FetchResult)> done;
  };

  Status InitLocked();
  void IndexLocked(Sub* sub, bool add);
  void DetachLocked(const StreamSink* sink);
  // Nobody reads the stream now (options_.idle_after).
  bool IdleLocked() const;
  void OfferLocked(const Bucket* bucket, const StreamEntry& e, uint32_t i);
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
  // guarded by mu_: every sink's Sub, and the index of them by filter. A sink is in exactly one
  // of unfiltered_, by_endpoint_ (when it filters on endpoint_id), by_source_ (on source_id but
  // not endpoint_id), by_app_ (on app_id, neither of those) or by type (on types only: under
  // each exact type, or each "a.*" under "a.").
  std::unordered_map<const StreamSink*, std::unique_ptr<Sub>> subs_;
  Bucket unfiltered_;
  Index by_endpoint_;
  Index by_source_;
  Index by_app_;
  Index by_type_;
  Index by_type_prefix_;
  uint64_t stamp_ = 0;         // guarded by mu_
  std::vector<Sub*> touched_;  // guarded by mu_: filtered Subs with picks in the current batch
  std::deque<FetchJob> jobs_;  // guarded by mu_
  // guarded by mu_: when a client last attached or fetched; none yet: the hub is idle from start
  std::optional<std::chrono::steady_clock::time_point> last_client_;
  std::mutex poll_mu_;  // one reader of the source at a time
  std::thread thread_;
};

}  // namespace hookd
