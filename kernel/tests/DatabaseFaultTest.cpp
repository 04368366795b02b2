// Which failures the kernel answers 503 DATABASE_UNAVAILABLE or STORAGE_FULL:
// the connectors' and the file system's own words for a lost server and a
// full disk, and nothing else (a constraint or a bad statement stays a bug
// or the request's fault).

#include <cerrno>
#include <system_error>

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/Data/DataException.h>
#include <Poco/Data/SQLite/SQLiteException.h>
#ifdef CLINICD_WITH_MYSQL
#include <Poco/Data/MySQL/MySQLException.h>
#endif

#include "db/DatabaseFault.h"

using clinic::DatabaseFault;
using clinic::databaseFaultOf;

class DatabaseFaultTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DatabaseFaultTest);
    CPPUNIT_TEST(fullDiskInSqliteAndFileWritesIsStorageFull);
    CPPUNIT_TEST(lostMariaDbConnectionIsUnavailable);
    CPPUNIT_TEST(constraintsAndBadStatementsAreNoFault);
    CPPUNIT_TEST(answersAre503InTheirCodesWithRetryAfter);
    CPPUNIT_TEST_SUITE_END();

public:
    void fullDiskInSqliteAndFileWritesIsStorageFull()
    {
        CPPUNIT_ASSERT(databaseFaultOf(Poco::Data::SQLite::DatabaseFullException("database or disk is full"))
            == DatabaseFault::StorageFull);
        CPPUNIT_ASSERT(
            databaseFaultOf(Poco::Data::SQLite::IOErrorException("disk I/O error: No space left on device"))
            == DatabaseFault::StorageFull);
        CPPUNIT_ASSERT(databaseFaultOf(std::system_error(ENOSPC, std::generic_category(), "write"))
            == DatabaseFault::StorageFull);
        CPPUNIT_ASSERT(databaseFaultOf(std::system_error(EACCES, std::generic_category(), "write"))
            == DatabaseFault::None);
    }

    void lostMariaDbConnectionIsUnavailable()
    {
#ifdef CLINICD_WITH_MYSQL
        CPPUNIT_ASSERT(databaseFaultOf(Poco::Data::MySQL::ConnectionException("mysql_real_connect error"))
            == DatabaseFault::Unavailable);
        CPPUNIT_ASSERT(
            databaseFaultOf(Poco::Data::MySQL::StatementException(
                "[mysql_stmt_error]: Lost connection to server during query [mysql_stmt_errno]: 2013"))
            == DatabaseFault::Unavailable);
        CPPUNIT_ASSERT(
            databaseFaultOf(Poco::Data::MySQL::StatementException("[mysql_stmt_error]: Server has gone away"))
            == DatabaseFault::Unavailable);
        CPPUNIT_ASSERT(databaseFaultOf(Poco::Data::MySQL::StatementException(
                           "[mysql_stmt_error]: Duplicate entry 'x' for key 'code' [mysql_stmt_errno]: 1062"))
            == DatabaseFault::None);
#endif
        CPPUNIT_ASSERT(
            databaseFaultOf(clinic::faultAnswer(DatabaseFault::Unavailable)) == DatabaseFault::Unavailable);
    }

    void constraintsAndBadStatementsAreNoFault()
    {
        CPPUNIT_ASSERT(
            databaseFaultOf(Poco::Data::SQLite::ConstraintViolationException("UNIQUE constraint failed"))
            == DatabaseFault::None);
        CPPUNIT_ASSERT(databaseFaultOf(Poco::Data::SQLite::InvalidSQLStatementException("near \"SELEC\""))
            == DatabaseFault::None);
        CPPUNIT_ASSERT(databaseFaultOf(std::runtime_error("something else")) == DatabaseFault::None);
        CPPUNIT_ASSERT(databaseFaultOf(clinic::HttpError(409, "SLOT_TAKEN", "taken")) == DatabaseFault::None);
    }

    void answersAre503InTheirCodesWithRetryAfter()
    {
        for (auto fault : {DatabaseFault::Unavailable, DatabaseFault::StorageFull}) {
            const auto e = clinic::faultAnswer(fault);
            CPPUNIT_ASSERT_EQUAL(503, e.status());
            CPPUNIT_ASSERT_EQUAL(
                std::string(fault == DatabaseFault::Unavailable ? "DATABASE_UNAVAILABLE" : "STORAGE_FULL"),
                e.code());
            CPPUNIT_ASSERT(!e.headers().empty() && e.headers().front().first == "Retry-After");
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DatabaseFaultTest);
