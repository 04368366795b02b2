#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace clinic {

/// The clinicd_http_* families.
struct HttpMetrics {
    prometheus::Family<prometheus::Counter>& requests;
    prometheus::Family<prometheus::Histogram>& latency;
    prometheus::Gauge& inFlight;
    prometheus::Counter& bodyRejections;
    prometheus::Gauge& connectionsOpen;
    prometheus::Family<prometheus::Counter>& connectionsClosed;

    explicit HttpMetrics(prometheus::Registry& r);

    /// reason: timeout, idle, limit, framing, client or server.
    void connectionClosed(const char* reason) { connectionsClosed.Add({{"reason", reason}}).Increment(); }
};

} // namespace clinic
