// The kernel's HTTP behaviour through the real clinicd binary: health,
// time, plugin list, the error envelope and request ids.

#include <cppunit/extensions/HelperMacros.h>

#include "TestSupport.h"

using namespace clinic::test;

class KernelHttpTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(KernelHttpTest);
    CPPUNIT_TEST(readyAnswers200WithTheDatabaseCheck);
    CPPUNIT_TEST(unknownPathIs404InTheEnvelope);
    CPPUNIT_TEST_SUITE_END();

public:
    void readyAnswers200WithTheDatabaseCheck()
    {
        Daemon d;
        auto client = d.client();
        auto r = client.get("/health/ready");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        CPPUNIT_ASSERT(r.json()->getObject("checks")->getObject("database")->getValue<bool>("ok"));
    }

    void unknownPathIs404InTheEnvelope()
    {
        Daemon d;
        auto client = d.client();
        auto r = client.get("/api/v1/nothing-here", {{"X-Request-ID", "abc-123"}});
        CPPUNIT_ASSERT_EQUAL(404, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("NOT_FOUND"), r.errorCode());
        CPPUNIT_ASSERT_EQUAL(std::string("abc-123"), r.header("X-Request-ID"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("abc-123"), r.json()->getObject("error")->getValue<std::string>("request_id"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(KernelHttpTest);
