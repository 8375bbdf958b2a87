#include "common/data_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace hookd {
namespace {

std::string Octal(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof(text), "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

}  // namespace

Status PrepareDataDir(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT)
      return Status::Unavailable("cannot use data dir " + dir + ": " + std::strerror(errno));
    std::filesystem::path leaf = std::filesystem::path(dir).lexically_normal();
    if (!leaf.has_filename()) leaf = leaf.parent_path();  // "data/" is "data"
    std::error_code ec;
    if (leaf.has_parent_path()) std::filesystem::create_directories(leaf.parent_path(), ec);
    if (ec) return Status::Unavailable("cannot create data dir " + dir + ": " + ec.message());
    if (::mkdir(leaf.c_str(), 0700) == 0) {
      ::chmod(leaf.c_str(), 0700);  // whatever the umask took away: the directory is ours
    } else if (errno != EEXIST) {
      return Status::Unavailable("cannot create data dir " + dir + ": " + std::strerror(errno));
    }
    if (::stat(dir.c_str(), &st) != 0)
      return Status::Unavailable("cannot use data dir " + dir + ": " + std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode))
    return Status::InvalidField("data dir " + dir + " exists and is not a directory");
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return Status::InvalidField(
        "data dir " + dir + " has mode " + Octal(st.st_mode) +
        ": other users can write to it, and so replace hookd.db or admin_token. Use a directory "
        "of hookd's own (a missing one is created with mode 0700, e.g. " +
        (std::filesystem::path(dir) / "hookd").string() +
        "), or take their write access away (chmod go-w " + dir + ")");
  return Status::Ok();
}

Status CreatePrivateFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Unavailable("cannot create " + path + ": " + std::strerror(errno));
  ::close(fd);
  return Status::Ok();
}

}  // namespace hookd
