// GET /metrics through the real daemon: the counters move by exactly the
// traffic a test drives, labels carry route templates and never ids or
// patient text, the kernel and process figures are there, and the optional
// metrics.port listener serves the same text on loopback only.

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>
#include <sstream>

#include <cppunit/extensions/HelperMacros.h>

#include "ExpositionText.h"
#include "TestSupport.h"

using namespace clinic::test;
using namespace clinic::test::metrics;

namespace {

std::vector<Sample> scrape(HttpClient& client)
{
    auto r = client.get("/metrics");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
    return parseExposition(r.body);
}

double requests(const std::vector<Sample>& s, const std::string& method, const std::string& route, int status)
{
    return valueOf(s, "clinicd_http_requests_total",
        {{"method", method}, {"route", route}, {"status", std::to_string(status)}});
}

bool allDigits(const std::string& s)
{
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

/// Whether something listens on 127.0.0.1:port and nothing listens on
/// another address at that port, from the kernel's own socket table.
std::pair<bool, std::string> listensOnLoopbackOnly(int port)
{
    char portHex[8];
    std::snprintf(portHex, sizeof portHex, "%04X", port);
    bool loopback = false;
    std::string others;
    for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        std::istringstream lines(readFile(table));
        std::string line;
        std::getline(lines, line); // header
        while (std::getline(lines, line)) {
            std::istringstream words(line);
            std::string slot, local, remote, state;
            words >> slot >> local >> remote >> state;
            if (state != "0A") // LISTEN
                continue;
            auto colon = local.rfind(':');
            if (local.substr(colon + 1) != portHex)
                continue;
            if (local.substr(0, colon) == "0100007F")
                loopback = true;
            else
                others += local + " ";
        }
    }
    return {loopback && others.empty(), others};
}

/// A non-loopback IPv4 address of this machine, or "" if it has none.
std::string externalAddress()
{
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0)
        return "";
    std::string found;
    for (ifaddrs* a = list; a && found.empty(); a = a->ifa_next) {
        if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET)
            continue;
        auto* in = reinterpret_cast<sockaddr_in*>(a->ifa_addr);
        if ((ntohl(in->sin_addr.s_addr) >> 24) == 127)
            continue;
        char text[INET_ADDRSTRLEN];
        ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
        found = text;
    }
    ::freeifaddrs(list);
    return found;
}

bool canConnect(const std::string& address, int port)
{
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in to {};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, address.c_str(), &to.sin_addr);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0;
    ::close(fd);
    return ok;
}

} // namespace

class MetricsEndpointTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MetricsEndpointTest);
    CPPUNIT_TEST(requestCountersMoveByExactlyTheTrafficServed);
    CPPUNIT_TEST(bookingCountersMoveByExactlyTheBookingsServed);
    CPPUNIT_TEST(labelsCarryRouteTemplatesNeverIdsOrNoteText);
    CPPUNIT_TEST(servesTheTextFormatContentType);
    CPPUNIT_TEST(kernelAndProcessFiguresAreServed);
    CPPUNIT_TEST(withoutThePluginThereIsNoMetricsRoute);
    CPPUNIT_TEST(metricsPortServesTheSameTextOnLoopbackOnly);
    CPPUNIT_TEST(anInvalidMetricsPortFailsThePluginAndReadiness);
    CPPUNIT_TEST_SUITE_END();

public:
    void requestCountersMoveByExactlyTheTrafficServed()
    {
        Daemon d(metricsDaemonOptions());
        auto client = d.client();
        const auto before = scrape(client);
        driveTraffic(client);
        const auto after = scrape(client);

        auto delta = [&](const std::string& method, const std::string& route, int status) {
            return requests(after, method, route, status) - requests(before, method, route, status);
        };
        const std::string notes = "/api/v1/example/notes";
        const std::string note = "/api/v1/example/notes/{id}";
        CPPUNIT_ASSERT_EQUAL(double(Traffic::kCreated), delta("POST", notes, 201));
        CPPUNIT_ASSERT_EQUAL(double(Traffic::kInvalid), delta("POST", notes, 422));
        CPPUNIT_ASSERT_EQUAL(double(Traffic::kUnmatched404), delta("GET", "unmatched", 404));
        CPPUNIT_ASSERT_EQUAL(double(Traffic::kNoteMissing), delta("GET", note, 404));
        CPPUNIT_ASSERT_EQUAL(double(Traffic::kNoteFound), delta("GET", note, 200));
        // A 413 counts against the route it was sent to (and as a body rejection).
        CPPUNIT_ASSERT_EQUAL(double(Traffic::kTooLarge), delta("POST", notes, 413));
        CPPUNIT_ASSERT_EQUAL(0.0, delta("POST", "unmatched", 413));
        CPPUNIT_ASSERT_EQUAL(double(Traffic::kTooLarge),
            valueOf(after, "clinicd_http_body_rejections_total")
                - valueOf(before, "clinicd_http_body_rejections_total"));

        auto observations
            = [&](const std::vector<Sample>& s, const std::string& method, const std::string& route) {
                  return valueOf(s, "clinicd_http_request_duration_seconds_count",
                      {{"method", method}, {"route", route}});
              };
        CPPUNIT_ASSERT_EQUAL(double(Traffic::kCreated + Traffic::kInvalid + Traffic::kTooLarge),
            observations(after, "POST", notes) - observations(before, "POST", notes));
        CPPUNIT_ASSERT_EQUAL(double(Traffic::kNoteMissing + Traffic::kNoteFound),
            observations(after, "GET", note) - observations(before, "GET", note));
        // The scrape in progress is in flight; nothing else is.
        CPPUNIT_ASSERT_EQUAL(1.0, valueOf(after, "clinicd_http_requests_in_flight"));
        // The first scrape was counted once it had been answered.
        CPPUNIT_ASSERT(requests(after, "GET", "/metrics", 200) >= 1);
    }

    void bookingCountersMoveByExactlyTheBookingsServed()
    {
        Daemon d(bookingDaemonOptions());
        auto client = d.client();
        const auto before = scrape(client);
        // Every outcome is a series at 0 before the first booking, so rate()
        // sees the first one.
        for (const char* outcome : {"created", "slot_taken", "rule_rejected", "invalid"}) {
            bool found = false;
            for (const auto& s : before)
                found = found
                    || (s.name == "clinicd_bookings_total"
                        && s.labels == std::map<std::string, std::string> {{"outcome", outcome}});
            CPPUNIT_ASSERT_MESSAGE(
                std::string("no clinicd_bookings_total{outcome=\"") + outcome + "\"} before any booking",
                found);
        }
        CPPUNIT_ASSERT(hasMetric(before, "clinicd_appointments_cancelled_total"));
        CPPUNIT_ASSERT(hasMetric(before, "clinicd_appointments_no_show_total"));
        CPPUNIT_ASSERT(hasMetric(before, "clinicd_waitlist_entries"));

        const Bookings b = driveBookings(d);
        const auto after = scrape(client);
        auto delta = [&](const std::string& name, const std::map<std::string, std::string>& labels) {
            return valueOf(after, name, labels) - valueOf(before, name, labels);
        };
        const std::string bookings = "clinicd_bookings_total";
        CPPUNIT_ASSERT_EQUAL(double(Bookings::kCreated), delta(bookings, {{"outcome", "created"}}));
        CPPUNIT_ASSERT_EQUAL(double(Bookings::kSlotTaken), delta(bookings, {{"outcome", "slot_taken"}}));
        CPPUNIT_ASSERT_EQUAL(double(Bookings::kInvalid), delta(bookings, {{"outcome", "invalid"}}));
        CPPUNIT_ASSERT_EQUAL(
            double(Bookings::kRuleRejected), delta(bookings, {{"outcome", "rule_rejected"}}));
        CPPUNIT_ASSERT_EQUAL(double(Bookings::kCancelled), delta("clinicd_appointments_cancelled_total", {}));
        CPPUNIT_ASSERT_EQUAL(0.0, delta("clinicd_appointments_no_show_total", {}));
        CPPUNIT_ASSERT_EQUAL(0.0, valueOf(after, "clinicd_waitlist_entries"));

        // The HTTP side agrees, on the route templates.
        const std::string appointments = "/api/v1/appointments";
        CPPUNIT_ASSERT_EQUAL(double(Bookings::kCreated), requests(after, "POST", appointments, 201));
        CPPUNIT_ASSERT_EQUAL(double(Bookings::kSlotTaken), requests(after, "POST", appointments, 409));
        CPPUNIT_ASSERT_EQUAL(
            double(Bookings::kInvalid + Bookings::kRuleRejected), requests(after, "POST", appointments, 422));
        CPPUNIT_ASSERT_EQUAL(
            double(Bookings::kCancelled), requests(after, "POST", "/api/v1/appointments/{id}/cancel", 200));
        CPPUNIT_ASSERT_EQUAL(double(Bookings::kMissing),
            requests(after, "GET", "/api/v1/appointments/{id}", 404)
                - requests(before, "GET", "/api/v1/appointments/{id}", 404));
        // No appointment id became a label value.
        auto text = client.get("/metrics").body;
        CPPUNIT_ASSERT(text.find("987654") == std::string::npos);
        for (const auto& s : after)
            for (const auto& [key, value] : s.labels)
                CPPUNIT_ASSERT_MESSAGE(s.name + " has the label " + key + "=" + value,
                    key == "status" || key == "le" || value != std::to_string(b.appointmentId));
    }

    void labelsCarryRouteTemplatesNeverIdsOrNoteText()
    {
        Daemon d(metricsDaemonOptions());
        auto client = d.client();
        const Traffic t = driveTraffic(client);
        auto r = client.get("/metrics");
        CPPUNIT_ASSERT_EQUAL(200, r.status);
        CPPUNIT_ASSERT_MESSAGE("the note's text is in /metrics", r.body.find(kNoteText) == std::string::npos);
        CPPUNIT_ASSERT(r.body.find("987654") == std::string::npos);
        CPPUNIT_ASSERT(r.body.find("/api/v1/patients/12345") == std::string::npos);
        CPPUNIT_ASSERT(r.body.find("/api/v1/example/notes/" + t.noteId + "\"") == std::string::npos);

        std::set<std::string> routes;
        for (const auto& s : parseExposition(r.body)) {
            for (const auto& [key, value] : s.labels) {
                CPPUNIT_ASSERT_MESSAGE(s.name + " has the digit-only label " + key + "=" + value,
                    !allDigits(value) || key == "status" || key == "le");
                if (key == "route")
                    routes.insert(value);
            }
        }
        CPPUNIT_ASSERT(routes.count("/api/v1/example/notes/{id}"));
        for (const auto& route : routes) {
            if (route == "unmatched")
                continue;
            std::istringstream segments(route);
            for (std::string seg; std::getline(segments, seg, '/');)
                CPPUNIT_ASSERT_MESSAGE("route label " + route + " holds a raw id", !allDigits(seg));
        }
    }

    void servesTheTextFormatContentType()
    {
        Daemon d(metricsDaemonOptions());
        auto client = d.client();
        auto r = client.get("/metrics");
        CPPUNIT_ASSERT_EQUAL(200, r.status);
        CPPUNIT_ASSERT_EQUAL(
            std::string("text/plain; version=0.0.4; charset=utf-8"), r.header("Content-Type"));
        CPPUNIT_ASSERT(r.body.find("# TYPE clinicd_http_requests_total counter") != std::string::npos);
    }

    void kernelAndProcessFiguresAreServed()
    {
        auto options = metricsDaemonOptions();
        options.config["db.pool.max"] = "7";
        Daemon d(options);
        auto client = d.client();
        driveTraffic(client);
        const auto s = scrape(client);
        const double now
            = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();

        CPPUNIT_ASSERT_EQUAL(7.0, valueOf(s, "clinicd_db_pool_max_sessions"));
        const double inUse = valueOf(s, "clinicd_db_pool_sessions", {{"state", "in_use"}});
        const double idle = valueOf(s, "clinicd_db_pool_sessions", {{"state", "idle"}});
        CPPUNIT_ASSERT_MESSAGE("the pool opened no session for the notes", inUse + idle >= 1);
        CPPUNIT_ASSERT(inUse + idle <= 7);
        CPPUNIT_ASSERT_EQUAL(1.0, valueOf(s, "clinicd_plugin_up", {{"plugin", "metrics"}}));
        CPPUNIT_ASSERT_EQUAL(1.0, valueOf(s, "clinicd_plugin_up", {{"plugin", "example"}}));
        CPPUNIT_ASSERT_EQUAL(1.0, valueOf(s, "clinicd_schema_version", {{"owner", "example"}}));
        CPPUNIT_ASSERT(hasMetric(s, "clinicd_build_info"));
        for (const auto& sample : s)
            if (sample.name == "clinicd_build_info") {
                CPPUNIT_ASSERT_EQUAL(1.0, sample.value);
                CPPUNIT_ASSERT(!sample.labels.at("version").empty());
            }
        const double uptime = valueOf(s, "clinicd_uptime_seconds");
        CPPUNIT_ASSERT(uptime > 0 && uptime < 300);

        CPPUNIT_ASSERT(valueOf(s, "process_resident_memory_bytes") > 1e6);
        CPPUNIT_ASSERT(
            valueOf(s, "process_virtual_memory_bytes") >= valueOf(s, "process_resident_memory_bytes"));
        // A young, idle daemon may not have used one clock tick (10 ms) of CPU yet.
        CPPUNIT_ASSERT(hasMetric(s, "process_cpu_seconds_total"));
        CPPUNIT_ASSERT(valueOf(s, "process_cpu_seconds_total") >= 0);
        const double fds = valueOf(s, "process_open_fds");
        CPPUNIT_ASSERT(fds >= 4 && fds <= valueOf(s, "process_max_fds"));
        const double started = valueOf(s, "process_start_time_seconds");
        CPPUNIT_ASSERT_MESSAGE(
            "process_start_time_seconds is " + std::to_string(started) + ", now is " + std::to_string(now),
            started > now - 300 && started <= now + 2);
    }

    void withoutThePluginThereIsNoMetricsRoute()
    {
        Daemon::Options o;
        o.config["plugins.load"] = "example";
        Daemon d(o);
        auto client = d.client();
        CPPUNIT_ASSERT_EQUAL(404, client.get("/metrics").status);
    }

    void metricsPortServesTheSameTextOnLoopbackOnly()
    {
        auto options = metricsDaemonOptions();
        const int port = freePort();
        options.config["metrics.port"] = std::to_string(port);
        Daemon d(options);
        auto client = d.client();
        driveTraffic(client);

        HttpClient local("127.0.0.1", port);
        auto side = local.get("/metrics");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(side.body, 200, side.status);
        CPPUNIT_ASSERT_EQUAL(
            std::string("text/plain; version=0.0.4; charset=utf-8"), side.header("Content-Type"));
        auto main = client.get("/metrics");
        auto sideFamilies = familyNames(side.body);
        auto mainFamilies = familyNames(main.body);
        std::sort(sideFamilies.begin(), sideFamilies.end());
        std::sort(mainFamilies.begin(), mainFamilies.end());
        CPPUNIT_ASSERT(!mainFamilies.empty());
        CPPUNIT_ASSERT(sideFamilies == mainFamilies);
        // Same registry: the traffic on the main port shows on the side port.
        CPPUNIT_ASSERT_EQUAL(
            double(Traffic::kUnmatched404), requests(parseExposition(side.body), "GET", "unmatched", 404));
        CPPUNIT_ASSERT_EQUAL(404, local.get("/api/v1/example/notes/1").status);
        CPPUNIT_ASSERT_EQUAL(405, local.post("/metrics", "").status);

        auto [loopbackOnly, others] = listensOnLoopbackOnly(port);
        CPPUNIT_ASSERT_MESSAGE("metrics.port also listens on " + others, loopbackOnly);
        const std::string external = externalAddress();
        if (!external.empty())
            CPPUNIT_ASSERT_MESSAGE("metrics.port answers on " + external, !canConnect(external, port));
    }

    void anInvalidMetricsPortFailsThePluginAndReadiness()
    {
        auto options = metricsDaemonOptions();
        options.config["metrics.port"] = "70000";
        Daemon d(options);
        auto client = d.client();
        auto ready = client.get("/health/ready");
        CPPUNIT_ASSERT_EQUAL(503, ready.status);
        // Readiness is public: it names the failed plugin; the reason is for admins.
        CPPUNIT_ASSERT_MESSAGE(ready.body, ready.body.find("metrics is failed") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(ready.body, ready.body.find("70000") == std::string::npos);
        auto plugins = d.adminClient().get("/api/v1/system/plugins");
        CPPUNIT_ASSERT_MESSAGE(plugins.body, plugins.body.find("metrics.port") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(404, client.get("/metrics").status);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MetricsEndpointTest);
