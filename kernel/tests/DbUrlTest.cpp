// DbUrl: parsing sqlite: and mysql:// URLs, percent-encoded credentials,
// refusal of incomplete URLs, and redaction of passwords.

#include <stdexcept>

#include <cppunit/extensions/HelperMacros.h>

#include "db/DbUrl.h"

using clinic::DbUrl;
using clinic::Dialect;

namespace {

std::string rejection(const std::string& url)
{
    try {
        DbUrl::parse(url);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

} // namespace

class DbUrlTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DbUrlTest);
    CPPUNIT_TEST(sqliteUrlNamesTheFile);
    CPPUNIT_TEST(sqliteWithoutAFileOrInMemoryIsRejected);
    CPPUNIT_TEST(mysqlUrlWithPort);
    CPPUNIT_TEST(mysqlUrlWithoutPortDefaultsTo3306);
    CPPUNIT_TEST(mariadbSchemeIsMysql);
    CPPUNIT_TEST(percentEncodedCredentialsAreDecodedAfterSplitting);
    CPPUNIT_TEST(plusInAPasswordStaysAPlus);
    CPPUNIT_TEST(missingDatabaseUserOrHostIsRejected);
    CPPUNIT_TEST(badPortIsRejected);
    CPPUNIT_TEST(connectionStringSeparatorsAreRejected);
    CPPUNIT_TEST(unknownSchemeIsRejectedWithoutShowingThePassword);
    CPPUNIT_TEST(redactHidesOnlyThePassword);
    CPPUNIT_TEST(redactLeavesUrlsWithoutPasswordsAlone);
    CPPUNIT_TEST_SUITE_END();

public:
    void sqliteUrlNamesTheFile()
    {
        auto abs = DbUrl::parse("sqlite:/var/lib/clinicd/clinicd.db");
        CPPUNIT_ASSERT(abs.dialect == Dialect::SQLite);
        CPPUNIT_ASSERT_EQUAL(std::string("/var/lib/clinicd/clinicd.db"), abs.path);
        CPPUNIT_ASSERT_EQUAL(std::string("/var/lib/clinicd/clinicd.db"), abs.connectionString());
        CPPUNIT_ASSERT_EQUAL(std::string("/tmp/x.db"), DbUrl::parse("sqlite:///tmp/x.db").path);
        CPPUNIT_ASSERT_EQUAL(std::string("relative/x.db"), DbUrl::parse("sqlite:relative/x.db").path);
    }

    void sqliteWithoutAFileOrInMemoryIsRejected()
    {
        CPPUNIT_ASSERT(rejection("sqlite:").find("names no file") != std::string::npos);
        CPPUNIT_ASSERT(rejection("sqlite://").find("names no file") != std::string::npos);
        CPPUNIT_ASSERT(rejection("sqlite::memory:").find("in-memory") != std::string::npos);
    }

    void mysqlUrlWithPort()
    {
        auto url = DbUrl::parse("mysql://clinic:s3cret@db.clinic.lan:3307/clinicd");
        CPPUNIT_ASSERT(url.dialect == Dialect::MySQL);
        CPPUNIT_ASSERT_EQUAL(std::string("clinic"), url.user);
        CPPUNIT_ASSERT_EQUAL(std::string("s3cret"), url.password);
        CPPUNIT_ASSERT_EQUAL(std::string("db.clinic.lan"), url.host);
        CPPUNIT_ASSERT_EQUAL(3307, url.port);
        CPPUNIT_ASSERT_EQUAL(std::string("clinicd"), url.database);
        CPPUNIT_ASSERT_EQUAL(
            std::string(
                "host=db.clinic.lan;port=3307;user=clinic;password=s3cret;db=clinicd;character-set=utf8mb4"),
            url.connectionString());
    }

    void mysqlUrlWithoutPortDefaultsTo3306()
    {
        auto url = DbUrl::parse("mysql://clinic:pw@127.0.0.1/clinicd");
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), url.host);
        CPPUNIT_ASSERT_EQUAL(3306, url.port);
        CPPUNIT_ASSERT_EQUAL(std::string("clinicd"), url.database);
        auto noPassword = DbUrl::parse("mysql://clinic@localhost/clinicd");
        CPPUNIT_ASSERT_EQUAL(std::string("clinic"), noPassword.user);
        CPPUNIT_ASSERT_EQUAL(std::string(""), noPassword.password);
    }

    void mariadbSchemeIsMysql()
    {
        auto url = DbUrl::parse("mariadb://clinic:pw@localhost:3306/clinicd?ignored=1");
        CPPUNIT_ASSERT(url.dialect == Dialect::MySQL);
        CPPUNIT_ASSERT_EQUAL(std::string("clinicd"), url.database);
    }

    void percentEncodedCredentialsAreDecodedAfterSplitting()
    {
        // user "re:cep@tion", password "p:a@s%s+w"
        auto url = DbUrl::parse("mysql://re%3Acep%40tion:p%3Aa%40s%25s%2Bw@db:3306/clinic%5Fa");
        CPPUNIT_ASSERT_EQUAL(std::string("re:cep@tion"), url.user);
        CPPUNIT_ASSERT_EQUAL(std::string("p:a@s%s+w"), url.password);
        CPPUNIT_ASSERT_EQUAL(std::string("db"), url.host);
        CPPUNIT_ASSERT_EQUAL(std::string("clinic_a"), url.database);
    }

    void plusInAPasswordStaysAPlus()
    {
        // A raw '+' is not a space (that is form encoding, not URLs); a raw
        // '@' in the password still splits at the last '@'.
        auto url = DbUrl::parse("mysql://clinic:a+b@c@db/clinicd");
        CPPUNIT_ASSERT_EQUAL(std::string("a+b@c"), url.password);
        CPPUNIT_ASSERT_EQUAL(std::string("db"), url.host);
    }

    void missingDatabaseUserOrHostIsRejected()
    {
        CPPUNIT_ASSERT(rejection("mysql://u:p@db:3306/").find("names no database") != std::string::npos);
        CPPUNIT_ASSERT(rejection("mysql://u:p@db:3306").find("names no database") != std::string::npos);
        CPPUNIT_ASSERT(rejection("mysql://u:p@db/a/b").find("names no database") != std::string::npos);
        CPPUNIT_ASSERT(rejection("mysql://db:3306/clinicd").find("names no user") != std::string::npos);
        CPPUNIT_ASSERT(rejection("mysql://:p@db/clinicd").find("names no user") != std::string::npos);
        CPPUNIT_ASSERT(rejection("mysql://u:p@:3306/clinicd").find("names no host") != std::string::npos);
        CPPUNIT_ASSERT(rejection("mysql://u:p@/clinicd").find("names no host") != std::string::npos);
    }

    void badPortIsRejected()
    {
        for (const char* url :
            {"mysql://u:p@db:0/x", "mysql://u:p@db:65536/x", "mysql://u:p@db:port/x", "mysql://u:p@db:/x"})
            CPPUNIT_ASSERT_MESSAGE(url, rejection(url).find("bad port") != std::string::npos);
    }

    void connectionStringSeparatorsAreRejected()
    {
        // Poco's MySQL connection string is name=value;... : a ';' in a
        // password would inject settings.
        CPPUNIT_ASSERT(rejection("mysql://u:a%3Bhost%3Devil@db/x").find("the password must not contain")
            != std::string::npos);
        CPPUNIT_ASSERT(
            rejection("mysql://u%3D:p@db/x").find("the user must not contain") != std::string::npos);
        CPPUNIT_ASSERT(
            rejection("mysql://u:p@db/x%3By").find("the database must not contain") != std::string::npos);
    }

    void unknownSchemeIsRejectedWithoutShowingThePassword()
    {
        const std::string why = rejection("postgres://clinic:topsecret@db/clinicd");
        CPPUNIT_ASSERT_MESSAGE(why, why.find("neither sqlite:") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(why, why.find("topsecret") == std::string::npos);
        CPPUNIT_ASSERT(!rejection("/var/lib/clinicd/clinicd.db").empty());
    }

    void redactHidesOnlyThePassword()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("mysql://clinic:****@db:3306/clinicd"),
            DbUrl::redact("mysql://clinic:s3cret@db:3306/clinicd"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("mysql://clinic:****@db/clinicd"), DbUrl::redact("mysql://clinic:a@b:c@db/clinicd"));
        CPPUNIT_ASSERT_EQUAL(std::string("mysql://clinic:****@db/clinicd"),
            DbUrl::redact("mysql://clinic:p%3Aa%40ss@db/clinicd"));
    }

    void redactLeavesUrlsWithoutPasswordsAlone()
    {
        CPPUNIT_ASSERT_EQUAL(
            std::string("mysql://clinic@db:3306/clinicd"), DbUrl::redact("mysql://clinic@db:3306/clinicd"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("mysql://db:3306/clinicd"), DbUrl::redact("mysql://db:3306/clinicd"));
        CPPUNIT_ASSERT_EQUAL(std::string("sqlite:/var/lib/clinicd/clinicd.db"),
            DbUrl::redact("sqlite:/var/lib/clinicd/clinicd.db"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DbUrlTest);
