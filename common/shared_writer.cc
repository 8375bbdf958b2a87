#include "common/shared_writer.h"

namespace hookd {

Result<std::unique_ptr<SharedWriter>> SharedWriter::Open(const std::string& path,
                                                         DbOptions options) {
  options.synchronous = "NORMAL";
  auto db = Db::Open(path, options);
  if (!db.ok()) return db.status();
  return std::unique_ptr<SharedWriter>(new SharedWriter(std::move(db).value()));
}

Status SharedWriter::SyncWal() {
  Result<Db::WalFile> wal = Status::Internal("unset");
  {
    Held held = Hold();
    wal = held->OpenWalFile();
  }
  if (!wal.ok()) return wal.status();
  // The file stays open while the connection is; syncing it is a system call on its descriptor,
  // which another thread's writes through the connection meanwhile do not disturb.
  return Db::SyncWalFile(*wal);
}

}  // namespace hookd
