// One daemon per port: a second clinicd started by mistake on the port a
// running one holds (a second unit, a manual start during an upgrade) must
// refuse to start and say why, and must not take any of the first one's
// requests (as it could if the port were shared with SO_REUSEPORT).

#include <cppunit/extensions/HelperMacros.h>

#include "IdentityTestSupport.h"
#include "IntegrationSupport.h"
#include "RawHttp.h"

using namespace clinic::test;

class TwoDaemonsOnePortTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(TwoDaemonsOnePortTest);
    CPPUNIT_TEST(secondDaemonOnATakenPortExitsAndTheFirstKeepsEveryRequest);
    CPPUNIT_TEST_SUITE_END();

public:
    void secondDaemonOnATakenPortExitsAndTheFirstKeepsEveryRequest()
    {
        Daemon::Options o;
        o.config["auth.rate_limit_per_minute"] = "0";
        Daemon first(o);
        addAdminWithClinicctl(first, "desk.admin", kPassword);

        Daemon::Options again;
        again.config["http.port"] = std::to_string(first.port());
        again.waitLive = false;
        Daemon second(again);
        const int code = second.waitExit(30);
        const std::string log = second.log();
        // If it is still running it holds the port beside the first one: the
        // logins below show whether it takes requests.
        const bool exited = code != -1;

        int ok = 0;
        std::string firstFailure;
        for (int i = 0; i < 50; ++i) {
            // A fresh connection each time, so the kernel could spread them
            // across two listeners if two existed.
            auto fresh = first.client();
            auto r = login(fresh, "desk.admin", kPassword);
            if (r.status == 200)
                ++ok;
            else if (firstFailure.empty())
                firstFailure = std::to_string(r.status) + " " + r.body.substr(0, 200);
        }
        const std::string logins = " (logins the first answered 200: " + std::to_string(ok) + "/50"
            + (firstFailure.empty() ? std::string() : "; first failure: " + firstFailure) + ")";
        CPPUNIT_ASSERT_MESSAGE("the second clinicd is still running on the taken port" + logins, exited);
        CPPUNIT_ASSERT_MESSAGE("the second clinicd exited 0", code != 0);
        CPPUNIT_ASSERT_MESSAGE("its log does not say why: " + log,
            lowerCase(log).find("address already in use") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE("its log does not name the address and port: " + log,
            log.find("127.0.0.1:" + std::to_string(first.port())) != std::string::npos);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(
            "logins answered 200 by the first daemon; first failure: " + firstFailure, 50, ok);
        CPPUNIT_ASSERT(first.running());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(TwoDaemonsOnePortTest);
