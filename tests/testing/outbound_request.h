// The request the sender tests send: a small JSON body with webhook-* headers, to `url`.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "deliver/sender.h"

namespace hookd::testing {

inline OutboundRequest SampleRequest(const std::string& url,
                                     const std::string& endpoint_id = "ep_1") {
  Result<EndpointUrl> parsed = ParseEndpointUrl(url);
  EXPECT_TRUE(parsed.ok()) << url << ": " << parsed.status().ToString();
  OutboundRequest r;
  r.endpoint_id = endpoint_id;
  if (parsed.ok()) r.url = parsed.value();
  r.headers = {{"webhook-id", "msg_1"},
               {"webhook-timestamp", "1700000000"},
               {"webhook-signature", "v1,c2lnbmF0dXJl"}};
  r.body = R"({"type":"user.created","data":{"id":1}})";
  return r;
}

}  // namespace hookd::testing
