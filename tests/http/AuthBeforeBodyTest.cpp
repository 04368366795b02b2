// Refusals decided from the request head are sent before the body: nobody
// can make the daemon wait for (or read) megabytes it will refuse anyway. A
// caller without a token, a caller whose role the route refuses, and a
// Content-Length over the limit are each answered at once, body unsent, and
// the connection is then closed.

#include <cppunit/extensions/HelperMacros.h>

#include "IdentityTestSupport.h"
#include "IntegrationSupport.h"
#include "RawHttp.h"

using namespace clinic::test;
using namespace std::chrono_literals;

namespace {

constexpr long kNineMegabytes = 9L * 1024 * 1024;
constexpr long kLimit = 16L * 1024 * 1024; ///< over nine megabytes, so only the token can refuse them

Daemon::Options refusingDaemon()
{
    Daemon::Options o;
    o.config["http.max_body_bytes"] = std::to_string(kLimit);
    o.config["auth.rate_limit_per_minute"] = "0";
    return o;
}

/// An admin-only route that reads a JSON body.
std::string createUserHead(long contentLength, const std::string& token)
{
    return "POST /api/v1/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + (token.empty() ? std::string() : "Authorization: Bearer " + token + "\r\n")
        + "Content-Length: " + std::to_string(contentLength) + "\r\n\r\n";
}

void assertAnsweredBeforeTheBody(
    const Daemon& d, const std::string& head, int status, const std::string& code)
{
    RawConnection conn(d.port());
    conn.send(head);
    const auto t0 = std::chrono::steady_clock::now();
    auto r = conn.readResponse(3s);
    CPPUNIT_ASSERT_MESSAGE("no " + std::to_string(status) + " within 3 s of the head (body never sent)", r);
    assertEnvelope(*r, status, code);
    CPPUNIT_ASSERT_MESSAGE(
        "answered after " + std::to_string(millisSince(t0)) + " ms", millisSince(t0) < 3000);
    // The body was announced and never sent: the connection cannot be reused.
    CPPUNIT_ASSERT_MESSAGE("the connection stayed open", conn.closedWithin(3s));
}

} // namespace

class AuthBeforeBodyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(AuthBeforeBodyTest);
    CPPUNIT_TEST(unauthenticatedNineMegabytePostIs401WithoutTheBody);
    CPPUNIT_TEST(patientOnAnAdminRouteIs403WithoutTheBody);
    CPPUNIT_TEST(contentLengthOverTheLimitIs413WithoutTheBody);
    CPPUNIT_TEST_SUITE_END();

public:
    void unauthenticatedNineMegabytePostIs401WithoutTheBody()
    {
        Daemon d(refusingDaemon());
        assertAnsweredBeforeTheBody(d, createUserHead(kNineMegabytes, ""), 401, "UNAUTHENTICATED");
        assertStillServing(d);
    }

    void patientOnAnAdminRouteIs403WithoutTheBody()
    {
        Daemon d(refusingDaemon());
        auto c = d.client();
        auto admin = firstAdmin(d, c);
        // No records plugin is loaded, so any patient id links.
        auto patient = createAndSignIn(c, admin, "front.desk.patient", "patient", "\"patient_id\":1");
        assertAnsweredBeforeTheBody(d, createUserHead(kNineMegabytes, patient.accessToken), 403, "FORBIDDEN");
        assertStillServing(d);
    }

    void contentLengthOverTheLimitIs413WithoutTheBody()
    {
        Daemon d(refusingDaemon());
        auto c = d.client();
        auto admin = firstAdmin(d, c);
        assertAnsweredBeforeTheBody(
            d, createUserHead(kLimit + 1, admin.accessToken), 413, "PAYLOAD_TOO_LARGE");
        assertStillServing(d);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(AuthBeforeBodyTest);
