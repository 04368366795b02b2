#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Logger.h>

#include "clinic/Host.h"
#include "clinic/Http.h"
#include "events/ChangeLog.h"

namespace prometheus {
class Counter;
class Gauge;
class Registry;
} // namespace prometheus

namespace clinic {

class StreamChannel;

struct FeedSettings {
    int pollMs = 250; ///< how often the log is read for the other daemons' rows
    int maxStreams = 500; ///< open streams in all (503 beyond)
    int maxStreamsPerUser = 8; ///< open streams per account (429 beyond)
    int sessionCheckSeconds = 15; ///< how often a stream's session is checked
    std::set<std::string> clinicalRoles = {"admin", "doctor", "nurse"};
    /// Asked for a row about a patient that a staff caller's role may see:
    /// false holds it back (a plugin's StreamNarrowing). Empty: nothing narrows.
    std::function<bool(const ChangeRow&, const Caller&)> narrow;
};

/// Who a stream serves and until when.
struct StreamViewer {
    Caller caller;
    std::string sessionId;
    std::int64_t expiresAt = 0; ///< the access token's exp, seconds on the daemon's clock
};

/// The live side of the change log: one thread per daemon reads the rows
/// above its cursor (woken at once by this daemon's commits, else every
/// pollMs for the other daemons' rows) with one query for all subscribers,
/// and hands each row to the streams whose caller may see it. A stream that
/// resumes from further back is caught up from the table on the same thread
/// before it gets live rows, so nothing is sent twice or skipped.
class ChangeFeed {
public:
    /// sessionLive(sessionId, userId): the session is unrevoked and its user active.
    ChangeFeed(ChangeLog& log, const Clock& clock, prometheus::Registry& metrics, FeedSettings settings,
        std::function<bool(const std::string&, std::int64_t)> sessionLive);
    ~ChangeFeed();
    ChangeFeed(const ChangeFeed&) = delete;
    ChangeFeed& operator=(const ChangeFeed&) = delete;

    void start();
    /// Ends every stream and the thread. Safe to call twice.
    void stop();
    /// A change committed here: read the log now instead of at the next poll.
    void wake();

    /// A place under the stream caps, held from the request until the stream ends.
    class Place;
    /// Takes a place for userId or throws HttpError 429 RATE_LIMITED (the
    /// account's cap) or 503 TOO_MANY_STREAMS (the daemon's).
    std::shared_ptr<Place> reserve(std::int64_t userId);

    /// Starts a stream: after lastEventId (a reload event when that is older
    /// than the log keeps), else from now.
    void open(std::shared_ptr<Place> place, std::shared_ptr<EventStream> stream, StreamViewer viewer,
        std::optional<std::int64_t> lastEventId);

    /// True if a stream of caller may carry row.
    static bool maySee(
        const ChangeRow& row, const Caller& caller, const std::set<std::string>& clinicalRoles);

private:
    struct Subscriber {
        std::shared_ptr<Place> place;
        std::shared_ptr<StreamChannel> stream;
        StreamViewer viewer;
        std::int64_t cursor = 0; ///< the last id this stream has been given or passed
        std::chrono::steady_clock::time_point nextSessionCheck;
    };

    void run();
    /// One round: catch-ups, new rows, session checks. True if a stream is still behind.
    bool round();
    void deliver(Subscriber& s, const ChangeRow& row);
    /// Ends s with a last event saying why.
    void end(Subscriber& s, const std::string& reason);
    std::int64_t nowSeconds() const;
    std::int64_t nowMs() const;

    ChangeLog& _log;
    const Clock& _clock;
    FeedSettings _settings;
    std::function<bool(const std::string&, std::int64_t)> _sessionLive;
    Poco::Logger& _logger;

    struct Counts;
    std::shared_ptr<Counts> _counts;

    std::mutex _mutex;
    std::condition_variable _cv;
    std::uint64_t _wakeSeq = 0;
    bool _stopping = false;
    std::vector<std::shared_ptr<Subscriber>> _joining; ///< opened, not yet seen by the thread
    std::vector<std::shared_ptr<Subscriber>> _subscribers; ///< the thread's own
    std::int64_t _cursor = 0; ///< the newest id the thread has read
    std::thread _thread;

    prometheus::Gauge* _open = nullptr;
    prometheus::Counter* _delivered = nullptr;
    prometheus::Gauge* _lag = nullptr;
};

} // namespace clinic
