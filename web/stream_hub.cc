#include "web/stream_hub.h"

#include <algorithm>

#include "common/json_probe.h"
#include "common/json_text.h"
#include "common/thread_name.h"
#include "common/time_format.h"

namespace hookd {
namespace {

std::string StringField(const nlohmann::json& data, const char* name) {
  if (!data.is_object()) return {};
  auto it = data.find(name);
  return it != data.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The fields a filter looks at, without serializing (DB pages skip what does not match). `raw`:
// the entry's data is the log's text, valid, and is passed on as it is.
StreamEntry Header(const StatusEntry& e, bool& raw) {
  StreamEntry s;
  s.seq = e.seq;
  s.type = e.type;
  raw = false;
  auto from_json = [&s](const nlohmann::json& data) {
    s.endpoint_id = StringField(data, "endpoint_id");
    s.source_id = StringField(data, "source_id");
    s.app_id = StringField(data, "app_id");
  };
  if (e.data_text.empty()) {
    from_json(e.data);
  } else {
    // A line break between tokens would end the SSE data line: such a text is written again.
    if (e.data_text.find_first_of("\r\n") == std::string::npos) {
      if (auto ids = ProbeJsonObject(e.data_text, {"app_id", "endpoint_id", "source_id"});
          ids.ok()) {
        raw = true;
        if (auto it = ids->find("endpoint_id"); it != ids->end()) s.endpoint_id = it->second;
        if (auto it = ids->find("source_id"); it != ids->end()) s.source_id = it->second;
        if (auto it = ids->find("app_id"); it != ids->end()) s.app_id = it->second;
      }
    }
    if (!raw) from_json(nlohmann::json::parse(e.data_text, nullptr, false));
  }
  // Entries written before applications existed belong to the default application.
  if (s.app_id.empty()) s.app_id = kDefaultAppId;
  return s;
}

// StatusEntryJson(e).dump(), with the stored data text spliced in rather than parsed and written
// again. The log's texts are written by nlohmann (keys sorted) or JsonObjectText (keys given
// sorted), so the result is the same text; keys here are in nlohmann's order too.
std::string EntryJson(const StatusEntry& e, bool raw_data) {
  if (!raw_data) {
    StatusEntry parsed = e;
    if (!e.data_text.empty()) {
      parsed.data = nlohmann::json::parse(e.data_text, nullptr, false);
      if (parsed.data.is_discarded()) parsed.data = nullptr;  // not valid JSON
    }
    return StatusEntryJson(parsed).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string out = "{\"at\":\"";
  out += FormatRfc3339(e.at_ms);
  out += "\",\"data\":";
  out += e.data_text;
  out += ",\"seq\":";
  out += std::to_string(e.seq);
  out += ",\"type\":";
  AppendJsonString(out, e.type);
  out += '}';
  return out;
}

StreamEntryPtr Serialize(StreamEntry s, const StatusEntry& e, bool raw_data) {
  auto json = std::make_shared<const std::string>(EntryJson(e, raw_data));
  std::string sse = "id: " + std::to_string(e.seq) + "\nevent: " + e.type + "\ndata: ";
  sse += *json;
  sse += "\n\n";
  s.json = std::move(json);
  s.sse = std::make_shared<const std::string>(std::move(sse));
  return std::make_shared<const StreamEntry>(std::move(s));
}

}  // namespace

StreamEntryPtr MakeStreamEntry(const StatusEntry& e) {
  bool raw = false;
  StreamEntry header = Header(e, raw);
  return Serialize(std::move(header), e, raw);
}

StreamBatchPtr MakeStreamBatch(std::vector<StreamEntryPtr> entries) {
  auto batch = std::make_shared<StreamBatch>();
  size_t bytes = 0;
  for (const StreamEntryPtr& e : entries) bytes += e->sse->size();
  batch->sse.reserve(bytes);
  batch->sse_end.reserve(entries.size());
  for (const StreamEntryPtr& e : entries) {
    batch->sse += *e->sse;
    batch->sse_end.push_back(batch->sse.size());
  }
  batch->entries = std::move(entries);
  return batch;
}

bool Matches(const StreamFilter& f, const StreamEntry& e) {
  return f.Matches(e.type, e.endpoint_id, e.source_id, e.app_id);
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
  thread_ = std::thread([this] {
    NameThisThread("hookd-stream");
    Run();
  });
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
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Already notified: the reader is about to read, or waits out its interval and then reads;
    // waking it again would only put it back to sleep.
    wake = !notified_;
    notified_ = true;
  }
  if (wake) cv_.notify_one();
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
  auto last_read = std::chrono::steady_clock::now();
  while (true) {
    std::deque<FetchJob> jobs;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, options_.fallback_poll,
                   [this] { return stop_ || notified_ || !jobs_.empty(); });
      if (notified_ && jobs_.empty()) {
        // Commits soon after a read wait for the interval to pass, so they are read together;
        // while nobody reads the stream, for the longer idle_poll, unless a client comes.
        const bool idle = IdleLocked();
        const auto until =
            last_read + (idle ? std::max(options_.min_read_interval, options_.idle_poll)
                              : options_.min_read_interval);
        cv_.wait_until(lock, until,
                       [this, idle] { return stop_ || !jobs_.empty() || (idle && !IdleLocked()); });
      }
      if (stop_) return;
      notified_ = false;
      jobs.swap(jobs_);
    }
    last_read = std::chrono::steady_clock::now();
    // New entries first: a catch-up answered afterwards is then more likely to end in the ring.
    // A failed read is retried at the next wake-up or poll.
    (void)PollOnce();
    for (FetchJob& j : jobs) j.done(FetchFromDb(j));
  }
}

Status StatusHub::PollOnce() {
  std::lock_guard<std::mutex> poll_lock(poll_mu_);
  int64_t after;
  bool idle;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (Status s = InitLocked(); !s.ok()) return s;
    after = last_seq_;
    idle = IdleLocked();
  }
  if (idle) {
    // Reading and serializing every entry nobody will receive was 8% of hookd's CPU at
    // ingest; the log's end is one indexed read.
    auto end = source_.LastSeq();
    if (!end.ok()) return end.status();
    std::lock_guard<std::mutex> lock(mu_);
    if (IdleLocked()) {  // a client attached meanwhile is served from `after` on, as usual
      if (*end > last_seq_) {
        ring_.clear();
        last_seq_ = floor_ = *end;
      }
      return Status::Ok();
    }
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

  // Never publish an entry twice. Only Publish moves last_seq_, and it runs under poll_mu_, so
  // the batch can be built outside mu_.
  int64_t last;
  {
    std::lock_guard<std::mutex> lock(mu_);
    last = last_seq_;
  }
  auto fresh = std::find_if(entries.begin(), entries.end(),
                            [last](const StreamEntryPtr& e) { return e->seq > last; });
  entries.erase(entries.begin(), fresh);
  if (entries.empty()) return;
  StreamBatchPtr batch = MakeStreamBatch(std::move(entries));

  std::lock_guard<std::mutex> lock(mu_);
  const std::vector<StreamEntryPtr>& es = batch->entries;
  for (const StreamEntryPtr& e : es) {
    ring_.push_back(e);
    last_seq_ = e->seq;
  }
  while (ring_.size() > options_.ring_capacity) {
    floor_ = ring_.front()->seq;
    ring_.pop_front();
  }

  // Filtered sinks: only those indexed under one of the entry's keys are looked at.
  touched_.clear();
  auto bucket = [](const Index& index, const std::string& key) -> const Bucket* {
    if (index.empty()) return nullptr;
    auto it = index.find(key);
    return it == index.end() ? nullptr : &it->second;
  };
  for (uint32_t i = 0; i < es.size(); ++i) {
    const StreamEntry& e = *es[i];
    ++stamp_;
    if (!e.endpoint_id.empty()) OfferLocked(bucket(by_endpoint_, e.endpoint_id), e, i);
    if (!e.source_id.empty()) OfferLocked(bucket(by_source_, e.source_id), e, i);
    OfferLocked(bucket(by_app_, e.app_id), e, i);
    OfferLocked(bucket(by_type_, e.type), e, i);
    if (!by_type_prefix_.empty()) {
      // "a.*" is indexed under "a.": look up every prefix of the type that ends in a dot.
      for (size_t dot = e.type.find('.'); dot != std::string::npos; dot = e.type.find('.', dot + 1))
        OfferLocked(bucket(by_type_prefix_, e.type.substr(0, dot + 1)), e, i);
    }
  }

  std::vector<const StreamSink*> gone;  // sessions that ended without detaching
  const uint32_t n = static_cast<uint32_t>(es.size());
  for (Sub* sub : unfiltered_) {
    // Usually every entry is new to it; a sink attached after a resume point may skip a few.
    uint32_t from = 0;
    while (from < n && es[from]->seq <= sub->after) ++from;
    if (from == n) continue;
    auto sink = sub->sink.lock();
    if (!sink) {
      gone.push_back(sub->key);
      continue;
    }
    sink->OnEntries(batch, StreamPicks{from, n, nullptr});
  }
  for (Sub* sub : touched_) {
    auto sink = sub->sink.lock();
    if (!sink) {
      gone.push_back(sub->key);
    } else {
      StreamPicks picks;
      picks.list = &sub->picks;
      sink->OnEntries(batch, picks);
    }
    sub->picks.clear();
  }
  touched_.clear();
  for (const StreamSink* key : gone) DetachLocked(key);
}

void StatusHub::OfferLocked(const Bucket* bucket, const StreamEntry& e, uint32_t i) {
  if (!bucket) return;
  for (Sub* sub : *bucket) {
    if (sub->stamp == stamp_) continue;  // under two of the entry's keys
    sub->stamp = stamp_;
    if (e.seq <= sub->after || !Matches(sub->filter, e)) continue;
    if (sub->picks.empty()) touched_.push_back(sub);
    sub->picks.push_back(i);
  }
}

void StatusHub::IndexLocked(Sub* sub, bool add) {
  auto update = [&](Bucket& b) {
    if (add) {
      b.push_back(sub);
    } else if (auto it = std::find(b.begin(), b.end(), sub); it != b.end()) {
      *it = b.back();
      b.pop_back();
    }
  };
  auto keyed = [&](Index& index, const std::string& key) {
    if (add) {
      update(index[key]);
      return;
    }
    auto it = index.find(key);
    if (it == index.end()) return;
    update(it->second);
    if (it->second.empty()) index.erase(it);
  };
  const StreamFilter& f = sub->filter;
  if (f.endpoint_id) {
    keyed(by_endpoint_, *f.endpoint_id);
  } else if (f.source_id) {
    keyed(by_source_, *f.source_id);
  } else if (f.app_id) {
    keyed(by_app_, *f.app_id);
  } else if (!f.types.empty()) {
    for (const std::string& t : f.types) {
      if (t.ends_with(".*")) {
        keyed(by_type_prefix_, t.substr(0, t.size() - 1));
      } else {
        keyed(by_type_, t);
      }
    }
  } else {
    update(unfiltered_);
  }
}

bool StatusHub::IdleLocked() const {
  if (!options_.idle_after || !subs_.empty() || !jobs_.empty()) return false;
  return !last_client_ || std::chrono::steady_clock::now() - *last_client_ >= *options_.idle_after;
}

std::optional<std::vector<StreamEntryPtr>> StatusHub::Attach(
    const std::shared_ptr<StreamSink>& sink, const StreamFilter& filter,
    std::optional<int64_t> after) {
  std::lock_guard<std::mutex> lock(mu_);
  last_client_ = std::chrono::steady_clock::now();
  // Commits noted while idle are read now, not at the next idle poll.
  if (notified_) cv_.notify_one();
  const int64_t from = after.value_or(last_seq_);
  if (from < floor_) return std::nullopt;
  std::vector<StreamEntryPtr> backlog;
  auto it = std::upper_bound(ring_.begin(), ring_.end(), from,
                             [](int64_t seq, const StreamEntryPtr& e) { return seq < e->seq; });
  for (; it != ring_.end(); ++it) {
    if (Matches(filter, **it)) backlog.push_back(*it);
  }
  auto sub = std::make_unique<Sub>();
  sub->sink = sink;
  sub->key = sink.get();
  sub->filter = filter;
  sub->after = std::max(from, last_seq_);
  auto [it2, added] = subs_.try_emplace(sink.get(), nullptr);
  if (!added) IndexLocked(it2->second.get(), false);  // attached again: the new filter counts
  it2->second = std::move(sub);
  IndexLocked(it2->second.get(), true);
  return backlog;
}

int64_t StatusHub::Detach(const StreamSink* sink) {
  std::lock_guard<std::mutex> lock(mu_);
  DetachLocked(sink);
  return last_seq_;
}

void StatusHub::DetachLocked(const StreamSink* sink) {
  auto it = subs_.find(sink);
  if (it == subs_.end()) return;
  IndexLocked(it->second.get(), false);
  subs_.erase(it);
}

void StatusHub::Fetch(int64_t after, const StreamFilter& filter, size_t limit,
                      std::function<void(FetchResult)> done) {
  FetchResult result;
  {
    std::unique_lock<std::mutex> lock(mu_);
    last_client_ = std::chrono::steady_clock::now();
    if (notified_) cv_.notify_one();  // commits noted while idle are read now
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
      bool raw = false;
      StreamEntry header = Header(r, raw);
      if (!Matches(job.filter, header)) continue;
      result.entries.push_back(Serialize(std::move(header), r, raw));
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
