#include "http/HttpMetrics.h"

namespace clinic {

HttpMetrics::HttpMetrics(prometheus::Registry& r)
    : requests(prometheus::BuildCounter()
                   .Name("clinicd_http_requests_total")
                   .Help("HTTP requests answered, by route template, method and status")
                   .Register(r))
    , latency(prometheus::BuildHistogram()
                  .Name("clinicd_http_request_duration_seconds")
                  .Help("Time from request start to response sent, by route template and method")
                  .Register(r))
    , inFlight(prometheus::BuildGauge()
                   .Name("clinicd_http_requests_in_flight")
                   .Help("HTTP requests being answered now")
                   .Register(r)
                   .Add({}))
    , bodyRejections(prometheus::BuildCounter()
                         .Name("clinicd_http_body_rejections_total")
                         .Help("Requests refused because the body was over the size limit")
                         .Register(r)
                         .Add({}))
    , connectionsOpen(prometheus::BuildGauge()
                          .Name("clinicd_http_connections_open")
                          .Help("Client connections open now, idle keep-alive ones included")
                          .Register(r)
                          .Add({}))
    , connectionsClosed(prometheus::BuildCounter()
                            .Name("clinicd_http_connections_closed_total")
                            .Help("Client connections closed, by reason: timeout, idle, limit, framing, "
                                  "client or server")
                            .Register(r))
{
}

} // namespace clinic
