// SseReader: events split at blank lines whatever pieces the bytes come in; comments skipped;
// several data lines joined; CRLF accepted. TailLine: the one-line form of an entry.
#include "cli/sse_reader.h"

#include <gtest/gtest.h>

#include "cli/tail.h"

namespace hookd::cli {
namespace {

TEST(SseReaderTest, EventsSplitAtBlankLinesInAnyPieces) {
  const std::string stream =
      "retry: 2000\n\n: ping\n\nid: 7\nevent: delivery.failed\ndata: {\"a\":1}\n\n"
      "id: 8\r\nevent: x\r\ndata: one\r\ndata: two\r\n\r\n: dropped slow\n\n";
  for (size_t piece : {stream.size(), size_t{1}, size_t{5}}) {
    SseReader r;
    std::vector<SseEvent> got;
    for (size_t i = 0; i < stream.size(); i += piece) {
      auto events = r.Feed(std::string_view(stream).substr(i, piece));
      got.insert(got.end(), events.begin(), events.end());
    }
    ASSERT_EQ(got.size(), 2u) << "pieces of " << piece;
    EXPECT_EQ(got[0].id, "7");
    EXPECT_EQ(got[0].event, "delivery.failed");
    EXPECT_EQ(got[0].data, "{\"a\":1}");
    EXPECT_EQ(got[1].id, "8");
    EXPECT_EQ(got[1].data, "one\ntwo");
  }
}

TEST(TailLineTest, TimeSeqTypeIdsAndOutcome) {
  const std::string entry =
      R"({"seq":42,"type":"delivery.failed","at":"2026-12-07T14:22:06.123Z","data":)"
      R"({"delivery_id":"dlv_1","endpoint_id":"ep_1","message_id":"msg_1","app_id":"app_default",)"
      R"("response_status":500,"latency_ms":12,"attempt":3}})";
  EXPECT_EQ(TailLine(entry, false),
            "14:22:06 #42 delivery.failed msg_1 dlv_1 ep_1 app_default HTTP 500 12 ms");
  EXPECT_EQ(TailLine(entry, true).find("\x1b[31mdelivery.failed\x1b[0m") != std::string::npos,
            true);
  EXPECT_EQ(TailLine("not json", false), "not json");
  // Fields of other types (no entry hookd writes) are shown as they came, never thrown on.
  for (const std::string odd :
       {R"({"seq":"7","type":"x","at":"","data":{}})", R"({"seq":7,"type":5,"data":{}})",
        R"({"seq":7,"type":"x","data":[]})", R"({"seq":7,"type":"x","at":1,"data":{}})"})
    EXPECT_EQ(TailLine(odd, false), odd);
}

}  // namespace
}  // namespace hookd::cli
