#include "common/listen_protocol.h"

#include <gtest/gtest.h>

#include <string>

namespace hookd {
namespace {

TEST(ListenProtocolTest, HelloRoundTrips) {
  ListenHello h;
  h.forward_to = "http://localhost:3000/hooks";
  h.events = {"order.*", "invoice.paid"};
  h.source_ids = {"src_1"};
  h.app = "acme";
  h.max_concurrency = 3;
  h.endpoint_id = "ep_1";
  auto f = ParseListenClientFrame(ListenHelloFrame(h));
  ASSERT_TRUE(f.ok()) << f.status().message();
  ASSERT_EQ(f->type, ListenClientFrame::Type::kHello);
  EXPECT_EQ(f->hello.forward_to, h.forward_to);
  EXPECT_EQ(f->hello.events, h.events);
  EXPECT_EQ(f->hello.source_ids, h.source_ids);
  EXPECT_EQ(f->hello.app, h.app);
  EXPECT_EQ(f->hello.max_concurrency, 3);
  EXPECT_EQ(f->hello.endpoint_id, h.endpoint_id);
}

TEST(ListenProtocolTest, ResultCutsTheBodyAndMakesItUtf8) {
  ListenResult r;
  r.id = 7;
  r.status = 502;
  r.duration_ms = 12;
  r.body = std::string(5000, 'a');
  r.body[4095] = '\xc3';  // the first byte of a two-byte sequence at the cut
  r.body[10] = '\xff';    // not UTF-8 at all
  auto f = ParseListenClientFrame(ListenResultFrame(r));
  ASSERT_TRUE(f.ok()) << f.status().message();
  ASSERT_EQ(f->type, ListenClientFrame::Type::kResult);
  EXPECT_EQ(f->result.id, 7);
  EXPECT_EQ(f->result.status, 502);
  EXPECT_EQ(f->result.duration_ms, 12);
  EXPECT_LE(f->result.body.size(), kListenResultBodyBytes);
  EXPECT_EQ(f->result.body.substr(0, 10), std::string(10, 'a'));
  EXPECT_NE(f->result.body.find("\xef\xbf\xbd"), std::string::npos);  // U+FFFD for the 0xff
}

TEST(ListenProtocolTest, DeliveryCarriesTheBodyBytesExactly) {
  ListenDelivery d;
  d.id = 3;
  d.headers = {{"webhook-id", "msg_1"}, {"x-odd", "v\xe9"}};
  d.body = std::string("{\"a\":\"\xff\xfe\"}\0tail", 15);  // not UTF-8, with a NUL
  auto f = ParseListenServerFrame(ListenDeliveryFrame(d));
  ASSERT_TRUE(f.ok()) << f.status().message();
  ASSERT_EQ(f->type, ListenServerFrame::Type::kDelivery);
  EXPECT_EQ(f->delivery.id, 3);
  EXPECT_EQ(f->delivery.body, d.body);
  ASSERT_EQ(f->delivery.headers.size(), 2u);
  EXPECT_EQ(f->delivery.headers[0].second, "msg_1");
}

TEST(ListenProtocolTest, ServerFramesParse) {
  auto ready = ParseListenServerFrame(ListenReadyFrame({"ep_1", "app_default", "whsec_x", true}));
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ(ready->type, ListenServerFrame::Type::kReady);
  EXPECT_EQ(ready->ready.endpoint_id, "ep_1");
  EXPECT_TRUE(ready->ready.resumed);
  auto closed = ParseListenServerFrame(ListenClosedFrame(4));
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(closed->failed, 4);
  auto error = ParseListenServerFrame(ListenErrorFrame("forbidden", "not yours"));
  ASSERT_TRUE(error.ok());
  EXPECT_EQ(error->code, "forbidden");
  EXPECT_EQ(error->text, "not yours");
}

TEST(ListenProtocolTest, BadClientFramesAreErrorsNeverThrows) {
  const std::string deep(100000, '[');
  for (const std::string& text : std::vector<std::string>{
           "",
           "not json",
           "[]",
           "{}",
           R"({"type":1})",
           R"({"type":"nope"})",
           R"({"type":"hello"})",
           R"({"type":"hello","forward_to":""})",
           R"({"type":"hello","forward_to":"x","events":"a"})",
           R"({"type":"hello","forward_to":"x","events":[""]})",
           R"({"type":"hello","forward_to":"x","events":[1]})",
           R"({"type":"hello","forward_to":"x","max_concurrency":0})",
           R"({"type":"hello","forward_to":"x","max_concurrency":65})",
           R"({"type":"hello","forward_to":"x","max_concurrency":1.5})",
           R"({"type":"hello","forward_to":"x","app":7})",
           R"({"type":"result","status":200,"duration_ms":1})",
           R"({"type":"result","id":0,"status":200,"duration_ms":1})",
           R"({"type":"result","id":1,"status":1000,"duration_ms":1})",
           R"({"type":"result","id":1,"status":200,"duration_ms":-1})",
           R"({"type":"result","id":18446744073709551615,"status":200,"duration_ms":1})",
           R"({"type":"result","id":1,"status":200,"duration_ms":1,"body":5})",
           deep}) {
    auto f = ParseListenClientFrame(text);
    EXPECT_FALSE(f.ok()) << text.substr(0, 80);
    if (!f.ok()) {
      EXPECT_EQ(f.status().code(), "bad_frame") << text.substr(0, 80);
    }
  }
  EXPECT_TRUE(ParseListenClientFrame(R"({"type":"close"})").ok());
}

TEST(ListenProtocolTest, BadServerFramesAreErrors) {
  for (const char* text :
       {"", "{}", R"({"type":"ready"})", R"({"type":"delivery","id":1,"headers":[["a"]]})",
        R"({"type":"delivery","id":1,"headers":[],"body_base64":"%%%"})",
        R"({"type":"delivery","headers":[],"body_base64":""})", R"({"type":"what"})"})
    EXPECT_FALSE(ParseListenServerFrame(text).ok()) << text;
}

}  // namespace
}  // namespace hookd
