#include "common/wal_checkpointer.h"

#include <utility>

#include "common/thread_name.h"

namespace hookd {
namespace {

const Clock& SystemClockInstance() {
  static const SystemClock clock;
  return clock;
}

}  // namespace

WalCheckpointer::WalCheckpointer(std::string path, DbOptions options,
                                 std::chrono::milliseconds interval, int restart_frames)
    : path_(std::move(path)),
      options_(std::move(options)),
      interval_(interval),
      restart_frames_(restart_frames),
      errors_(Logger::Discard(), SystemClockInstance(), "WAL checkpoint failed (retried later)") {}

WalCheckpointer::~WalCheckpointer() { Stop(); }

Status WalCheckpointer::Open() {
  if (db_) return Status::Ok();
  DbOptions options = options_;
  options.auto_checkpoint = false;
  auto db = Db::Open(path_, options);
  if (!db.ok()) return db.status();
  db_ = std::move(db).value();
  return Status::Ok();
}

Status WalCheckpointer::Start() {
  if (Status s = Open(); !s.ok()) return s;
  thread_ = std::thread([this] {
    NameThisThread("hookd-checkpnt");
    Loop();
  });
  return Status::Ok();
}

void WalCheckpointer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (!thread_.joinable()) return;
  thread_.join();
  (void)RunOnce();  // a failure is already logged
}

WalState WalCheckpointer::last_state() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_state_;
}

void WalCheckpointer::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, interval_, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    (void)RunOnce();  // a failure is logged; the next interval tries again
    lock.lock();
  }
}

Result<WalState> WalCheckpointer::RunOnce() {
  if (!db_) return Status::Internal("the WAL checkpointer's connection is not open");
  auto state = db_->Checkpoint();
  // A RESTART holds the write lock while it waits for the readers, so a reader of an older
  // snapshot (`hookd backup` copying, a long query) would stall every writer for the busy timeout
  // at each interval. The PASSIVE checkpoint stops short of such a reader's snapshot: restart only
  // when it copied every frame. Meanwhile the WAL grows; the first checkpoint after that reader
  // ends restarts it.
  if (state.ok() && state->frames >= restart_frames_ && state->checkpointed == state->frames)
    state = db_->Checkpoint(Db::CheckpointMode::kRestart);
  if (!state.ok()) {
    errors_.Log(state.status().message());
    return state.status();
  }
  std::lock_guard<std::mutex> lock(mu_);
  last_state_ = *state;
  return *state;
}

}  // namespace hookd
