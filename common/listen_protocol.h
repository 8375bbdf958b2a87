// The frames of `hookd listen`'s WebSocket (GET /api/v1/listen on the stream listener; API.md,
// "The command line"), one JSON object per text frame, shared by hookd and the command:
//   client {"type":"hello","forward_to","events"?,"source_ids"?,"app"?,"max_concurrency"?,
//           "endpoint_id"?}       (first frame; endpoint_id resumes after a dropped socket)
//   server {"type":"ready","endpoint_id","app_id","secret","resumed"}
//   server {"type":"delivery","id","headers":[[name,value],...],"body_base64"}
//   client {"type":"result","id","status","duration_ms","body","error"?}
//   client {"type":"close"}      server {"type":"closed","failed"}
//   server {"type":"error","code","message"}
// The body travels base64-encoded: the stored bytes exactly, signed as they are, whatever they
// hold. Pure functions, thread-safe; a frame that is not one of these is an error, never a throw.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace hookd {

inline constexpr int kListenMaxConcurrency = 64;
// The most of a receiver's answer a result carries (as an attempt keeps).
inline constexpr size_t kListenResultBodyBytes = 4096;

struct ListenHello {
  std::string forward_to;
  std::vector<std::string> events;      // event-type patterns; empty: every type
  std::vector<std::string> source_ids;  // empty: every source
  std::optional<std::string> app;       // an application id or uid; the default without
  int max_concurrency = 8;              // 1..kListenMaxConcurrency
  std::optional<std::string> endpoint_id;
};

struct ListenDelivery {
  int64_t id = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct ListenResult {
  int64_t id = 0;
  int status = 0;  // 0: no answer from the local URL (see error)
  int64_t duration_ms = 0;
  std::string body;  // at most kListenResultBodyBytes
  std::string error;
};

struct ListenReady {
  std::string endpoint_id, app_id, secret;
  bool resumed = false;
};

// What a client frame is; for kHello and kResult the matching member is filled.
struct ListenClientFrame {
  enum class Type { kHello, kResult, kClose } type = Type::kClose;
  ListenHello hello;
  ListenResult result;
};

// 400 bad_frame (saying what is wrong) for anything but the client frames above.
Result<ListenClientFrame> ParseListenClientFrame(std::string_view text);

std::string ListenHelloFrame(const ListenHello& h);
std::string ListenResultFrame(const ListenResult& r);  // the body cut to its limit, made UTF-8
std::string ListenCloseFrame();
std::string ListenReadyFrame(const ListenReady& r);
std::string ListenDeliveryFrame(const ListenDelivery& d);
std::string ListenClosedFrame(int64_t failed);
std::string ListenErrorFrame(std::string_view code, std::string_view message);

// A server frame as the command reads it.
struct ListenServerFrame {
  enum class Type { kReady, kDelivery, kClosed, kError } type = Type::kError;
  ListenReady ready;
  ListenDelivery delivery;
  int64_t failed = 0;      // kClosed
  std::string code, text;  // kError
};
Result<ListenServerFrame> ParseListenServerFrame(std::string_view text);

}  // namespace hookd
