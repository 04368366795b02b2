// Changes to one account, or to the last admins, made at the same time:
// each PATCH is decided on the row as it is when it commits, never on an
// older read, on SQLite and on MariaDB.

#include <atomic>
#include <functional>
#include <thread>

#include <cppunit/extensions/HelperMacros.h>

#include "ClinicFixture.h"
#include "IdentityTestSupport.h"

using namespace clinic::test;

namespace {

/// Runs both requests at once (each on its own connection) and returns their answers.
std::pair<HttpResult, HttpResult> together(const Daemon& d, const std::function<HttpResult(HttpClient&)>& a,
    const std::function<HttpResult(HttpClient&)>& b)
{
    auto ca = d.client(), cb = d.client();
    std::atomic<int> ready {0};
    HttpResult ra, rb;
    auto run = [&](HttpClient& c, const std::function<HttpResult(HttpClient&)>& step, HttpResult& out) {
        ready.fetch_add(1);
        while (ready.load() < 2)
            std::this_thread::yield();
        out = step(c);
    };
    std::thread ta(run, std::ref(ca), std::cref(a), std::ref(ra));
    std::thread tb(run, std::ref(cb), std::cref(b), std::ref(rb));
    ta.join();
    tb.join();
    return {ra, rb};
}

} // namespace

class UsersConcurrencyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(UsersConcurrencyTest);
    CPPUNIT_TEST(aPasswordResetAndARoleChangeAtOnceBothHold);
    CPPUNIT_TEST(twoAdminsDemotingThemselvesAtOnceLeaveOneAdmin);
    CPPUNIT_TEST(aDoctorLinkNamesAnExistingDoctor);
    CPPUNIT_TEST_SUITE_END();

public:
    void aPasswordResetAndARoleChangeAtOnceBothHold()
    {
        Daemon d;
        auto c = d.client();
        auto admin = firstAdmin(d, c);
        auto nurse = createAndSignIn(c, admin, "nurse.race", "nurse");
        const std::string path = "/api/v1/users/" + std::to_string(nurse.id);
        const std::vector<std::string> roles = {"receptionist", "nurse", "receptionist"};
        for (std::size_t round = 0; round < roles.size(); ++round) {
            const std::string password = "Round-" + std::to_string(round) + "-Fresh-Secret-Phrase";
            // The reset spends a scrypt hash between its read and its write;
            // the role change lands inside that time.
            auto [reset, change] = together(
                d,
                [&](HttpClient& h) {
                    return h.request(
                        "PATCH", path, "{\"password\":\"" + password + "\"}", bearer(admin.accessToken));
                },
                [&](HttpClient& h) {
                    return h.request(
                        "PATCH", path, "{\"role\":\"" + roles[round] + "\"}", bearer(admin.accessToken));
                });
            CPPUNIT_ASSERT_EQUAL_MESSAGE(reset.body, 200, reset.status);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(change.body, 200, change.status);
            auto now = c.get(path, bearer(admin.accessToken));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(
                "round " + std::to_string(round), roles[round], now.json()->getValue<std::string>("role"));
            CPPUNIT_ASSERT_EQUAL(200, login(c, "nurse.race", password).status);
        }
    }

    void twoAdminsDemotingThemselvesAtOnceLeaveOneAdmin()
    {
        Daemon d;
        auto c = d.client();
        auto first = firstAdmin(d, c, "admin.one");
        auto second = createAndSignIn(c, first, "admin.two", "admin");
        for (int round = 0; round < 6; ++round) {
            auto [a, b] = together(
                d,
                [&](HttpClient& h) {
                    return h.request("PATCH", "/api/v1/users/" + std::to_string(first.id),
                        "{\"role\":\"nurse\"}", bearer(first.accessToken));
                },
                [&](HttpClient& h) {
                    return h.request("PATCH", "/api/v1/users/" + std::to_string(second.id),
                        "{\"role\":\"nurse\"}", bearer(second.accessToken));
                });
            CPPUNIT_ASSERT_EQUAL_MESSAGE(
                "round " + std::to_string(round), 1L, countRows(d, "users", "role = 'admin' AND active = 1"));
            CPPUNIT_ASSERT_MESSAGE(a.body + b.body,
                (a.status == 200 && b.status == 409) || (a.status == 409 && b.status == 200));
            // The one still admin makes the other admin again for the next round.
            const bool firstStayed = a.status == 409;
            const Account& stayed = firstStayed ? first : second;
            const Account& left = firstStayed ? second : first;
            auto back = c.request("PATCH", "/api/v1/users/" + std::to_string(left.id), "{\"role\":\"admin\"}",
                bearer(stayed.accessToken));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(back.body, 200, back.status);
        }
    }

    void aDoctorLinkNamesAnExistingDoctor()
    {
        ClinicFixture::Options o;
        o.roles = {};
        ClinicFixture clinic(o);
        auto& c = clinic.client();
        auto missing = c.post("/api/v1/users",
            "{\"username\":\"dr.nobody\",\"role\":\"doctor\",\"password\":\"" + kPassword
                + "\",\"doctor_id\":4242}",
            clinic.as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(missing.body, 422, missing.status);
        CPPUNIT_ASSERT(
            missing.json()->getObject("error")->getObject("details")->getObject("fields")->has("doctor_id"));
        CPPUNIT_ASSERT_EQUAL(0L, clinic.count("users", "username = 'dr.nobody'"));

        const auto& doctor = clinic.addAccount("doctor", "dr.later", "doctor");
        const std::string path = "/api/v1/users/" + std::to_string(doctor.id);
        auto patch = c.request("PATCH", path, "{\"doctor_id\":4242}", clinic.as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(patch.body, 422, patch.status);

        const auto real = clinic.newDoctor(clinic.newLocation(), {clinic.newService(30)});
        auto linked
            = c.request("PATCH", path, "{\"doctor_id\":" + std::to_string(real) + "}", clinic.as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(linked.body, 200, linked.status);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(UsersConcurrencyTest);
