#include "common/http_framing.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace hookd {
namespace {

using Outcome = RequestFramer::Outcome;

struct Framed {
  std::vector<HttpRequest> requests;
  Outcome last = Outcome::kNeedMore;
  int error_status = 0;
  std::string error_code;
  std::string error_message;
};

Framed Frame(std::string_view bytes, FramingLimits limits = {}) {
  RequestFramer f(limits);
  f.Append(bytes);
  Framed out;
  while (true) {
    HttpRequest r;
    out.last = f.Next(&r);
    if (out.last != Outcome::kRequest) break;
    out.requests.push_back(std::move(r));
  }
  if (out.last == Outcome::kError) {
    out.error_status = f.error_status();
    out.error_code = f.error().code();
    out.error_message = f.error().message();
  }
  return out;
}

constexpr char kGet[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

TEST(RequestFramerTest, ReproducesHangPipelinedRequestsAreAllFramedInOrder) {
  std::string three = std::string(kGet) + "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n" +
                      "POST /p?a=1 HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi";
  Framed f = Frame(three);
  ASSERT_EQ(f.requests.size(), 3u);
  EXPECT_EQ(f.requests[0].path, "/healthz");
  EXPECT_EQ(f.requests[1].path, "/readyz");
  EXPECT_EQ(f.requests[2].method, "POST");
  EXPECT_EQ(f.requests[2].body, "hi");
  EXPECT_EQ(f.requests[2].query.at("a"), "1");
  EXPECT_EQ(f.last, Outcome::kNeedMore);
}

TEST(RequestFramerTest, BytesArrivingOneAtATimeMakeTheSameRequest) {
  RequestFramer f({});
  const std::string req = "POST /x HTTP/1.1\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello";
  HttpRequest r;
  for (size_t i = 0; i + 1 < req.size(); ++i) {
    f.Append(req.substr(i, 1));
    ASSERT_EQ(f.Next(&r), Outcome::kNeedMore) << i;
    EXPECT_TRUE(f.started());
  }
  f.Append(req.substr(req.size() - 1));
  ASSERT_EQ(f.Next(&r), Outcome::kRequest);
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.headers.Get("x-a"), "b");
  EXPECT_FALSE(f.started());
  EXPECT_EQ(f.buffered_bytes(), 0u);
}

TEST(RequestFramerTest, ReproducesLaxFramingBadLengthsAreNeutral400s) {
  for (const char* cl : {"-1", "99999999999999999999999", "0x5", "5abc", " ", "+5", "5 5"}) {
    Framed f = Frame(std::string("POST /m HTTP/1.1\r\nContent-Length: ") + cl + "\r\n\r\nhello");
    EXPECT_EQ(f.last, Outcome::kError) << cl;
    EXPECT_EQ(f.error_status, 400) << cl;
    EXPECT_EQ(f.error_code, "bad_request") << cl;
    EXPECT_EQ(f.error_message.find("stoull"), std::string::npos);
    EXPECT_EQ(f.error_message.find("_M_create"), std::string::npos);
    EXPECT_TRUE(f.requests.empty()) << cl;
  }
  Framed two = Frame("POST /m HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!");
  EXPECT_EQ(two.error_status, 400);
  EXPECT_TRUE(two.requests.empty());
}

TEST(RequestFramerTest, ReproducesBadAllocHugeChunkSizeIsRefused) {
  Framed f = Frame(
      "POST /m HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nabc\r\n0\r\n\r\n");
  EXPECT_EQ(f.last, Outcome::kError);
  EXPECT_TRUE(f.error_status == 400 || f.error_status == 413) << f.error_status;
  EXPECT_EQ(f.error_message.find("bad_alloc"), std::string::npos);
  Framed ok =
      Frame("POST /m HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  ASSERT_EQ(ok.requests.size(), 1u);
  EXPECT_EQ(ok.requests[0].body, "hello");
  Framed long_line =
      Frame("POST /m HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;" + std::string(70000, 'a'),
            FramingLimits{1024, 1 << 20});
  EXPECT_EQ(long_line.last, Outcome::kError);
}

TEST(RequestFramerTest, ReproducesNoAnswerGarbageAndMalformedLinesAreErrors) {
  for (const char* bad :
       {"GARBAGE\r\n\r\n", "GET /healthz HTTP/1.1\nHost: x\n\n", "GET /a b HTTP/1.1\r\n\r\n",
        "GET / HTTP/9.9\r\n\r\n", "GET / HTTP/1.1\r\nBad Header: x\r\n\r\n", "\x16\x03\x01\x02"}) {
    Framed f = Frame(bad);
    EXPECT_EQ(f.last, Outcome::kError) << bad;
    EXPECT_EQ(f.error_status, 400) << bad;
  }
}

TEST(RequestFramerTest, LimitsGive413And431) {
  Framed body =
      Frame("POST /m HTTP/1.1\r\nContent-Length: 2000\r\n\r\n", FramingLimits{1024, 1000});
  EXPECT_EQ(body.error_status, 413);
  EXPECT_EQ(body.error_code, "payload_too_large");
  Framed headers = Frame("GET / HTTP/1.1\r\nX-Big: " + std::string(5000, 'a') + "\r\n\r\n",
                         FramingLimits{1024, 1000});
  EXPECT_EQ(headers.error_status, 431);
  // A body over the limit whose declared length covers more requests: none of them is framed.
  std::string inner = std::string(kGet) + kGet;
  Framed smuggled =
      Frame("POST /m HTTP/1.1\r\nContent-Length: " + std::to_string(3000 + inner.size()) +
                "\r\n\r\n" + std::string(3000, 'x') + inner,
            FramingLimits{1024, 1000});
  EXPECT_EQ(smuggled.last, Outcome::kError);
  EXPECT_TRUE(smuggled.requests.empty());
}

TEST(RequestFramerTest, KeepAliveFollowsTheVersionAndConnectionHeader) {
  const auto keep = [](const std::string& req) {
    RequestFramer f({});
    f.Append(req);
    HttpRequest r;
    EXPECT_EQ(f.Next(&r), Outcome::kRequest) << req;
    return f.keep_alive();
  };
  EXPECT_TRUE(keep("GET / HTTP/1.1\r\n\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(keep("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
}

TEST(RequestFramerTest, ExpectContinueIsOfferedOnceAfterTheHeaders) {
  RequestFramer f({});
  f.Append("POST /m HTTP/1.1\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
  HttpRequest r;
  EXPECT_EQ(f.Next(&r), Outcome::kNeedMore);
  EXPECT_TRUE(f.header_done());
  EXPECT_TRUE(f.TakeContinue());
  EXPECT_FALSE(f.TakeContinue());
  f.Append("abc");
  EXPECT_EQ(f.Next(&r), Outcome::kRequest);
  EXPECT_EQ(r.body, "abc");
}

TEST(RequestFramerTest, RepeatedHeadersAreAllKept) {
  Framed f = Frame("POST /m HTTP/1.1\r\nX-Hub-Signature-256: a\r\nX-Hub-Signature-256: b\r\n\r\n");
  ASSERT_EQ(f.requests.size(), 1u);
  EXPECT_EQ(f.requests[0].headers.GetAll("x-hub-signature-256").size(), 2u);
}

TEST(RequestFramerTest, ReleaseFreesTheBuffers) {
  RequestFramer f({});
  f.Append("POST /m HTTP/1.1\r\nContent-Length: 100000\r\n\r\n" + std::string(50000, 'x'));
  HttpRequest r;
  EXPECT_EQ(f.Next(&r), Outcome::kNeedMore);
  EXPECT_GE(f.buffered_bytes(), 50000u);
  f.Release();
  EXPECT_EQ(f.buffered_bytes(), 0u);
  EXPECT_EQ(f.Next(&r), Outcome::kError);
}

TEST(ParseTargetTest, PathAndDecodedQuery) {
  HttpRequest r;
  ParseTarget("/api/v1/events?type=a%2Eb+c&limit=5&flag&=x&bad=%zz&limit=7", &r);
  EXPECT_EQ(r.path, "/api/v1/events");
  EXPECT_EQ(r.query.at("type"), "a.b c");
  EXPECT_EQ(r.query.at("limit"), "7");
  EXPECT_EQ(r.query.at("flag"), "");
  EXPECT_EQ(r.query.at("bad"), "%zz");
  HttpRequest trailing;
  ParseTarget("/x?a=%4", &trailing);
  EXPECT_EQ(trailing.query.at("a"), "%4");
}

TEST(FormatResponseTest, StatusLengthConnectionAndNoHeaderInjection) {
  HttpResponse r;
  r.status = 202;
  r.body = "{}";
  r.headers.emplace_back("Set-Cookie", "a=b\r\nX-Evil: 1");
  std::string text = FormatResponse(r, true);
  EXPECT_EQ(text.rfind("HTTP/1.1 202 Accepted\r\n", 0), 0u);
  EXPECT_NE(text.find("Content-Length: 2\r\n"), std::string::npos);
  EXPECT_NE(text.find("Connection: keep-alive\r\n"), std::string::npos);
  EXPECT_EQ(text.find("\r\nX-Evil"), std::string::npos);
  EXPECT_NE(FormatResponse(r, false).find("Connection: close\r\n"), std::string::npos);
  HttpResponse none;
  none.status = 204;
  none.body = "ignored";
  std::string empty = FormatResponse(none, true);
  EXPECT_EQ(empty.find("Content-Length"), std::string::npos);
  EXPECT_EQ(empty.substr(empty.size() - 4), "\r\n\r\n");
}

}  // namespace
}  // namespace hookd

namespace hookd {
namespace {

// Transfer codings other than a lone "chunked" (gzip, chunked; gzip; identity; chunked, chunked;
// one in each of two fields) are not implemented: 501, and the connection is closed (RFC 9112
// section 6.1). A lone "chunked" in any case and with OWS frames as usual.
TEST(RequestFramerTest, TransferCodingsOtherThanALoneChunkedAre501) {
  const std::string body = "5\r\nhello\r\n0\r\n\r\n";
  for (const char* te :
       {"Transfer-Encoding: gzip, chunked\r\n", "Transfer-Encoding: gzip\r\n",
        "Transfer-Encoding: GZIP , Chunked\r\n", "Transfer-Encoding: deflate,chunked\r\n",
        "Transfer-Encoding: identity\r\n", "Transfer-Encoding: chunked, chunked\r\n",
        "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", "Transfer-Encoding: \r\n",
        "Transfer-Encoding: x-custom;q=1, chunked\r\n",
        // Empty list elements are not worth the ambiguity: the value is "chunked" or refused.
        "Transfer-Encoding: , chunked\r\n", "Transfer-Encoding: chunked,\r\n"}) {
    Framed f = Frame("POST /m HTTP/1.1\r\nHost: x\r\n" + std::string(te) + "\r\n" + body + kGet);
    EXPECT_EQ(f.last, Outcome::kError) << te;
    EXPECT_EQ(f.error_status, 501) << te;
    EXPECT_EQ(f.error_code, "not_implemented") << te;
    EXPECT_NE(f.error_message.find("chunked"), std::string::npos) << f.error_message;
    EXPECT_TRUE(f.requests.empty()) << te;
  }
}

TEST(RequestFramerTest, ANotImplementedCodingIsRefusedOnceItsHeadersArrive) {
  RequestFramer f({});
  f.Append("POST /m HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
  HttpRequest r;
  EXPECT_EQ(f.Next(&r), Outcome::kError);  // no need to wait for a body
  EXPECT_EQ(f.error_status(), 501);
}

TEST(RequestFramerTest, ALoneChunkedInAnyCaseAndWithOwsFrames) {
  for (const char* te : {"chunked", "Chunked", "CHUNKED", " chunked ", "\tchunked\t", "chunked "}) {
    Framed f = Frame("POST /m HTTP/1.1\r\nTransfer-Encoding:" + std::string(te) +
                     "\r\n\r\n5\r\nhello\r\n0\r\n\r\n" + kGet);
    ASSERT_EQ(f.requests.size(), 2u) << "[" << te << "] " << f.error_status;
    EXPECT_EQ(f.requests[0].body, "hello") << te;
    EXPECT_EQ(f.requests[1].path, "/healthz") << te;
  }
}

}  // namespace
}  // namespace hookd
