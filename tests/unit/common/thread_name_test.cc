#include "common/thread_name.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <string>
#include <thread>

namespace hookd {
namespace {

std::string NamedThreadsName(const std::string& name) {
  std::string seen;
  std::thread t([&] {
    NameThisThread(name);
    char buf[64] = {};
    pthread_getname_np(pthread_self(), buf, sizeof buf);
    seen = buf;
  });
  t.join();
  return seen;
}

TEST(ThreadName, TheThreadCarriesTheName) {
  EXPECT_EQ(NamedThreadsName("hookd-dispatch"), "hookd-dispatch");
}

TEST(ThreadName, ALongNameIsCutAtFifteenCharacters) {
  EXPECT_EQ(NamedThreadsName("hookd-a-very-long-thread-name"), "hookd-a-very-lo");
}

TEST(ThreadName, OnlyTheCallingThreadIsNamed) {
  std::string own;
  std::thread outer([&] {
    NameThisThread("hookd-outer");
    std::thread inner([] { NameThisThread("hookd-inner"); });
    inner.join();
    char buf[64] = {};
    pthread_getname_np(pthread_self(), buf, sizeof buf);
    own = buf;
  });
  outer.join();
  EXPECT_EQ(own, "hookd-outer");
}

}  // namespace
}  // namespace hookd
