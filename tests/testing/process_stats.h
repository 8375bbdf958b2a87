// What this process uses now, from /proc/self (Linux). For tests that bound memory or threads.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <fstream>
#include <string>

namespace hookd::testing {

// Resident set size in bytes.
inline size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t total = 0, resident = 0;
  statm >> total >> resident;
  return resident * static_cast<size_t>(::sysconf(_SC_PAGESIZE));
}

// Threads of this process; -1 when /proc does not say.
inline int ThreadCount() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}

}  // namespace hookd::testing
