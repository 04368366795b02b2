#pragma once

// The kernel's database suites open a fresh database on the backend under
// test (a new SQLite file, or a new database on the test's MariaDB server)
// and count what their statements left behind.

#include <memory>
#include <string>

#include <Poco/Data/Session.h>

#include "TestSupport.h"
#include "db/DatabaseImpl.h"

namespace clinic::test {

inline std::unique_ptr<DatabaseImpl> openFreshDatabase(const TempDir& dir)
{
    DatabaseOptions options;
    options.url = freshDatabaseUrl(dir.path());
    options.poolMax = 4;
    options.busyTimeoutMs = 5000;
    return std::make_unique<DatabaseImpl>(options);
}

/// The single integer a query such as SELECT COUNT(*) answers.
inline int scalarOf(DatabaseImpl& db, const std::string& sql)
{
    Poco::Data::Session s = db.session();
    int n = -1;
    s << sql, Poco::Data::Keywords::into(n), Poco::Data::Keywords::now;
    return n;
}

} // namespace clinic::test
