#include "events/ChangeFeed.h"

#include <algorithm>
#include <limits>

#include <Poco/Exception.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "clinic/Json.h"
#include "http/StreamChannel.h"

namespace clinic {

namespace {

/// Rows read per query: one round moves a stream at most this far.
constexpr int kBatch = 1000;

} // namespace

/// The open (and opening) streams per account and in all. Shared with the
/// places, which may outlive the feed inside a finished response.
struct ChangeFeed::Counts {
    std::mutex mutex;
    int total = 0;
    std::map<std::int64_t, int> perUser;
};

class ChangeFeed::Place {
public:
    Place(std::shared_ptr<Counts> counts, std::int64_t userId)
        : _counts(std::move(counts))
        , _userId(userId)
    {
    }
    ~Place()
    {
        std::lock_guard<std::mutex> lock(_counts->mutex);
        _counts->total -= 1;
        if (--_counts->perUser[_userId] <= 0)
            _counts->perUser.erase(_userId);
    }
    Place(const Place&) = delete;
    Place& operator=(const Place&) = delete;

private:
    std::shared_ptr<Counts> _counts;
    std::int64_t _userId;
};

ChangeFeed::ChangeFeed(ChangeLog& log, const Clock& clock, prometheus::Registry& metrics,
    FeedSettings settings, std::function<bool(const std::string&, std::int64_t)> sessionLive)
    : _log(log)
    , _clock(clock)
    , _settings(std::move(settings))
    , _sessionLive(std::move(sessionLive))
    , _logger(Poco::Logger::get("clinicd.events"))
    , _counts(std::make_shared<Counts>())
{
    _open = &prometheus::BuildGauge()
                 .Name("clinicd_event_streams_open")
                 .Help("Open live event streams (GET /api/v1/events/stream) on this daemon")
                 .Register(metrics)
                 .Add({});
    _delivered = &prometheus::BuildCounter()
                      .Name("clinicd_events_delivered_total")
                      .Help("Change-log events sent to live event streams")
                      .Register(metrics)
                      .Add({});
    _lag = &prometheus::BuildGauge()
                .Name("clinicd_change_log_lag_seconds")
                .Help("Age of the newest change-log row when this daemon's feed read it; 0 when idle")
                .Register(metrics)
                .Add({});
}

ChangeFeed::~ChangeFeed()
{
    stop();
}

std::int64_t ChangeFeed::nowMs() const
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(_clock.now().time_since_epoch()).count();
}

std::int64_t ChangeFeed::nowSeconds() const
{
    return nowMs() / 1000;
}

void ChangeFeed::start()
{
    _cursor = _log.lastId();
    _thread = std::thread([this] { run(); });
}

void ChangeFeed::stop()
{
    {
        std::lock_guard<std::mutex> lock(_mutex);
        if (_stopping)
            return;
        _stopping = true;
    }
    _cv.notify_all();
    if (_thread.joinable())
        _thread.join();
    std::vector<std::shared_ptr<Subscriber>> all;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        all.swap(_subscribers);
        all.insert(all.end(), _joining.begin(), _joining.end());
        _joining.clear();
    }
    for (auto& s : all)
        s->stream->close();
    _open->Set(0);
}

void ChangeFeed::wake()
{
    {
        std::lock_guard<std::mutex> lock(_mutex);
        ++_wakeSeq;
    }
    _cv.notify_all();
}

std::shared_ptr<ChangeFeed::Place> ChangeFeed::reserve(std::int64_t userId)
{
    std::lock_guard<std::mutex> lock(_counts->mutex);
    if (_counts->total >= _settings.maxStreams) {
        HttpError e(
            503, "TOO_MANY_STREAMS", "this server has as many event streams open as it allows; retry soon");
        e.headers().emplace_back("Retry-After", "5");
        throw e;
    }
    auto& mine = _counts->perUser[userId];
    if (mine >= _settings.maxStreamsPerUser) {
        if (mine == 0)
            _counts->perUser.erase(userId);
        HttpError e(429, "RATE_LIMITED",
            "this account has " + std::to_string(_settings.maxStreamsPerUser)
                + " event streams open already; close one first");
        e.headers().emplace_back("Retry-After", "5");
        throw e;
    }
    mine += 1;
    _counts->total += 1;
    return std::make_shared<Place>(_counts, userId);
}

bool ChangeFeed::maySee(
    const ChangeRow& row, const Caller& caller, const std::set<std::string>& clinicalRoles)
{
    if (caller.role == "patient")
        return caller.patientId > 0 && row.patientId == caller.patientId;
    if (row.audience == "schedule")
        return caller.role == "admin" || caller.role == "doctor" || caller.role == "nurse"
            || caller.role == "receptionist";
    if (row.audience == "clinical")
        return clinicalRoles.count(caller.role) > 0;
    return false;
}

void ChangeFeed::open(std::shared_ptr<Place> place, std::shared_ptr<EventStream> stream, StreamViewer viewer,
    std::optional<std::int64_t> lastEventId)
{
    auto channel = std::dynamic_pointer_cast<StreamChannel>(stream);
    if (!channel) {
        stream->close();
        return;
    }
    auto s = std::make_shared<Subscriber>();
    s->place = std::move(place);
    s->stream = channel;
    s->viewer = std::move(viewer);
    s->nextSessionCheck
        = std::chrono::steady_clock::now() + std::chrono::seconds(_settings.sessionCheckSeconds);
    const std::int64_t last = _log.lastId();
    auto opened = makeObject();
    if (!lastEventId) {
        s->cursor = last;
    } else {
        // Ids have no holes (see ChangeLog), so a resume point is intact
        // exactly when the row after it is still kept (or none came since).
        const auto oldest = _log.oldestId();
        const bool future = *lastEventId > last;
        const bool pruned = *lastEventId < last && (!oldest || *oldest > *lastEventId + 1);
        if (future || pruned) {
            auto reload = makeObject();
            reload->set("reason", future ? "unknown_event_id" : "history_pruned");
            reload->set("last_event_id", static_cast<Poco::Int64>(last));
            channel->sendWithId(last, "stream.reload", toJson(reload));
            s->cursor = last;
        } else {
            s->cursor = *lastEventId;
        }
    }
    opened->set("last_event_id", static_cast<Poco::Int64>(s->cursor));
    channel->send("stream.opened", toJson(opened));
    {
        std::lock_guard<std::mutex> lock(_mutex);
        if (_stopping) {
            channel->close();
            return;
        }
        _joining.push_back(std::move(s));
        ++_wakeSeq;
    }
    _cv.notify_all();
}

void ChangeFeed::run()
{
    std::uint64_t seen = 0;
    bool behind = false;
    for (;;) {
        {
            std::unique_lock<std::mutex> lock(_mutex);
            if (!behind)
                _cv.wait_for(lock, std::chrono::milliseconds(_settings.pollMs),
                    [&] { return _stopping || _wakeSeq != seen; });
            if (_stopping)
                return;
            seen = _wakeSeq;
            for (auto& s : _joining)
                _subscribers.push_back(std::move(s));
            _joining.clear();
        }
        try {
            behind = round();
        } catch (const Poco::Exception& e) {
            _logger.error("change feed: %s", e.displayText());
            behind = false;
        } catch (const std::exception& e) {
            _logger.error("change feed: %s", std::string(e.what()));
            behind = false;
        }
    }
}

bool ChangeFeed::round()
{
    // Only this thread touches _subscribers between the merges in run().
    std::vector<std::shared_ptr<Subscriber>> subs;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        subs = _subscribers;
    }
    const std::int64_t before = _cursor;
    bool behind = false;
    // Streams resuming from further back first, up to what the feed has
    // read; the new rows below then find them level with everyone else.
    for (auto& s : subs) {
        if (s->cursor >= before || !s->stream->connected())
            continue;
        const auto rows = _log.read(s->cursor, before, kBatch);
        for (const auto& row : rows)
            deliver(*s, row);
        if (rows.size() < static_cast<std::size_t>(kBatch))
            s->cursor = before; // the rest was pruned meanwhile, or there is none
        else
            behind = true;
    }
    const auto rows = subs.empty() ? std::vector<ChangeRow>()
                                   : _log.read(before, std::numeric_limits<std::int64_t>::max(), kBatch);
    if (subs.empty())
        _cursor = _log.lastId();
    for (const auto& row : rows) {
        for (auto& s : subs)
            if (s->cursor >= before && s->cursor < row.id)
                deliver(*s, row);
        _cursor = row.id;
    }
    if (rows.size() == static_cast<std::size_t>(kBatch))
        behind = true;
    _lag->Set(rows.empty() ? 0.0 : static_cast<double>(nowMs() - rows.back().createdAtMs) / 1000.0);

    const std::int64_t nowSec = nowSeconds();
    const auto now = std::chrono::steady_clock::now();
    for (auto& s : subs) {
        if (!s->stream->connected())
            continue;
        if (s->viewer.expiresAt > 0 && nowSec >= s->viewer.expiresAt) {
            end(*s, "token_expired");
        } else if (now >= s->nextSessionCheck) {
            s->nextSessionCheck = now + std::chrono::seconds(_settings.sessionCheckSeconds);
            if (!_sessionLive(s->viewer.sessionId, s->viewer.caller.userId))
                end(*s, "session_ended");
        }
    }
    std::size_t open = 0;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        _subscribers.erase(std::remove_if(_subscribers.begin(), _subscribers.end(),
                               [](const std::shared_ptr<Subscriber>& s) { return !s->stream->connected(); }),
            _subscribers.end());
        open = _subscribers.size() + _joining.size();
    }
    _open->Set(static_cast<double>(open));
    return behind;
}

void ChangeFeed::deliver(Subscriber& s, const ChangeRow& row)
{
    s.cursor = row.id;
    if (!maySee(row, s.viewer.caller, _settings.clinicalRoles))
        return;
    if (_settings.narrow && row.patientId > 0 && s.viewer.caller.role != "patient"
        && !_settings.narrow(row, s.viewer.caller))
        return;
    if (s.stream->sendWithId(row.id, row.type, row.data))
        _delivered->Increment();
}

void ChangeFeed::end(Subscriber& s, const std::string& reason)
{
    auto o = makeObject();
    o->set("reason", reason);
    s.stream->send("stream.closed", toJson(o));
    s.stream->close();
}

} // namespace clinic
