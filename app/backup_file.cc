#include "app/backup_file.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace hookd {
namespace {

std::string Errno() { return std::strerror(errno); }

bool SameFile(const struct stat& a, const std::string& path) {
  struct stat b {};
  return ::stat(path.c_str(), &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

void RemoveTemp(const std::string& temp) {
  ::unlink(temp.c_str());
  ::unlink((temp + "-journal").c_str());
}

Status SyncPath(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Status::Unavailable("cannot open " + path + ": " + Errno());
  const int rc = ::fsync(fd);
  const std::string error = rc != 0 ? Errno() : "";
  ::close(fd);
  if (rc != 0) return Status::Unavailable("cannot sync " + path + ": " + error);
  return Status::Ok();
}

Status Exists(const std::string& target) {
  return Status::Conflict("target_exists", target + " exists; pass --force to replace it");
}

// Renames `temp` to `target`; without `force`, fails when `target` appeared meanwhile.
Status Publish(const std::string& temp, const std::string& target, bool force) {
  if (force) {
    if (::rename(temp.c_str(), target.c_str()) != 0)
      return Status::Unavailable("cannot rename " + temp + " to " + target + ": " + Errno());
    return Status::Ok();
  }
  if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) == 0)
    return Status::Ok();
  if (errno == EEXIST) return Exists(target);
  if (errno != EINVAL && errno != ENOSYS)
    return Status::Unavailable("cannot rename " + temp + " to " + target + ": " + Errno());
  // A file system without RENAME_NOREPLACE: a hard link fails the same way on an existing target.
  if (::link(temp.c_str(), target.c_str()) != 0)
    return errno == EEXIST ? Exists(target)
                           : Status::Unavailable("cannot link " + target + ": " + Errno());
  ::unlink(temp.c_str());
  return Status::Ok();
}

}  // namespace

Result<BackupStats> BackupToFile(const std::string& db_path, const std::string& target, bool force,
                                 const BackupOptions& options) {
  struct stat db {};
  if (::stat(db_path.c_str(), &db) != 0)
    return Status::NotFound("no database at " + db_path + " (" + Errno() +
                            "); is the data dir (--data-dir, HOOKD_DATA_DIR) right?");
  if (!S_ISREG(db.st_mode)) return Status::InvalidField(db_path + " is not a database file");
  if (SameFile(db, target) || target == db_path + "-wal" || target == db_path + "-shm" ||
      target == db_path + "-journal")
    return Status::InvalidField(target + " is the live database; choose another file");
  struct stat existing {};
  if (::stat(target.c_str(), &existing) == 0) {
    if (S_ISDIR(existing.st_mode))
      return Status::InvalidField(target + " is a directory; give a file name");
    if (!force) return Exists(target);
  }

  std::string temp = target + ".tmp-XXXXXX";
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) return Status::Unavailable("cannot write " + target + ": " + Errno());
  ::fchmod(fd, 0600);
  ::close(fd);

  auto stats = BackupDatabase(db_path, temp, options);
  Status s = stats.ok() ? SyncPath(temp, O_RDONLY) : stats.status();
  if (s.ok()) s = Publish(temp, target, force);
  if (!s.ok()) {
    RemoveTemp(temp);
    return s;
  }
  ::unlink((temp + "-journal").c_str());
  std::string dir = std::filesystem::path(target).parent_path().string();
  SyncPath(dir.empty() ? "." : dir, O_RDONLY | O_DIRECTORY);  // the rename, durable; best effort
  return stats;
}

}  // namespace hookd
