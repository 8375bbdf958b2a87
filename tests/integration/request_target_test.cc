// The request line of a delivery, as it arrives at a raw receiver: a URL path and query with
// bytes above 0x7f (or others a request-target may not hold) are percent-encoded; "%XX" escapes
// and allowed characters arrive as registered.
#include <sys/socket.h>

#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/integration/test_server.h"
#include "tests/testing/delivery_settings.h"
#include "tests/testing/receivers.h"
#include "tests/testing/wait.h"

namespace hookd::testing {
namespace {

using std::chrono::milliseconds;

// Answers 200 to each request and keeps its request line.
class RequestLineRecorder {
 public:
  RequestLineRecorder()
      : listener_([this](int fd) {
          while (true) {
            std::string data;
            char buf[4096];
            size_t end;
            while ((end = data.find("\r\n\r\n")) == std::string::npos) {
              ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
              if (n <= 0) return;
              data.append(buf, static_cast<size_t>(n));
            }
            {
              std::lock_guard<std::mutex> lock(mu_);
              lines_.push_back(data.substr(0, data.find("\r\n")));
            }
            std::string lower = data.substr(0, end);
            for (char& c : lower)
              c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            const size_t at = lower.find("content-length:");
            const size_t length = at == std::string::npos ? 0 : std::stoul(lower.substr(at + 15));
            while (data.size() < end + 4 + length) {
              ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
              if (n <= 0) return;
              data.append(buf, static_cast<size_t>(n));
            }
            if (!RawListener::Write(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")) return;
          }
        }) {}

  std::string Url(const std::string& target) const {
    return "http://127.0.0.1:" + std::to_string(listener_.port()) + target;
  }
  std::vector<std::string> lines() {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
  RawListener listener_;  // last: its thread stops before the members it uses go
};

TEST(RequestTargetIntegration, ADeliveryRequestLineIsPercentEncoded) {
  RequestLineRecorder rx;
  TestServer t("", nullptr, LocalDeliverySettings());
  t.CreateEndpoint({{"url", rx.Url("/caf\xc3\xa9/%41|x?name=\xc3\xbc&raw=%zz&ok=a/b:c@d")}});
  t.PostMessage("order.created", {{"n", 1}});
  ASSERT_TRUE(WaitUntil([&] { return !rx.lines().empty(); }, milliseconds(10000)));
  EXPECT_EQ(rx.lines()[0], "POST /caf%C3%A9/%41%7Cx?name=%C3%BC&raw=%25zz&ok=a/b:c@d HTTP/1.1");
  // The endpoint keeps its URL as registered.
  EXPECT_EQ(t.GetJson("/api/v1/endpoints")["data"][0]["url"],
            rx.Url("/caf\xc3\xa9/%41|x?name=\xc3\xbc&raw=%zz&ok=a/b:c@d"));
}

}  // namespace
}  // namespace hookd::testing
