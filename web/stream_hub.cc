#include "web/stream_hub.h"

#include <algorithm>

namespace hookd {
namespace {

std::string StringField(const nlohmann::json& data, const char* name) {
  if (!data.is_object()) return {};
  auto it = data.find(name);
  return it != data.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The fields a filter looks at, without serializing (DB pages skip what does not match).
StreamEntry Header(const StatusEntry& e) {
  StreamEntry s;
  s.seq = e.seq;
  s.type = e.type;
  s.endpoint_id = StringField(e.data, "endpoint_id");
  s.source_id = StringField(e.data, "source_id");
  return s;
}

StreamEntryPtr Serialize(StreamEntry s, const StatusEntry& e) {
  auto json = std::make_shared<const std::string>(
      StatusEntryJson(e).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  std::string sse = "id: " + std::to_string(e.seq) + "\nevent: " + e.type + "\ndata: ";
  sse += *json;
  sse += "\n\n";
  s.json = std::move(json);
  s.sse = std::make_shared<const std::string>(std::move(sse));
  return std::make_shared<const StreamEntry>(std::move(s));
}

}  // namespace

StreamEntryPtr MakeStreamEntry(const StatusEntry& e) { return Serialize(Header(e), e); }

bool Matches(const StreamFilter& f, const StreamEntry& e) {
  return f.Matches(e.type, e.endpoint_id, e.source_id);
}

StatusHub::StatusHub(StatusSource& source, StatusHubOptions options)
    : source_(source), options_(options) {}

StatusHub::~StatusHub() { Stop(); }

Status StatusHub::InitLocked() {
  if (initialized_) return Status::Ok();
  auto last = source_.LastSeq();
  if (!last.ok()) return last.status();
  last_seq_ = floor_ = *last;
  initialized_ = true;
  return Status::Ok();
}

Status StatusHub::Start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (running_) return Status::Ok();
    if (Status s = InitLocked(); !s.ok()) return s;
    running_ = true;
    stop_ = false;
  }
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void StatusHub::Stop() {
  std::deque<FetchJob> jobs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!running_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    running_ = false;
    jobs.swap(jobs_);
  }
  for (FetchJob& j : jobs) j.done({Status::Unavailable("shutting down"), {}, j.after});
}

void StatusHub::Notify() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    notified_ = true;
  }
  cv_.notify_one();
}

int64_t StatusHub::last_seq() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_seq_;
}

size_t StatusHub::subscriber_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return subs_.size();
}

void StatusHub::Run() {
  while (true) {
    std::deque<FetchJob> jobs;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, options_.fallback_poll,
                   [this] { return stop_ || notified_ || !jobs_.empty(); });
      if (stop_) return;
      notified_ = false;
      jobs.swap(jobs_);
    }
    // New entries first: a catch-up answered afterwards is then more likely to end in the ring.
    // A failed read is retried at the next wake-up or poll.
    (void)PollOnce();
    for (FetchJob& j : jobs) j.done(FetchFromDb(j));
  }
}

Status StatusHub::PollOnce() {
  std::lock_guard<std::mutex> poll_lock(poll_mu_);
  int64_t after;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (Status s = InitLocked(); !s.ok()) return s;
    after = last_seq_;
  }
  while (true) {
    auto rows = source_.ReadAfter(after, options_.page_size);
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return Status::Ok();
    after = rows->back().seq;
    Publish(*rows);
    if (rows->size() < static_cast<size_t>(options_.page_size)) return Status::Ok();
  }
}

void StatusHub::Publish(const std::vector<StatusEntry>& rows) {
  // Serialized once here, outside the lock; every client shares these strings.
  std::vector<StreamEntryPtr> entries;
  entries.reserve(rows.size());
  for (const StatusEntry& r : rows) entries.push_back(MakeStreamEntry(r));

  std::lock_guard<std::mutex> lock(mu_);
  for (const StreamEntryPtr& e : entries) {
    if (e->seq <= last_seq_) continue;  // never publish an entry twice
    ring_.push_back(e);
    last_seq_ = e->seq;
    while (ring_.size() > options_.ring_capacity) {
      floor_ = ring_.front()->seq;
      ring_.pop_front();
    }
    for (size_t i = 0; i < subs_.size();) {
      Sub& sub = subs_[i];
      // The filter first: most idle, filtered clients match nothing, and locking the weak
      // pointer costs two atomic operations per client per entry.
      if (e->seq <= sub.after || !Matches(sub.filter, *e)) {
        ++i;
        continue;
      }
      auto sink = sub.sink.lock();
      if (!sink) {  // the session ended without detaching
        subs_[i] = std::move(subs_.back());
        subs_.pop_back();
        continue;
      }
      sink->OnEntry(e);
      ++i;
    }
  }
}

std::optional<std::vector<StreamEntryPtr>> StatusHub::Attach(
    const std::shared_ptr<StreamSink>& sink, const StreamFilter& filter,
    std::optional<int64_t> after) {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t from = after.value_or(last_seq_);
  if (from < floor_) return std::nullopt;
  std::vector<StreamEntryPtr> backlog;
  auto it = std::upper_bound(ring_.begin(), ring_.end(), from,
                             [](int64_t seq, const StreamEntryPtr& e) { return seq < e->seq; });
  for (; it != ring_.end(); ++it) {
    if (Matches(filter, **it)) backlog.push_back(*it);
  }
  subs_.push_back({sink, sink.get(), filter, std::max(from, last_seq_)});
  return backlog;
}

int64_t StatusHub::Detach(const StreamSink* sink) {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < subs_.size(); ++i) {
    if (subs_[i].key == sink) {
      subs_[i] = std::move(subs_.back());
      subs_.pop_back();
      break;
    }
  }
  return last_seq_;
}

void StatusHub::Fetch(int64_t after, const StreamFilter& filter, size_t limit,
                      std::function<void(FetchResult)> done) {
  FetchResult result;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (Status s = InitLocked(); !s.ok()) {
      lock.unlock();
      done({s, {}, after});
      return;
    }
    if (after < floor_) {
      if (running_) {
        jobs_.push_back({after, filter, limit, std::move(done)});
        lock.unlock();
        cv_.notify_one();
        return;
      }
    } else {
      auto it = std::upper_bound(ring_.begin(), ring_.end(), after,
                                 [](int64_t seq, const StreamEntryPtr& e) { return seq < e->seq; });
      for (; it != ring_.end() && result.entries.size() < limit; ++it) {
        if (Matches(filter, **it)) result.entries.push_back(*it);
      }
      result.next = result.entries.size() == limit && limit > 0 ? result.entries.back()->seq
                                                                : std::max(after, last_seq_);
      lock.unlock();
      done(std::move(result));
      return;
    }
  }
  done(FetchFromDb({after, filter, limit, nullptr}));
}

FetchResult StatusHub::FetchFromDb(const FetchJob& job) {
  int64_t floor_before;
  {
    std::lock_guard<std::mutex> lock(mu_);
    floor_before = floor_;
  }
  FetchResult result;
  int64_t cursor = job.after;
  for (int page = 0; page < options_.max_pages_per_fetch; ++page) {
    auto rows = source_.ReadAfter(cursor, options_.page_size);
    if (!rows.ok()) return {rows.status(), {}, job.after};
    for (const StatusEntry& r : *rows) {
      cursor = r.seq;
      StreamEntry header = Header(r);
      if (!Matches(job.filter, header)) continue;
      result.entries.push_back(Serialize(std::move(header), r));
      if (result.entries.size() >= job.limit) {
        result.next = cursor;
        return result;
      }
    }
    if (rows->size() < static_cast<size_t>(options_.page_size)) {
      // Everything committed was read. Entries up to floor_before were committed before this
      // read began, so a resume point there skips nothing.
      result.next = std::max(cursor, floor_before);
      return result;
    }
  }
  result.next = cursor;
  return result;
}

}  // namespace hookd
