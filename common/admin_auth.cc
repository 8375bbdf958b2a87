#include "common/admin_auth.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/crypto.h"
#include "common/token_strength.h"

namespace hookd {

AdminAuth::AdminAuth(std::string token) : token_(std::move(token)), token_digest_(Sha256(token_)) {}

bool AdminAuth::TokenMatches(std::string_view token) const {
  return ConstantTimeEquals(Sha256(token), token_digest_);
}

Result<AdminAuth> AdminAuth::Load(const std::string& configured, const std::string& data_dir,
                                  Random& random) {
  if (!configured.empty()) return AdminAuth(configured);
  const std::string path = data_dir + "/admin_token";
  std::ifstream in(path);
  if (in) {
    std::stringstream ss;
    ss << in.rdbuf();
    std::string token = ss.str();
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    if (token.empty()) return Status::Internal(path + " is empty; delete it to generate a token");
    if (Status st = CheckAdminTokenStrength(token, path); !st.ok()) return st;
    return AdminAuth(token);
  }
  std::string token = "hkd_" + HexEncode(random.Bytes(24));
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Unavailable("cannot create " + path + ": " + std::strerror(errno));
  std::string line = token + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return Status::Unavailable("cannot write " + path);
  AdminAuth auth(token);
  auth.generated_ = true;
  return auth;
}

Status AdminAuth::CheckBearer(const HttpRequest& req) const {
  auto header = req.headers.Get("authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (header && header->size() > kBearer.size() &&
      EqualsIgnoreCase(header->substr(0, kBearer.size()), kBearer) &&
      TokenMatches(header->substr(kBearer.size())))
    return Status::Ok();
  return Status::Unauthenticated("unauthorized",
                                 "missing or wrong admin token (Authorization: Bearer <token>)");
}

}  // namespace hookd
