#pragma once

#include <map>
#include <memory>
#include <string>

#include <Poco/Types.h>

#include "TestSupport.h"
#include "db/DatabaseImpl.h"

namespace clinic::test {

/// Daemon options for the jobs suites: the jobstest plugin, quick polling
/// and a short lease so a killed daemon's jobs come back within seconds.
Daemon::Options jobsDaemonOptions(const std::string& name);

/// Reads the daemon's database directly, beside its API.
class JobsDatabase {
public:
    explicit JobsDatabase(const std::string& url);
    Poco::Int64 scalar(const std::string& sql);
    /// jobstest_runs rows per daemon name.
    std::map<std::string, Poco::Int64> runsByDaemon();

private:
    std::unique_ptr<DatabaseImpl> _db;
};

/// POSTs a schedule request to the jobstest plugin; returns how many it scheduled.
int scheduleJobs(Daemon& daemon, const std::string& body);

} // namespace clinic::test
