#include "events/EventStreamRoute.h"

#include <Poco/NumberParser.h>

#include "auth/IdentityService.h"
#include "clinic/Roles.h"

namespace clinic {

namespace {

/// Last-Event-ID from the header or, for clients that cannot set headers,
/// ?last_event_id=; 422 when it is not an id this stream hands out.
std::optional<std::int64_t> resumePoint(const Request& req)
{
    std::map<std::string, std::string> errors;
    std::optional<std::int64_t> from = req.queryInt("last_event_id", 0, INT64_MAX, errors);
    if (auto header = req.header("last-event-id")) {
        Poco::Int64 id = 0;
        const bool digits = !header->empty() && header->size() <= 18
            && header->find_first_not_of("0123456789") == std::string::npos
            && Poco::NumberParser::tryParse64(*header, id);
        if (!digits)
            errors["Last-Event-ID"] = "must be an id this stream sent (digits)";
        else
            from = id; // the header wins: it is what a reconnecting client last saw
    }
    if (!errors.empty())
        throw HttpError::validation(errors);
    return from;
}

} // namespace

Route eventStreamRoute(ChangeFeed& feed, IdentityService& identity)
{
    Handler handler = [&feed, &identity](Request& req) {
        const auto from = resumePoint(req);
        auto claims = identity.bearerClaims(req);
        if (!claims)
            throw HttpError(401, "UNAUTHENTICATED", "the access token is not valid or has expired");
        auto place = feed.reserve(req.caller.userId);
        StreamViewer viewer {req.caller, claims->sessionId, claims->expiresAt};
        Response res = Response::stream([&feed, place, viewer, from](std::shared_ptr<EventStream> stream) {
            feed.open(place, std::move(stream), viewer, from);
        });
        return res;
    };
    Contract contract;
    contract.param("last_event_id", Schema::integer(),
        "resume after this change id (the Last-Event-ID header, which wins, says the same)");
    contract.returnsText(200, "text/event-stream",
        "Server-Sent Events of the changes the caller may see, in change-id order, none twice."
        " Each change: `id:` its change id, `event:` its type (appointment.booked, ...), `data:` a JSON"
        " object of ids, instants and statuses only. A patient sees the changes that concern them;"
        " staff see schedule changes; clinical changes reach the clinical roles only. First comes"
        " `event: stream.opened` (data: {\"last_event_id\"}); a resume point older than the retained log"
        " (events.change_log_days) gets `event: stream.reload` (data: {\"reason\",\"last_event_id\"}):"
        " reload your view, then carry on from that id. The stream ends with `event: stream.closed`"
        " (data: {\"reason\": \"token_expired\"|\"session_ended\"}) when the access token expires or the"
        " session is revoked or the account deactivated; reconnect with a fresh token and Last-Event-ID."
        " A comment line every 15 s keeps it alive. Beyond the per-account stream cap the answer is 429"
        " RATE_LIMITED, beyond the server's 503 TOO_MANY_STREAMS, both with Retry-After.");
    return Route("GET", "/api/v1/events/stream", Access::only(roles::everyone), std::move(handler),
        "live updates: Server-Sent Events of the changes the caller may see, resumable by Last-Event-ID",
        std::move(contract));
}

} // namespace clinic
