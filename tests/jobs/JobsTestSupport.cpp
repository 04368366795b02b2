#include "JobsTestSupport.h"

#include <stdexcept>
#include <vector>

#include <Poco/Data/Session.h>

using namespace Poco::Data::Keywords;

namespace clinic::test {

Daemon::Options jobsDaemonOptions(const std::string& name)
{
    Daemon::Options options;
    options.config["plugins.load"] = "jobstest";
    options.config["jobstest.daemon"] = name;
    options.config["jobs.poll_ms"] = "50";
    options.config["jobs.lease_seconds"] = "2";
    // No kernel.retention job: these suites count every row of jobs.
    options.config["retention.sessions_days"] = "0";
    options.config["retention.refresh_tokens_days"] = "0";
    options.config["retention.jobs_days"] = "0";
    return options;
}

JobsDatabase::JobsDatabase(const std::string& url)
{
    DatabaseOptions options;
    options.url = url;
    options.poolMax = 2;
    _db = std::make_unique<DatabaseImpl>(options);
}

Poco::Int64 JobsDatabase::scalar(const std::string& sql)
{
    Poco::Data::Session s = _db->session();
    Poco::Int64 n = -1;
    s << sql, into(n), now;
    return n;
}

std::map<std::string, Poco::Int64> JobsDatabase::runsByDaemon()
{
    Poco::Data::Session s = _db->session();
    std::vector<std::string> names;
    std::vector<Poco::Int64> counts;
    s << "SELECT daemon, COUNT(*) FROM jobstest_runs GROUP BY daemon", into(names), into(counts), now;
    std::map<std::string, Poco::Int64> out;
    for (std::size_t i = 0; i < names.size(); ++i)
        out[names[i]] = counts[i];
    return out;
}

int scheduleJobs(Daemon& daemon, const std::string& body)
{
    auto client = daemon.client();
    client.setTimeout(120);
    auto r = client.post("/api/v1/jobstest/schedule", body);
    if (r.status != 200)
        throw std::runtime_error("schedule: HTTP " + std::to_string(r.status) + " " + r.body);
    return r.json()->getValue<int>("scheduled");
}

} // namespace clinic::test
