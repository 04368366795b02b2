// The stream's limits through the real clinicd: the per-account and total
// caps answer 429 and 503 in the error envelope and free up when a stream
// closes; a stream ends when its access token expires, when its session is
// logged out and when its account is deactivated.

#include <cppunit/extensions/HelperMacros.h>

#include "StreamWorld.h"

using namespace clinic::test;

namespace {

/// Two streams per account, three in all.
ClinicFixture& capped()
{
    static ClinicFixture clinic([] {
        ClinicFixture::Options o;
        o.daemon = streamDaemonOptions();
        o.daemon.config["events.max_streams"] = "3";
        o.daemon.config["events.max_streams_per_user"] = "2";
        o.accountPrefix = "capped";
        o.roles = {"nurse", "doctor", "receptionist"};
        return o;
    }());
    return clinic;
}

/// Access tokens that live four seconds; sessions checked every second.
ClinicFixture& shortLived()
{
    static ClinicFixture clinic([] {
        ClinicFixture::Options o;
        o.daemon = streamDaemonOptions();
        o.daemon.config["auth.access_ttl_seconds"] = "4";
        o.daemon.config["events.session_check_seconds"] = "1";
        o.accountPrefix = "brief";
        o.roles = {};
        return o;
    }());
    return clinic;
}

/// A fresh receptionist on shortLived(), signed in just now.
Account freshReceptionist(const std::string& name)
{
    auto& clinic = shortLived();
    auto& client = clinic.client();
    const Account admin = signIn(client, "root.admin");
    return createAndSignIn(client, admin, "brief." + name, "receptionist");
}

std::string closeReason(const StreamClient& s)
{
    const auto closed = s.eventsOf("stream.closed");
    return closed.empty() ? "" : closed.back().json()->getValue<std::string>("reason");
}

} // namespace

class EventStreamLimitsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(EventStreamLimitsTest);
    CPPUNIT_TEST(theCapsAnswer429And503AndFreeUpWhenAStreamCloses);
    CPPUNIT_TEST(aStreamEndsWhenItsTokenExpires);
    CPPUNIT_TEST(aStreamEndsWhenItsSessionLogsOut);
    CPPUNIT_TEST(aStreamEndsWhenItsAccountIsDeactivated);
    CPPUNIT_TEST_SUITE_END();

public:
    void theCapsAnswer429And503AndFreeUpWhenAStreamCloses()
    {
        auto& clinic = capped();
        const int port = clinic.daemon().port();
        const std::string nurse = clinic.account("nurse").accessToken;
        auto first = std::make_unique<StreamClient>(port, nurse);
        StreamClient second(port, nurse);
        CPPUNIT_ASSERT(first->waitOpened() && second.waitOpened());
        StreamClient third(port, nurse);
        CPPUNIT_ASSERT_EQUAL(429, third.status());
        eventually([&] { return third.text().find("RATE_LIMITED") != std::string::npos; });
        CPPUNIT_ASSERT_MESSAGE(
            third.text(), third.text().find("\"code\":\"RATE_LIMITED\"") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(third.text(), third.text().find("Retry-After: ") != std::string::npos);

        StreamClient doctor(port, clinic.account("doctor").accessToken);
        CPPUNIT_ASSERT(doctor.waitOpened());
        StreamClient desk(port, clinic.account("receptionist").accessToken);
        CPPUNIT_ASSERT_EQUAL(503, desk.status());
        eventually([&] { return desk.text().find("TOO_MANY_STREAMS") != std::string::npos; });
        CPPUNIT_ASSERT_MESSAGE(
            desk.text(), desk.text().find("\"code\":\"TOO_MANY_STREAMS\"") != std::string::npos);

        // One nurse stream goes: the receptionist gets its place.
        first.reset();
        CPPUNIT_ASSERT_MESSAGE(logTail(clinic.daemon()), eventually([&] {
            StreamClient again(port, clinic.account("receptionist").accessToken);
            return again.status() == 200;
        }));
    }

    void aStreamEndsWhenItsTokenExpires()
    {
        const Account desk = freshReceptionist("expiring");
        const auto opened = std::chrono::steady_clock::now();
        StreamClient s(shortLived().daemon().port(), desk.accessToken);
        CPPUNIT_ASSERT(s.waitOpened());
        CPPUNIT_ASSERT_MESSAGE(s.text(), s.waitClosed(std::chrono::seconds(8)));
        CPPUNIT_ASSERT_EQUAL(std::string("token_expired"), closeReason(s));
        // Not before the token's four seconds (less the time signing in took).
        CPPUNIT_ASSERT(std::chrono::steady_clock::now() - opened > std::chrono::seconds(2));
    }

    void aStreamEndsWhenItsSessionLogsOut()
    {
        const Account desk = freshReceptionist("leaving");
        StreamClient s(shortLived().daemon().port(), desk.accessToken);
        CPPUNIT_ASSERT(s.waitOpened());
        auto r = shortLived().client().post("/api/v1/auth/logout", "{}", bearer(desk.accessToken));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 204, r.status);
        CPPUNIT_ASSERT_MESSAGE(s.text(), s.waitClosed(std::chrono::seconds(3)));
        CPPUNIT_ASSERT_EQUAL(std::string("session_ended"), closeReason(s));
    }

    void aStreamEndsWhenItsAccountIsDeactivated()
    {
        const Account desk = freshReceptionist("deactivated");
        StreamClient s(shortLived().daemon().port(), desk.accessToken);
        CPPUNIT_ASSERT(s.waitOpened());
        const Account admin = signIn(shortLived().client(), "root.admin");
        auto r = shortLived().client().request("PATCH", "/api/v1/users/" + std::to_string(desk.id),
            R"({"active":false})", bearer(admin.accessToken));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        CPPUNIT_ASSERT_MESSAGE(s.text(), s.waitClosed(std::chrono::seconds(3)));
        CPPUNIT_ASSERT_EQUAL(std::string("session_ended"), closeReason(s));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(EventStreamLimitsTest);
