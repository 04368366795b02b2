// A real Prometheus server (Debian package prometheus) on loopback scrapes
// the daemon every second; its HTTP API shows the target up, the request
// counter rising by the requests this test drives and the booking counter
// moving with a booking, and it accepts every expression of the Grafana
// dashboard.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>
#include <regex>
#include <stdexcept>
#include <thread>

#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>
#include <cppunit/extensions/HelperMacros.h>

#include "ExpositionText.h"
#include "TestSupport.h"

using namespace clinic::test;
using namespace clinic::test::metrics;

namespace {

const std::string prometheusBinary = requireProgram("prometheus",
    "the prometheus server is not installed (apt-get install -y --no-install-recommends prometheus); "
    "no real Prometheus scraped the daemon");

/// A Prometheus server of our own: temp config and storage, a free loopback
/// port, stopped by its pid (SIGTERM, then SIGKILL) when the test ends.
class PrometheusServer {
public:
    PrometheusServer(int daemonPort)
        : _port(freePort())
    {
        writeFile(_dir.file("prometheus.yml"),
            "global:\n"
            "  scrape_interval: 1s\n"
            "  scrape_timeout: 1s\n"
            "  evaluation_interval: 1s\n"
            "scrape_configs:\n"
            "  - job_name: clinicd\n"
            "    metrics_path: /metrics\n"
            "    static_configs:\n"
            "      - targets: [\"127.0.0.1:"
                + std::to_string(daemonPort) + "\"]\n");
        const std::vector<std::string> args = {prometheusBinary,
            "--config.file=" + _dir.file("prometheus.yml"), "--storage.tsdb.path=" + _dir.file("tsdb"),
            "--web.listen-address=127.0.0.1:" + std::to_string(_port), "--log.level=warn"};
        const std::string log = _dir.file("prometheus.log");
        _pid = ::fork();
        if (_pid < 0)
            throw std::runtime_error("fork failed");
        if (_pid == 0) {
            int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            ::dup2(out, 1);
            ::dup2(out, 2);
            int in = ::open("/dev/null", O_RDONLY);
            ::dup2(in, 0);
            std::vector<char*> argv;
            for (const auto& a : args)
                argv.push_back(const_cast<char*>(a.c_str()));
            argv.push_back(nullptr);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
    }

    ~PrometheusServer()
    {
        if (_pid <= 0)
            return;
        ::kill(_pid, SIGTERM);
        for (int i = 0; i < 500; ++i) {
            if (::waitpid(_pid, nullptr, WNOHANG) == _pid)
                return;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        ::kill(_pid, SIGKILL);
        ::waitpid(_pid, nullptr, 0);
    }

    PrometheusServer(const PrometheusServer&) = delete;
    PrometheusServer& operator=(const PrometheusServer&) = delete;

    std::string log() const { return readFile(_dir.file("prometheus.log")); }

    /// GET /api/v1/query; the parsed answer, or null while the server is not up.
    Poco::JSON::Object::Ptr query(const std::string& promql)
    {
        std::string encoded;
        Poco::URI::encode(promql, "+&=#?/ ", encoded);
        try {
            HttpClient client("127.0.0.1", _port);
            client.setTimeout(5);
            auto r = client.get("/api/v1/query?query=" + encoded);
            if (r.status == 0 || r.body.empty())
                return nullptr;
            return r.json();
        } catch (const std::exception&) {
            return nullptr;
        }
    }

    /// The value of the single series a query returns, if it returns one.
    std::optional<double> scalar(const std::string& promql)
    {
        auto answer = query(promql);
        if (!answer || answer->getValue<std::string>("status") != "success")
            return std::nullopt;
        auto result = answer->getObject("data")->getArray("result");
        if (!result || result->size() != 1)
            return std::nullopt;
        return std::stod(result->getObject(0)->getArray("value")->getElement<std::string>(1));
    }

private:
    TempDir _dir;
    int _port;
    pid_t _pid = -1;
};

/// Every expr string anywhere in a Grafana dashboard.
void collectExprs(const Poco::Dynamic::Var& node, std::vector<std::string>& out)
{
    if (node.type() == typeid(Poco::JSON::Object::Ptr)) {
        for (const auto& [key, value] : *node.extract<Poco::JSON::Object::Ptr>()) {
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

} // namespace

class MetricsPrometheusServerTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MetricsPrometheusServerTest);
    CPPUNIT_TEST(prometheusScrapesTheDaemonAndSeesTheRequestAndBookingCountersRise);
    CPPUNIT_TEST_SUITE_END();

public:
    void prometheusScrapesTheDaemonAndSeesTheRequestAndBookingCountersRise()
    {
        auto options = metricsDaemonOptions();
        const auto booking = bookingDaemonOptions();
        options.config["plugins.load"] = "metrics,example,records,scheduling";
        options.config["clock.start"] = booking.config.at("clock.start");
        options.config["auth.rate_limit_per_minute"] = "0";
        Daemon d(options);
        auto client = d.client();
        PrometheusServer prometheus(d.port());

        const bool up = eventually(
            [&] { return prometheus.scalar("up{job=\"clinicd\"}") == std::optional<double>(1.0); },
            std::chrono::seconds(30));
        CPPUNIT_ASSERT_MESSAGE("the clinicd target never came up; prometheus log:\n" + prometheus.log(), up);

        const std::string created
            = "clinicd_http_requests_total{job=\"clinicd\",route=\"/api/v1/example/notes\",method=\"POST\","
              "status=\"201\"}";
        auto post = [&] {
            auto r = client.post("/api/v1/example/notes", "{\"text\":\"scraped\"}");
            CPPUNIT_ASSERT_EQUAL(201, r.status);
        };
        // One request first, so the series exists and Prometheus has a baseline.
        post();
        CPPUNIT_ASSERT_MESSAGE("Prometheus never saw the first request",
            eventually([&] { return prometheus.scalar(created) == std::optional<double>(1.0); },
                std::chrono::seconds(15)));
        for (int i = 0; i < 5; ++i)
            post();
        CPPUNIT_ASSERT_MESSAGE("Prometheus never saw the counter rise by 5",
            eventually([&] { return prometheus.scalar(created) == std::optional<double>(6.0); },
                std::chrono::seconds(15)));

        // A booking moves the scheduling plugin's counter, as Prometheus sees it.
        const std::string bookings = "clinicd_bookings_total{job=\"clinicd\",outcome=\"created\"}";
        CPPUNIT_ASSERT_MESSAGE("Prometheus never saw the booking counter at 0",
            eventually([&] { return prometheus.scalar(bookings) == std::optional<double>(0.0); },
                std::chrono::seconds(15)));
        bookOnce(d);
        CPPUNIT_ASSERT_MESSAGE("Prometheus never saw the booking counter move",
            eventually(
                [&] { return prometheus.scalar(bookings).value_or(0) >= 1.0; }, std::chrono::seconds(15)));
        CPPUNIT_ASSERT(prometheus.scalar(bookings) == std::optional<double>(1.0));
        CPPUNIT_ASSERT(prometheus.scalar("clinicd_bookings_total{job=\"clinicd\",outcome=\"slot_taken\"}")
            == std::optional<double>(0.0));

        // The daemon's own figures arrived too.
        CPPUNIT_ASSERT(prometheus.scalar("clinicd_plugin_up{job=\"clinicd\",plugin=\"metrics\"}")
            == std::optional<double>(1.0));
        CPPUNIT_ASSERT(prometheus.scalar("process_resident_memory_bytes{job=\"clinicd\"}").value_or(0) > 0);

        // Every dashboard expression is valid PromQL, with Grafana's variables
        // filled in the way Grafana would.
        std::vector<std::string> exprs;
        Poco::JSON::Parser parser;
        collectExprs(
            parser.parse(readFile(sourceDir() + "/packaging/grafana/clinicd-dashboard.json")), exprs);
        CPPUNIT_ASSERT(!exprs.empty());
        for (std::string e : exprs) {
            e = std::regex_replace(e, std::regex(R"(\$__rate_interval)"), "1m");
            e = std::regex_replace(e, std::regex(R"(\$job)"), "clinicd");
            e = std::regex_replace(e, std::regex(R"(\$instance)"), ".*");
            auto answer = prometheus.query(e);
            CPPUNIT_ASSERT_MESSAGE("no answer for " + e, answer);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(e, std::string("success"), answer->getValue<std::string>("status"));
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MetricsPrometheusServerTest);
