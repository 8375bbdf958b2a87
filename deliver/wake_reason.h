// WakeReason: what a wake-up of the delivery engine says may have become due. New deliveries are
// found by looking only at the rows inserted since the engine last looked; anything else (a
// manual retry, an endpoint enabled or recovered) needs a look at every endpoint.
#pragma once

namespace hookd {

enum class WakeReason { kNewDeliveries, kAnything };

}  // namespace hookd
