#include "HealthWatchdog.h"

#include <algorithm>
#include <memory>

#include <Poco/Data/Session.h>
#include <Poco/Exception.h>
#include <Poco/Logger.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/NullStream.h>
#include <Poco/StreamCopier.h>

#include "Kernel.h"
#include "SystemdNotify.h"
#include "db/DatabaseImpl.h"
#include "http/HttpService.h"

using namespace Poco::Data::Keywords;

namespace clinic {

namespace {

/// The address a client on this machine reaches a listener on.
std::string loopbackFor(const std::string& address)
{
    if (address.empty() || address == "0.0.0.0")
        return "127.0.0.1";
    if (address == "::" || address == "[::]")
        return "::1";
    return address;
}

} // namespace

HealthWatchdog::HealthWatchdog(Kernel& kernel, std::chrono::microseconds interval)
    : _kernel(kernel)
    , _interval(interval)
{
    _thread = std::thread([this] { run(); });
}

HealthWatchdog::~HealthWatchdog()
{
    {
        std::lock_guard<std::mutex> lock(_mutex);
        _stop = true;
    }
    _wake.notify_all();
    if (_thread.joinable())
        _thread.join();
}

std::string HealthWatchdog::probe()
{
    // A deadline well inside the interval, so a slow answer is still a
    // failed probe before systemd's own timer runs out.
    const auto deadline = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(_interval / 4),
        std::chrono::milliseconds(200), std::chrono::milliseconds(5000));
    const auto& config = _kernel.config();
    HttpService* http = _kernel.http();
    if (!http)
        return "the HTTP front end is not running";
    try {
        const std::string host = loopbackFor(config.getString("http.address", "127.0.0.1"));
        std::unique_ptr<Poco::Net::HTTPClientSession> session;
        if (!config.getString("http.tls.cert", "").empty()) {
            // Our own listener: its certificate need not name the loopback.
            Poco::Net::Context::Ptr context = new Poco::Net::Context(
                Poco::Net::Context::TLS_CLIENT_USE, "", Poco::Net::Context::VERIFY_NONE);
            session = std::make_unique<Poco::Net::HTTPSClientSession>(
                host, static_cast<Poco::UInt16>(http->port()), context);
        } else {
            session = std::make_unique<Poco::Net::HTTPClientSession>(
                host, static_cast<Poco::UInt16>(http->port()));
        }
        session->setTimeout(Poco::Timespan(
            static_cast<long>(deadline.count() / 1000), static_cast<long>(deadline.count() % 1000) * 1000));
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/health/live", "HTTP/1.1");
        request.set("User-Agent", "clinicd-watchdog");
        session->sendRequest(request);
        Poco::Net::HTTPResponse response;
        std::istream& body = session->receiveResponse(response);
        Poco::NullOutputStream discard;
        Poco::StreamCopier::copyStream(body, discard);
        if (response.getStatus() != Poco::Net::HTTPResponse::HTTP_OK)
            return "GET /health/live answered " + std::to_string(static_cast<int>(response.getStatus()));
    } catch (const Poco::Exception& e) {
        return "GET /health/live: " + e.displayText();
    }
    try {
        Poco::Data::Session s = _kernel.database().session();
        int one = 0;
        s << "SELECT 1", into(one), now;
    } catch (const Poco::Exception& e) {
        // An answer, if an error: only a local SQLite file failing means the
        // daemon itself is broken (a restart reopens it).
        if (_kernel.database().dialect() == Dialect::SQLite)
            return "SELECT 1: " + e.displayText();
        Poco::Logger::get("clinicd").warning(
            "watchdog: the database answered with an error: %s", e.displayText());
    }
    return "";
}

void HealthWatchdog::run()
{
    Poco::Logger& log = Poco::Logger::get("clinicd");
    bool failing = false;
    for (;;) {
        {
            std::unique_lock<std::mutex> lock(_mutex);
            if (_wake.wait_for(lock, _interval / 2, [this] { return _stop; }))
                return;
        }
        const std::string why = probe();
        if (why.empty()) {
            notifySystemd("WATCHDOG=1");
            if (failing)
                log.notice("watchdog: the self-probe passes again");
            failing = false;
        } else {
            log.error("watchdog: not pinging systemd: %s", why);
            failing = true;
        }
    }
}

} // namespace clinic
