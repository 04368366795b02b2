#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <prometheus/gauge.h>

#include "clinic/Http.h"
#include "http/RequestParser.h"
#include "http/StreamChannel.h"

namespace clinic {

/// Counts a request in clinicd_http_requests_in_flight for as long as it lives.
class InFlight {
public:
    explicit InFlight(prometheus::Gauge& gauge)
        : _gauge(gauge)
    {
        _gauge.Increment();
    }
    ~InFlight() { _gauge.Decrement(); }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;

private:
    prometheus::Gauge& _gauge;
};

/// One request on its way through the server: the reactor reads its head,
/// a worker admits it, the reactor reads its body, a worker answers it and the
/// reactor writes the answer. Only one side holds it at a time.
struct Exchange {
    Exchange(std::uint64_t connection, RequestHead head, prometheus::Gauge& inFlight)
        : connection(connection)
        , head(std::move(head))
        , inFlight(inFlight)
    {
    }

    enum class Next { Respond, ReadBody };

    std::uint64_t connection;
    RequestHead head;
    Request request; ///< filled by the worker that admits it; the body by the reactor
    std::string routeLabel = "unmatched";
    const Route* route = nullptr;
    std::size_t bodyLimit = 0;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    bool secure = false;
    bool close = false; ///< the connection closes after the answer
    Next next = Next::Respond;
    std::string answer; ///< the complete response bytes (an event stream: its head)
    std::shared_ptr<StreamChannel> stream; ///< the answer is an event stream fed through this
    InFlight inFlight;
};

} // namespace clinic
