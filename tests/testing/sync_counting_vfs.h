// SyncCountingVfs: while alive, SQLite's default VFS is a thin wrapper of the previous default
// that counts the syncs of write-ahead-log files ("-wal"), so a test can see whether a writer
// made its commits durable. Construct and destroy it on one thread; files may be opened and
// synced through it on any.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <string_view>

namespace hookd::testing {

class SyncCountingVfs {
 public:
  SyncCountingVfs() {
    base_ = sqlite3_vfs_find(nullptr);
    vfs_ = *base_;
    vfs_.zName = "sync-counting";
    vfs_.szOsFile = static_cast<int>(sizeof(File)) + base_->szOsFile;
    vfs_.pAppData = this;
    vfs_.xOpen = &Open;
    sqlite3_vfs_register(&vfs_, /*makeDflt=*/1);
  }
  ~SyncCountingVfs() {
    sqlite3_vfs_unregister(&vfs_);
    sqlite3_vfs_register(base_, /*makeDflt=*/1);
  }
  SyncCountingVfs(const SyncCountingVfs&) = delete;
  SyncCountingVfs& operator=(const SyncCountingVfs&) = delete;

  int wal_syncs() const { return wal_syncs_.load(); }

 private:
  // The wrapper's file: our methods first, the base VFS's file right after it.
  struct File {
    sqlite3_file file;
    SyncCountingVfs* owner;
    bool wal;
    sqlite3_file* base() { return reinterpret_cast<sqlite3_file*>(this + 1); }
  };

  static int Open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* out, int flags,
                  int* out_flags) {
    auto* self = static_cast<SyncCountingVfs*>(vfs->pAppData);
    auto* f = reinterpret_cast<File*>(out);
    std::memset(f, 0, sizeof(File));
    const int rc = self->base_->xOpen(self->base_, name, f->base(), flags, out_flags);
    if (rc != SQLITE_OK || !f->base()->pMethods) {
      // Ours stays without methods, so SQLite will not close it: close the base's here.
      if (f->base()->pMethods) f->base()->pMethods->xClose(f->base());
      return rc == SQLITE_OK ? SQLITE_CANTOPEN : rc;
    }
    f->owner = self;
    f->wal = name && std::string_view(name).ends_with("-wal");
    // Once: the base VFS gives every file the same methods, and files open on other threads.
    std::call_once(self->methods_once_, [&] { self->InitMethods(*f->base()->pMethods); });
    f->file.pMethods = &self->methods_;
    return SQLITE_OK;
  }
  void InitMethods(const sqlite3_io_methods& base) {
    methods_ = base;
    methods_.xClose = &Close;
    methods_.xRead = [](sqlite3_file* p, void* b, int n, sqlite3_int64 o) {
      return Base(p)->pMethods->xRead(Base(p), b, n, o);
    };
    methods_.xWrite = [](sqlite3_file* p, const void* b, int n, sqlite3_int64 o) {
      return Base(p)->pMethods->xWrite(Base(p), b, n, o);
    };
    methods_.xTruncate = [](sqlite3_file* p, sqlite3_int64 n) {
      return Base(p)->pMethods->xTruncate(Base(p), n);
    };
    methods_.xSync = [](sqlite3_file* p, int flags) {
      auto* file = reinterpret_cast<File*>(p);
      if (file->wal) ++file->owner->wal_syncs_;
      return Base(p)->pMethods->xSync(Base(p), flags);
    };
    methods_.xFileSize = [](sqlite3_file* p, sqlite3_int64* n) {
      return Base(p)->pMethods->xFileSize(Base(p), n);
    };
    methods_.xLock = [](sqlite3_file* p, int l) { return Base(p)->pMethods->xLock(Base(p), l); };
    methods_.xUnlock = [](sqlite3_file* p, int l) {
      return Base(p)->pMethods->xUnlock(Base(p), l);
    };
    methods_.xCheckReservedLock = [](sqlite3_file* p, int* r) {
      return Base(p)->pMethods->xCheckReservedLock(Base(p), r);
    };
    methods_.xFileControl = [](sqlite3_file* p, int op, void* arg) {
      return Base(p)->pMethods->xFileControl(Base(p), op, arg);
    };
    methods_.xSectorSize = [](sqlite3_file* p) { return Base(p)->pMethods->xSectorSize(Base(p)); };
    methods_.xDeviceCharacteristics = [](sqlite3_file* p) {
      return Base(p)->pMethods->xDeviceCharacteristics(Base(p));
    };
    methods_.xShmMap = [](sqlite3_file* p, int pg, int sz, int ext, void volatile** out) {
      return Base(p)->pMethods->xShmMap(Base(p), pg, sz, ext, out);
    };
    methods_.xShmLock = [](sqlite3_file* p, int off, int n, int flags) {
      return Base(p)->pMethods->xShmLock(Base(p), off, n, flags);
    };
    methods_.xShmBarrier = [](sqlite3_file* p) { Base(p)->pMethods->xShmBarrier(Base(p)); };
    methods_.xShmUnmap = [](sqlite3_file* p, int del) {
      return Base(p)->pMethods->xShmUnmap(Base(p), del);
    };
    // No memory-mapped I/O through the wrapper: SQLite falls back to xRead.
    methods_.iVersion = 2;
    methods_.xFetch = nullptr;
    methods_.xUnfetch = nullptr;
  }
  static sqlite3_file* Base(sqlite3_file* p) { return reinterpret_cast<File*>(p)->base(); }
  static int Close(sqlite3_file* p) {
    const int rc = Base(p)->pMethods->xClose(Base(p));
    p->pMethods = nullptr;
    return rc;
  }

  sqlite3_vfs* base_ = nullptr;
  sqlite3_vfs vfs_{};
  std::once_flag methods_once_;
  sqlite3_io_methods methods_{};  // the same for every file of the base VFS
  std::atomic<int> wal_syncs_{0};
};

}  // namespace hookd::testing
