// promtool (Debian package prometheus) over what clinicd ships: the live
// /metrics text of a daemon that has served traffic, the alert rules with
// their unit tests, the example scrape config, and the dashboard's metric names.

#include <regex>
#include <set>

#include <Poco/JSON/Parser.h>
#include <cppunit/extensions/HelperMacros.h>

#include "ExpositionText.h"
#include "TestSupport.h"

using namespace clinic::test;
using namespace clinic::test::metrics;

namespace {

const std::string promtool = requireProgram("promtool",
    "promtool is not installed (apt-get install -y --no-install-recommends prometheus); "
    "the exposition, alert rules and scrape config were not checked");

std::string packaging(const std::string& file)
{
    return sourceDir() + "/packaging/" + file;
}

/// Every expr string anywhere in a Grafana dashboard.
void collectExprs(const Poco::Dynamic::Var& node, std::vector<std::string>& out)
{
    if (node.type() == typeid(Poco::JSON::Object::Ptr)) {
        auto o = node.extract<Poco::JSON::Object::Ptr>();
        for (const auto& [key, value] : *o) {
            if (key == "expr" && value.isString())
                out.push_back(value.toString());
            else
                collectExprs(value, out);
        }
    } else if (node.type() == typeid(Poco::JSON::Array::Ptr)) {
        for (const auto& v : *node.extract<Poco::JSON::Array::Ptr>())
            collectExprs(v, out);
    }
}

/// The metric names reserved in plugins/metrics/README.md for the parts of
/// clinicd that do not serve them yet. The dashboard and the alerts may use them.
const std::set<std::string> kReservedNames = {};

/// The scheduling and notifications plugins' families, served since they landed.
const std::set<std::string> kSchedulingNames
    = {"clinicd_bookings_total", "clinicd_appointments_cancelled_total", "clinicd_appointments_no_show_total",
        "clinicd_waitlist_entries", "clinicd_notifications_total", "clinicd_notifications_outbox_messages",
        "clinicd_notifications_oldest_queued_seconds"};

/// The part of plugins/metrics/README.md between two headings.
std::string section(const std::string& readme, const std::string& heading, const std::string& next)
{
    auto from = readme.find(heading);
    CPPUNIT_ASSERT_MESSAGE(heading + " is not in plugins/metrics/README.md", from != std::string::npos);
    auto to = readme.find(next, from);
    return readme.substr(from, to == std::string::npos ? std::string::npos : to - from);
}

/// promtool check metrics on a live exposition: exit 0 and no lint output.
void checkWithPromtool(const std::string& exposition)
{
    auto check = runProcess(promtool, {"check", "metrics"}, {}, exposition, 60);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(
        check.out + check.err + "\n--- exposition ---\n" + exposition, 0, check.exitCode);
    // promtool check metrics exits 0 on lint warnings too; this text has none.
    CPPUNIT_ASSERT_EQUAL_MESSAGE(check.out + check.err, std::string(), check.out + check.err);
}

} // namespace

class MetricsPromtoolTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MetricsPromtoolTest);
    CPPUNIT_TEST(liveExpositionAfterTrafficPassesPromtoolCheckMetrics);
    CPPUNIT_TEST(liveExpositionAfterBookingsPassesPromtoolCheckMetrics);
    CPPUNIT_TEST(alertRulesPassPromtoolCheckRules);
    CPPUNIT_TEST(alertRulesFireAsTheirUnitTestsExpect);
    CPPUNIT_TEST(exampleScrapeConfigPassesPromtoolCheckConfig);
    CPPUNIT_TEST(dashboardAndAlertsUseOnlyServedOrReservedNames);
    CPPUNIT_TEST_SUITE_END();

public:
    void liveExpositionAfterTrafficPassesPromtoolCheckMetrics()
    {
        Daemon d(metricsDaemonOptions());
        auto client = d.client();
        driveTraffic(client);
        auto r = client.get("/metrics");
        CPPUNIT_ASSERT_EQUAL(200, r.status);
        checkWithPromtool(r.body);
    }

    void liveExpositionAfterBookingsPassesPromtoolCheckMetrics()
    {
        Daemon d(bookingDaemonOptions());
        driveBookings(d);
        auto client = d.client();
        auto r = client.get("/metrics");
        CPPUNIT_ASSERT_EQUAL(200, r.status);
        // The scheduling families are in the text promtool reads, with their
        // movement, not just their names.
        const auto samples = parseExposition(r.body);
        for (const auto& name : kSchedulingNames)
            CPPUNIT_ASSERT_MESSAGE(name + " is not served", hasMetric(samples, name));
        CPPUNIT_ASSERT_EQUAL(
            double(Bookings::kCreated), valueOf(samples, "clinicd_bookings_total", {{"outcome", "created"}}));
        CPPUNIT_ASSERT_EQUAL(
            double(Bookings::kCancelled), valueOf(samples, "clinicd_appointments_cancelled_total"));
        checkWithPromtool(r.body);
    }

    void alertRulesPassPromtoolCheckRules()
    {
        auto check = runProcess(
            promtool, {"check", "rules", packaging("prometheus/clinicd-alerts.yml")}, {}, "", 60);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(check.out + check.err, 0, check.exitCode);
    }

    void alertRulesFireAsTheirUnitTestsExpect()
    {
        auto check = runProcess(
            promtool, {"test", "rules", packaging("prometheus/clinicd-alerts.test.yml")}, {}, "", 60);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(check.out + check.err, 0, check.exitCode);
    }

    void exampleScrapeConfigPassesPromtoolCheckConfig()
    {
        auto check
            = runProcess(promtool, {"check", "config", packaging("prometheus/prometheus.yml")}, {}, "", 60);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(check.out + check.err, 0, check.exitCode);
    }

    void dashboardAndAlertsUseOnlyServedOrReservedNames()
    {
        std::set<std::string> served;
        {
            Daemon d(metricsDaemonOptions());
            auto client = d.client();
            driveTraffic(client);
            for (const auto& name : familyNames(client.get("/metrics").body))
                served.insert(name);
        }
        {
            Daemon d(bookingDaemonOptions());
            driveBookings(d);
            for (const auto& name : familyNames(d.client().get("/metrics").body))
                served.insert(name);
        }
        for (const auto& name : kSchedulingNames)
            CPPUNIT_ASSERT_MESSAGE(name + " is not served", served.count(name));

        std::vector<std::string> exprs;
        Poco::JSON::Parser parser;
        collectExprs(parser.parse(readFile(packaging("grafana/clinicd-dashboard.json"))), exprs);
        CPPUNIT_ASSERT(exprs.size() >= 15);
        exprs.push_back(readFile(packaging("prometheus/clinicd-alerts.yml")));

        const std::regex metric(R"(\b((?:clinicd|process)_[a-z0-9_]+))");
        std::set<std::string> used;
        for (const auto& e : exprs)
            for (std::sregex_iterator it(e.begin(), e.end(), metric), end; it != end; ++it)
                used.insert((*it)[1]);
        CPPUNIT_ASSERT(used.count("clinicd_http_request_duration_seconds_bucket"));
        for (std::string name : used) {
            for (const char* suffix : {"_bucket", "_count", "_sum"}) {
                const std::string s(suffix);
                if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0
                    && !served.count(name) && !kReservedNames.count(name))
                    name.erase(name.size() - s.size());
            }
            CPPUNIT_ASSERT_MESSAGE(
                name + " is used by the dashboard or alerts but neither served nor reserved in the README",
                served.count(name) || kReservedNames.count(name));
        }
        // The README reserves the same names this test allows, and lists the
        // scheduling ones as served, not reserved.
        const std::string readme = readFile(sourceDir() + "/plugins/metrics/README.md");
        const std::string servedPart = section(readme, "## Metrics served now", "## Convention");
        const std::string reservedPart = section(readme, "### Names reserved", "\n## ");
        for (const auto& name : kReservedNames)
            CPPUNIT_ASSERT_MESSAGE(name + " is not reserved in plugins/metrics/README.md",
                reservedPart.find("`" + name + "`") != std::string::npos);
        for (const auto& name : kSchedulingNames) {
            CPPUNIT_ASSERT_MESSAGE(name + " is not listed as served in plugins/metrics/README.md",
                servedPart.find("`" + name + "`") != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(name + " is still listed as reserved in plugins/metrics/README.md",
                reservedPart.find("`" + name + "`") == std::string::npos);
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MetricsPromtoolTest);
