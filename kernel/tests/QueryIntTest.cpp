// Request::queryInt, the one reader of integer query parameters, and
// escapeForLog, which keeps client text from forging log lines.

#include <cstdint>
#include <map>
#include <string>

#include <cppunit/extensions/HelperMacros.h>

#include "clinic/Http.h"
#include "log/Logging.h"

using clinic::HttpError;
using clinic::Request;

namespace {

Request withQuery(const std::string& name, const std::string& value)
{
    Request r;
    r.queryParams.emplace(name, value);
    return r;
}

} // namespace

class QueryIntTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(QueryIntTest);
    CPPUNIT_TEST(plainDigitsInRangeAreRead);
    CPPUNIT_TEST(absentParameterIsNoValueAndNoError);
    CPPUNIT_TEST(lenientSpellingsAre422NamingTheParameter);
    CPPUNIT_TEST(outOfRangeAndOverflowAre422);
    CPPUNIT_TEST(errorsCollectWithoutThrowing);
    CPPUNIT_TEST(logEscapeWritesControlAndInvalidBytesAsHex);
    CPPUNIT_TEST_SUITE_END();

public:
    void plainDigitsInRangeAreRead()
    {
        CPPUNIT_ASSERT_EQUAL(std::int64_t(42), *withQuery("limit", "42").queryInt("limit", 1, 500));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(7), *withQuery("limit", "007").queryInt("limit", 1, 500));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), *withQuery("cursor", "0").queryInt("cursor", 0, INT64_MAX));
    }

    void absentParameterIsNoValueAndNoError() { CPPUNIT_ASSERT(!Request().queryInt("limit", 1, 500)); }

    void lenientSpellingsAre422NamingTheParameter()
    {
        for (const std::string bad : {"1,0", " 1", "1 ", "+1", "-1", "1.5", "0x10", "1e3", "", "one", "１"}) {
            try {
                withQuery("patient_id", bad).queryInt("patient_id", 0, INT64_MAX);
                CPPUNIT_FAIL("accepted \"" + bad + "\"");
            } catch (const HttpError& e) {
                CPPUNIT_ASSERT_EQUAL(422, e.status());
                CPPUNIT_ASSERT_EQUAL(std::string("VALIDATION_FAILED"), e.code());
                auto fields = e.details()->getObject("fields");
                CPPUNIT_ASSERT_MESSAGE(bad, fields && fields->has("patient_id"));
            }
        }
    }

    void outOfRangeAndOverflowAre422()
    {
        for (const std::string bad : {"0", "501", "99999999999999999999", "9223372036854775808"}) {
            std::map<std::string, std::string> errors;
            CPPUNIT_ASSERT(!withQuery("limit", bad).queryInt("limit", 1, 500, errors));
            CPPUNIT_ASSERT_MESSAGE(bad, errors.count("limit"));
        }
    }

    void errorsCollectWithoutThrowing()
    {
        Request r;
        r.queryParams.emplace("limit", "x");
        r.queryParams.emplace("cursor", "5");
        std::map<std::string, std::string> errors;
        CPPUNIT_ASSERT(!r.queryInt("limit", 1, 500, errors));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(5), *r.queryInt("cursor", 0, 100, errors));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), errors.size());
    }

    void logEscapeWritesControlAndInvalidBytesAsHex()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("/api/v1/x"), clinic::escapeForLog("/api/v1/x"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("/a\\x0aFAKE 200\\x1b[31m"), clinic::escapeForLog("/a\nFAKE 200\x1b[31m"));
        CPPUNIT_ASSERT_EQUAL(std::string("\\x7f\\x00"), clinic::escapeForLog(std::string("\x7f\0", 2)));
        // Valid UTF-8 stays readable; a stray or overlong byte does not pass.
        CPPUNIT_ASSERT_EQUAL(std::string("Ștefan"), clinic::escapeForLog("Ștefan"));
        CPPUNIT_ASSERT_EQUAL(std::string("a\\xffb\\xc0\\xafc"),
            clinic::escapeForLog("a\xff"
                                 "b\xc0\xaf"
                                 "c"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(QueryIntTest);
