#include "app/listen_probe.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hookd {

Status ProbeListen(const ListenAddress& address, const std::string& setting) {
  if (address.port == 0) return Status::Ok();
  const std::string where = setting + " " + address.ToString() + ": ";
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(address.port);
  if (int rc = getaddrinfo(address.host.c_str(), port.c_str(), &hints, &found); rc != 0)
    return Status::Internal(where + gai_strerror(rc));
  int error = 0;
  for (addrinfo* a = found; a; a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      error = errno;
      continue;
    }
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    const bool bound = bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 1) == 0;
    if (!bound) error = errno;
    close(fd);
    if (bound) {
      freeaddrinfo(found);
      return Status::Ok();
    }
  }
  freeaddrinfo(found);
  return Status::Internal(where + std::strerror(error ? error : EADDRNOTAVAIL));
}

}  // namespace hookd
