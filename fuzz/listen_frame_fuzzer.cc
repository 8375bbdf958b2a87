// `hookd listen`'s frames from arbitrary bytes, both ways (common/listen_protocol.h): a client
// frame hookd reads and a server frame the command reads are either refused with bad_frame or
// parsed; what parses writes back to a frame that parses to the same thing (a result's body cut to
// its limit and made UTF-8; a delivery's body exactly). Input: any bytes, used as one frame.
#include <cstdint>
#include <string>

#include "common/json_text.h"
#include "common/listen_protocol.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hookd;
  const std::string_view s = fuzz::AsView(data, size);

  auto client = ParseListenClientFrame(s);
  if (!client.ok()) {
    FUZZ_CHECK(client.status().code() == "bad_frame", client.status().code());
  } else if (client->type == ListenClientFrame::Type::kHello) {
    const ListenHello& h = client->hello;
    FUZZ_CHECK(h.max_concurrency >= 1 && h.max_concurrency <= kListenMaxConcurrency, "bounds");
    auto again = ParseListenClientFrame(ListenHelloFrame(h));
    FUZZ_CHECK(again.ok() && again->hello.forward_to == h.forward_to &&
                   again->hello.events == h.events && again->hello.app == h.app,
               "a hello round-trips");
  } else if (client->type == ListenClientFrame::Type::kResult) {
    const ListenResult& r = client->result;
    FUZZ_CHECK(r.body.size() <= kListenResultBodyBytes && IsValidUtf8(r.body), "the body is cut");
    auto again = ParseListenClientFrame(ListenResultFrame(r));
    FUZZ_CHECK(again.ok() && again->result.body == r.body && again->result.id == r.id,
               "a result round-trips");
  }

  auto server = ParseListenServerFrame(s);
  if (server.ok() && server->type == ListenServerFrame::Type::kDelivery) {
    auto again = ParseListenServerFrame(ListenDeliveryFrame(server->delivery));
    FUZZ_CHECK(again.ok() && again->delivery.body == server->delivery.body,
               "a delivery's body round-trips exactly");
  }
  // The raw bytes as a delivery body survive the trip whatever they hold.
  ListenDelivery d;
  d.id = 1;
  d.body = std::string(s);
  auto body = ParseListenServerFrame(ListenDeliveryFrame(d));
  FUZZ_CHECK(body.ok() && body->delivery.body == d.body, "any body round-trips");
  return 0;
}
