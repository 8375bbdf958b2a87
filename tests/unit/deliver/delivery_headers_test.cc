// DeliveryHeaders: hookd-event-type on every delivery, hookd-source-id when the message has a
// source, the forwarded headers of an ingested event (patterns matched ignoring case), and the
// precedence: hookd's own headers first and never replaced, custom headers over forwarded ones.
#include "deliver/delivery_headers.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace hookd {
namespace {

// Every value sent under `name` (compared ignoring case), in order.
std::vector<std::string> Values(const HeaderList& headers, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& [n, v] : headers) {
    std::string lower = n;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == name) out.push_back(v);
  }
  return out;
}

using Vs = std::vector<std::string>;

DeliveryMessage Published(const std::string& type) {
  DeliveryMessage m;
  m.id = "msg_1";
  m.event_type = type;
  m.body = "{}";
  return m;
}

DeliveryMessage Ingested() {
  DeliveryMessage m = Published("issues.opened");
  m.source_id = "src_1";
  m.event_headers_json =
      R"({"content-type":"application/json","x-github-event":"issues",)"
      R"("x-github-delivery":"d-1","x-github-hook-id":"42","x-hub-signature-256":"sha256=ab",)"
      R"("user-agent":"GitHub-Hookshot/1","x-request-id":"req-7","host":"hookd.example",)"
      R"("webhook-id":"from-provider","traceparent":"00-abc-01"})";
  return m;
}

TEST(DeliveryHeadersTest, EveryDeliveryCarriesItsIdAndEventType) {
  Endpoint e;
  const HeaderList h = DeliveryHeaders(e, Published("order.created"));
  EXPECT_EQ(Values(h, "webhook-id"), Vs{"msg_1"});
  EXPECT_EQ(Values(h, "hookd-event-type"), Vs{"order.created"});
  EXPECT_EQ(Values(h, "hookd-source-id"), Vs{});
  EXPECT_EQ(h.size(), 2u);
}

TEST(DeliveryHeadersTest, SourceIdWhenTheMessageHasOne) {
  Endpoint e;
  DeliveryMessage published = Published("order.created");
  published.source_id = "src_2";  // a published message that names a source
  EXPECT_EQ(Values(DeliveryHeaders(e, published), "hookd-source-id"), Vs{"src_2"});
  EXPECT_EQ(Values(DeliveryHeaders(e, Ingested()), "hookd-source-id"), Vs{"src_1"});
  EXPECT_EQ(Values(DeliveryHeaders(e, Ingested()), "hookd-event-type"), Vs{"issues.opened"});
}

TEST(DeliveryHeadersTest, NothingIsForwardedUnlessTheEndpointAsks) {
  Endpoint e;
  e.headers = {{"X-Custom", "1"}};
  const HeaderList h = DeliveryHeaders(e, Ingested());
  EXPECT_EQ(Values(h, "x-github-event"), Vs{});
  EXPECT_EQ(Values(h, "x-custom"), Vs{"1"});
  EXPECT_EQ(h.size(), 4u);
}

TEST(DeliveryHeadersTest, ForwardedHeadersMatchNamesAndPrefixes) {
  Endpoint e;
  e.forward_headers = {"x-github-*", "traceparent"};
  const HeaderList h = DeliveryHeaders(e, Ingested());
  EXPECT_EQ(Values(h, "x-github-event"), Vs{"issues"});
  EXPECT_EQ(Values(h, "x-github-delivery"), Vs{"d-1"});
  EXPECT_EQ(Values(h, "x-github-hook-id"), Vs{"42"});
  EXPECT_EQ(Values(h, "traceparent"), Vs{"00-abc-01"});
  EXPECT_EQ(Values(h, "x-request-id"), Vs{});
  EXPECT_EQ(Values(h, "x-hub-signature-256"), Vs{});
  EXPECT_EQ(h.size(), 3u + 4u);
}

TEST(DeliveryHeadersTest, StoredNamesInAnyCaseAreMatched) {
  Endpoint e;
  e.forward_headers = {"x-github-*"};
  DeliveryMessage m = Ingested();
  m.event_headers_json = R"({"X-GitHub-Event":"push"})";
  EXPECT_EQ(Values(DeliveryHeaders(e, m), "x-github-event"), Vs{"push"});
}

TEST(DeliveryHeadersTest, APublishedMessageForwardsNothing) {
  Endpoint e;
  e.forward_headers = {"x-github-*"};
  DeliveryMessage m = Published("issues.opened");
  m.source_id = "src_1";
  EXPECT_EQ(DeliveryHeaders(e, m).size(), 3u);
}

TEST(DeliveryHeadersTest, NamesNeverForwardedAreLeftOutWhateverThePatterns) {
  Endpoint e;
  // As if stored by hand or by an older hookd: the API refuses these patterns.
  e.forward_headers = {"x-*", "host", "user-agent", "content-*", "webhook-*", "x-hub-signature-*"};
  const HeaderList h = DeliveryHeaders(e, Ingested());
  EXPECT_EQ(Values(h, "x-github-event"), Vs{"issues"});
  EXPECT_EQ(Values(h, "x-request-id"), Vs{"req-7"});
  EXPECT_EQ(Values(h, "x-hub-signature-256"), Vs{});
  EXPECT_EQ(Values(h, "host"), Vs{});
  EXPECT_EQ(Values(h, "user-agent"), Vs{});
  EXPECT_EQ(Values(h, "content-type"), Vs{});
  EXPECT_EQ(Values(h, "webhook-id"), Vs{"msg_1"});
}

TEST(DeliveryHeadersTest, ShopifyPatternLeavesTheSignatureOut) {
  Endpoint e;
  e.forward_headers = {"x-shopify-*"};
  DeliveryMessage m = Ingested();
  m.event_headers_json = R"({"x-shopify-topic":"orders/create","x-shopify-hmac-sha256":"abc="})";
  const HeaderList h = DeliveryHeaders(e, m);
  EXPECT_EQ(Values(h, "x-shopify-topic"), Vs{"orders/create"});
  EXPECT_EQ(Values(h, "x-shopify-hmac-sha256"), Vs{});
}

TEST(DeliveryHeadersTest, CustomHeadersCannotReplaceHookdsOwn) {
  Endpoint e;
  // As if stored before the API refused these names.
  e.headers = {{"Webhook-Signature", "v1,forged"},
               {"webhook-id", "other"},
               {"HOOKD-Event-Type", "forged"},
               {"hookd-source-id", "src_forged"},
               {"X-Fine", "yes"}};
  const HeaderList h = DeliveryHeaders(e, Ingested());
  EXPECT_EQ(Values(h, "webhook-id"), Vs{"msg_1"});
  EXPECT_EQ(Values(h, "webhook-signature"), Vs{});
  EXPECT_EQ(Values(h, "hookd-event-type"), Vs{"issues.opened"});
  EXPECT_EQ(Values(h, "hookd-source-id"), Vs{"src_1"});
  EXPECT_EQ(Values(h, "x-fine"), Vs{"yes"});
}

TEST(DeliveryHeadersTest, ACustomHeaderWinsOverAForwardedOneOfTheSameName) {
  Endpoint e;
  e.headers = {{"X-GitHub-Event", "set-by-operator"}, {"Traceparent", "operator"}};
  e.forward_headers = {"x-github-*", "traceparent"};
  const HeaderList h = DeliveryHeaders(e, Ingested());
  EXPECT_EQ(Values(h, "x-github-event"), Vs{"set-by-operator"});
  EXPECT_EQ(Values(h, "traceparent"), Vs{"operator"});
  EXPECT_EQ(Values(h, "x-github-delivery"), Vs{"d-1"});
}

TEST(DeliveryHeadersTest, ForwardedValuesWithControlCharactersAreNotSent) {
  Endpoint e;
  e.forward_headers = {"x-a", "x-b", "x-c", "x-d", "x-e"};
  DeliveryMessage m = Ingested();
  m.event_headers_json = R"({"x-a":"one\r\nx-injected: 1","x-b":"nul\u0000","x-c":"del\u007f",)"
                         R"("x-d":"tab\tok","x-e":"caf\u00e9"})";
  const HeaderList h = DeliveryHeaders(e, m);
  EXPECT_EQ(Values(h, "x-a"), Vs{});
  EXPECT_EQ(Values(h, "x-b"), Vs{});
  EXPECT_EQ(Values(h, "x-c"), Vs{});
  EXPECT_EQ(Values(h, "x-d"), Vs{"tab\tok"});
  EXPECT_EQ(Values(h, "x-e"), Vs{"caf\xc3\xa9"});
}

TEST(DeliveryHeadersTest, UnreadableStoredHeadersForwardNothing) {
  Endpoint e;
  e.forward_headers = {"x-github-*"};
  DeliveryMessage m = Ingested();
  for (const char* stored : {"not json", "[1,2]", R"({"x-github-event":7})", "null"}) {
    m = Ingested();
    m.event_headers_json = stored;
    EXPECT_EQ(DeliveryHeaders(e, m).size(), 3u) << stored;
  }
}

}  // namespace
}  // namespace hookd
