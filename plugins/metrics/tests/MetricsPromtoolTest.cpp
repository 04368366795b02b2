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
/// clinicd that do not exist yet. The dashboard and the alerts may use them.
const std::set<std::string> kReservedNames
    = {"clinicd_bookings_total", "clinicd_appointments_cancelled_total", "clinicd_appointments_no_show_total",
        "clinicd_waitlist_entries", "clinicd_notifications_sent_total", "clinicd_notifications_failed_total",
        "clinicd_rule_evaluations_total", "clinicd_rule_evaluation_duration_seconds",
        "clinicd_rule_reloads_total", "clinicd_rules_generation", "clinicd_jobs",
        "clinicd_jobs_oldest_due_age_seconds"};

} // namespace

class MetricsPromtoolTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MetricsPromtoolTest);
    CPPUNIT_TEST(liveExpositionAfterTrafficPassesPromtoolCheckMetrics);
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
        auto check = runProcess(promtool, {"check", "metrics"}, {}, r.body, 60);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(
            check.out + check.err + "\n--- exposition ---\n" + r.body, 0, check.exitCode);
        // promtool check metrics exits 0 on lint warnings too; this text has none.
        CPPUNIT_ASSERT_EQUAL_MESSAGE(check.out + check.err, std::string(), check.out + check.err);
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
        Daemon d(metricsDaemonOptions());
        auto client = d.client();
        driveTraffic(client);
        std::set<std::string> served;
        for (const auto& name : familyNames(client.get("/metrics").body))
            served.insert(name);

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
        // The README reserves the same names this test allows.
        const std::string readme = readFile(sourceDir() + "/plugins/metrics/README.md");
        for (const auto& name : kReservedNames)
            CPPUNIT_ASSERT_MESSAGE(name + " is not in plugins/metrics/README.md",
                readme.find("`" + name + "`") != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MetricsPromtoolTest);
