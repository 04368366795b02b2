// The kernel.retention job: ended sessions, expired refresh tokens and
// finished jobs go after their keep time; the audit trail stays.

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timespan.h>
#include <Poco/Timestamp.h>
#include <cppunit/extensions/HelperMacros.h>

#include "IdentityTestSupport.h"

using namespace clinic::test;

class RetentionTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RetentionTest);
    CPPUNIT_TEST(endedSessionsExpiredTokensAndFinishedJobsArePrunedNeverTheAudit);
    CPPUNIT_TEST_SUITE_END();

public:
    void endedSessionsExpiredTokensAndFinishedJobsArePrunedNeverTheAudit()
    {
        Daemon::Options first;
        first.config["auth.refresh_ttl_seconds"] = "3600";
        Daemon today(first);
        auto c = today.client();
        auto admin = firstAdmin(today, c);
        auto kept = signIn(c, "root.admin");
        CPPUNIT_ASSERT_EQUAL(204, c.post("/api/v1/auth/logout", "", bearer(admin.accessToken)).status);
        // This daemon's own first sweep runs at its start and finishes.
        CPPUNIT_ASSERT(eventually(
            [&] { return countRows(today, "jobs", "kind = 'kernel.retention' AND state = 'done'") >= 1; }));
        CPPUNIT_ASSERT_EQUAL(2L, countRows(today, "sessions"));
        std::string finished = sqlOutput(today, "SELECT id FROM jobs WHERE state = 'done';");
        for (auto& ch : finished)
            if (ch == '\n')
                ch = ',';
        const long audit = countRows(today, "audit_log");
        today.stop();

        // The same database three days on, keeping things for one day.
        Daemon::Options later;
        later.dataDir = today.dataDir();
        later.dbUrl = today.dbUrl();
        later.config["auth.refresh_ttl_seconds"] = "3600";
        later.config["retention.sessions_days"] = "1";
        later.config["retention.refresh_tokens_days"] = "1";
        later.config["retention.jobs_days"] = "1";
        later.config["clock.start"] = Poco::DateTimeFormatter::format(
            Poco::Timestamp() + Poco::Timespan(3, 0, 0, 0, 0), Poco::DateTimeFormat::ISO8601_FORMAT);
        Daemon d(later);
        CPPUNIT_ASSERT_MESSAGE(d.log(), eventually([&] { return countRows(d, "sessions") == 0; }));
        CPPUNIT_ASSERT_EQUAL(0L, countRows(d, "refresh_tokens"));
        // The first daemon's finished jobs are gone.
        CPPUNIT_ASSERT(eventually([&] { return countRows(d, "jobs", "id IN (" + finished + ")") == 0; }));
        CPPUNIT_ASSERT(countRows(d, "audit_log") >= audit);
        (void)kept;
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RetentionTest);
