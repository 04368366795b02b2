// Failed-login throttling (per username and per address, counted in the
// database), the audit trail and its API, and that no secret reaches the
// log or the audit.

#include <algorithm>
#include <thread>
#include <vector>

#include <cppunit/extensions/HelperMacros.h>

#include "IdentityTestSupport.h"

using namespace clinic::test;

namespace {

Poco::JSON::Array::Ptr auditItems(HttpClient& c, const Account& admin, const std::string& query)
{
    auto r = c.get("/api/v1/audit" + query, bearer(admin.accessToken));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
    return r.json()->getArray("items");
}

bool hasAction(const Poco::JSON::Array::Ptr& items, const std::string& action, const std::string& actor = "")
{
    for (std::size_t i = 0; i < items->size(); ++i) {
        auto o = items->getObject(static_cast<unsigned>(i));
        if (o->getValue<std::string>("action") == action
            && (actor.empty() || o->getValue<std::string>("actor_username") == actor))
            return true;
    }
    return false;
}

} // namespace

class ThrottleAuditTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ThrottleAuditTest);
    CPPUNIT_TEST(theSixthBadPasswordInTheWindowIs429WithRetryAfter);
    CPPUNIT_TEST(guessingManyUsernamesFromOneAddressLocksNobodyOut);
    CPPUNIT_TEST(parallelWrongPasswordsAreCountedBeforeHashing);
    CPPUNIT_TEST(aStrangerCannotSlowTheOwnerFromAnotherAddress);
    CPPUNIT_TEST(forwardedForIsIgnoredUnlessThePeerIsATrustedProxy);
    CPPUNIT_TEST(aThrottledBurstIsAuditedOnce);
    CPPUNIT_TEST(aClientRequestIdIsKeptOnlyWhenShortAndPlain);
    CPPUNIT_TEST(securityEventsAreAuditedNamingTheActor);
    CPPUNIT_TEST(auditFiltersAndCursorsWork);
    CPPUNIT_TEST(theAuditTableRefusesUpdateAndDelete);
    CPPUNIT_TEST(noPasswordOrTokenReachesTheLogOrTheAudit);
    CPPUNIT_TEST_SUITE_END();

public:
    void theSixthBadPasswordInTheWindowIs429WithRetryAfter()
    {
        Daemon d;
        auto c = d.client();
        addAdminWithClinicctl(d, "victim", kPassword);
        for (int i = 0; i < 5; ++i)
            CPPUNIT_ASSERT_EQUAL(401, login(c, "victim", "Wrong-Password-" + std::to_string(i)).status);
        auto sixth = login(c, "victim", "Wrong-Password-6");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(sixth.body, 429, sixth.status);
        CPPUNIT_ASSERT_EQUAL(std::string("RATE_LIMITED"), sixth.errorCode());
        // A slow-down, not a lock: the first wait is 2 seconds.
        const int retry = std::stoi(sixth.header("Retry-After"));
        CPPUNIT_ASSERT(retry >= 1 && retry <= 2);
        // Even the right password waits until then.
        CPPUNIT_ASSERT_EQUAL(429, login(c, "victim", kPassword).status);
        std::this_thread::sleep_for(std::chrono::seconds(retry + 1));
        CPPUNIT_ASSERT_EQUAL(200, login(c, "victim", kPassword).status);
    }

    void guessingManyUsernamesFromOneAddressLocksNobodyOut()
    {
        // Everyone behind one NAT or proxy shares an address: failures with
        // other usernames from it must not hold up a real account.
        Daemon d;
        auto c = d.client();
        addAdminWithClinicctl(d, "someone", kPassword);
        for (int i = 0; i < 25; ++i) {
            auto r = login(c, "random.user." + std::to_string(i), "Wrong-Password-1");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 401, r.status);
        }
        auto real = login(c, "someone", kPassword);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(real.body, 200, real.status);
    }

    void parallelWrongPasswordsAreCountedBeforeHashing()
    {
        Daemon d;
        addAdminWithClinicctl(d, "victim", kPassword);
        constexpr int kParallel = 14;
        std::vector<int> statuses(kParallel, 0);
        std::vector<std::thread> threads;
        for (int i = 0; i < kParallel; ++i)
            threads.emplace_back([&, i] {
                auto c = d.client();
                statuses[i] = login(c, "victim", "Wrong-Password-" + std::to_string(i)).status;
            });
        for (auto& t : threads)
            t.join();
        const long evaluated = std::count(statuses.begin(), statuses.end(), 401);
        const long throttled = std::count(statuses.begin(), statuses.end(), 429);
        CPPUNIT_ASSERT_EQUAL(long(kParallel), evaluated + throttled);
        // The allowance is 5; each attempt counts before its password is
        // hashed, so the other 9 are refused without being evaluated.
        CPPUNIT_ASSERT_MESSAGE(std::to_string(evaluated) + " evaluated", evaluated <= 5);
    }

    void aStrangerCannotSlowTheOwnerFromAnotherAddress()
    {
        Daemon::Options o;
        o.config["http.trusted_proxies"] = "127.0.0.0/8";
        Daemon d(o);
        auto c = d.client();
        auto admin = firstAdmin(d, c);
        const std::map<std::string, std::string> stranger {{"X-Forwarded-For", "198.51.100.66"}};
        int refused = 0;
        for (int i = 0; i < 12; ++i) {
            std::string body
                = "{\"username\":\"root.admin\",\"password\":\"Wrong-Password-" + std::to_string(i) + "\"}";
            refused += c.post("/api/v1/auth/login", body, stranger).status == 429;
        }
        CPPUNIT_ASSERT(refused >= 6);
        // The owner, forwarded from another address, signs in at once.
        std::string body = "{\"username\":\"root.admin\",\"password\":\"" + kPassword + "\"}";
        auto owner = c.post("/api/v1/auth/login", body, {{"X-Forwarded-For", "198.51.100.10"}});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(owner.body, 200, owner.status);
        // The audit names the forwarded address.
        auto items = auditItems(c, admin, "?limit=500");
        bool seen = false;
        for (std::size_t i = 0; i < items->size(); ++i) {
            auto row = items->getObject(static_cast<unsigned>(i));
            if (row->getValue<std::string>("action") == "login.failed")
                seen = seen || row->getValue<std::string>("client_address") == "198.51.100.66";
        }
        CPPUNIT_ASSERT(seen);
    }

    void forwardedForIsIgnoredUnlessThePeerIsATrustedProxy()
    {
        Daemon d;
        auto c = d.client();
        addAdminWithClinicctl(d, "victim", kPassword);
        // Without a trusted proxy a client cannot step around the slow-down by
        // naming a new address in every request.
        int refused = 0;
        for (int i = 0; i < 8; ++i) {
            std::string body
                = "{\"username\":\"victim\",\"password\":\"Wrong-Password-" + std::to_string(i) + "\"}";
            refused += c.post("/api/v1/auth/login", body,
                            {{"X-Forwarded-For", "198.51.100." + std::to_string(i)}})
                           .status
                == 429;
        }
        CPPUNIT_ASSERT_EQUAL(3, refused);
    }

    void aThrottledBurstIsAuditedOnce()
    {
        Daemon d;
        auto c = d.client();
        addAdminWithClinicctl(d, "victim", kPassword);
        for (int i = 0; i < 5; ++i)
            CPPUNIT_ASSERT_EQUAL(401, login(c, "victim", "Wrong-Password-" + std::to_string(i)).status);
        // A burst is a run of refusals; on a slow machine the delay may pass
        // inside the loop, and the next evaluated failure starts a new one.
        long bursts = 0, refused = 0;
        int previous = 401;
        for (int i = 0; i < 10; ++i) {
            const int status = login(c, "victim", "Wrong-Password-x").status;
            CPPUNIT_ASSERT(status == 429 || status == 401);
            bursts += status == 429 && previous != 429;
            refused += status == 429;
            previous = status;
        }
        CPPUNIT_ASSERT(refused > bursts);
        CPPUNIT_ASSERT_EQUAL(bursts, countRows(d, "audit_log", "action = 'login.throttled'"));
    }

    void aClientRequestIdIsKeptOnlyWhenShortAndPlain()
    {
        Daemon d;
        auto c = d.client();
        auto admin = firstAdmin(d, c);
        auto me = [&](const std::string& id) {
            auto h = bearer(admin.accessToken);
            h["X-Request-ID"] = id;
            return c.get("/api/v1/auth/me", h).header("X-Request-ID");
        };
        CPPUNIT_ASSERT_EQUAL(std::string("desk-7.req:42"), me("desk-7.req:42"));
        const std::string tooLong(65, 'a');
        for (const std::string& bad :
            {tooLong, std::string("a b"), std::string("x\"><script>"), std::string("ü-id")}) {
            const std::string answered = me(bad);
            CPPUNIT_ASSERT_MESSAGE(bad, answered != bad && !answered.empty() && answered.size() <= 64);
        }
        // What the audit stores is the same bounded id.
        auto h = bearer(admin.accessToken);
        h["X-Request-ID"] = tooLong;
        c.post("/api/v1/auth/logout", "", h);
        CPPUNIT_ASSERT_EQUAL(0L, countRows(d, "audit_log", "request_id = '" + tooLong.substr(0, 64) + "'"));
    }

    void securityEventsAreAuditedNamingTheActor()
    {
        Daemon d;
        auto c = d.client();
        auto admin = firstAdmin(d, c);
        CPPUNIT_ASSERT_EQUAL(401, login(c, "root.admin", "Wrong-Password-1").status);
        CPPUNIT_ASSERT_EQUAL(401, login(c, "ghost", "Wrong-Password-2").status);
        auto nurse = createAndSignIn(c, admin, "nurse.a", "nurse");
        const std::string id = std::to_string(nurse.id);
        c.request("PATCH", "/api/v1/users/" + id, "{\"role\":\"doctor\"}", bearer(admin.accessToken));
        c.request("PATCH", "/api/v1/users/" + id, "{\"password\":\"Another-Good-Password-7\"}",
            bearer(admin.accessToken));
        c.request("PATCH", "/api/v1/users/" + id, "{\"active\":false}", bearer(admin.accessToken));
        c.post("/api/v1/auth/logout", "", bearer(admin.accessToken));
        auto again = signIn(c, "root.admin");

        auto items = auditItems(c, again, "?limit=500");
        CPPUNIT_ASSERT(hasAction(items, "login", "root.admin"));
        CPPUNIT_ASSERT(hasAction(items, "login", "nurse.a"));
        CPPUNIT_ASSERT(hasAction(items, "login.failed", "root.admin"));
        CPPUNIT_ASSERT(hasAction(items, "login.failed", "ghost"));
        CPPUNIT_ASSERT(hasAction(items, "user.create", "root.admin"));
        CPPUNIT_ASSERT(hasAction(items, "user.role_change", "root.admin"));
        CPPUNIT_ASSERT(hasAction(items, "user.password_reset", "root.admin"));
        CPPUNIT_ASSERT(hasAction(items, "user.deactivate", "root.admin"));
        CPPUNIT_ASSERT(hasAction(items, "logout", "root.admin"));
        // Every row names the actor's role, request id and address.
        for (std::size_t i = 0; i < items->size(); ++i) {
            auto row = items->getObject(static_cast<unsigned>(i));
            CPPUNIT_ASSERT(!row->getValue<std::string>("request_id").empty());
            CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), row->getValue<std::string>("client_address"));
            if (row->getValue<std::string>("action") == "user.role_change") {
                CPPUNIT_ASSERT_EQUAL(admin.id, row->getValue<std::int64_t>("actor_id"));
                CPPUNIT_ASSERT_EQUAL(std::string("admin"), row->getValue<std::string>("actor_role"));
                CPPUNIT_ASSERT_EQUAL(id, row->getValue<std::string>("object_id"));
                CPPUNIT_ASSERT_EQUAL(std::string("nurse -> doctor"), row->getValue<std::string>("reason"));
            }
        }
    }

    void auditFiltersAndCursorsWork()
    {
        Daemon d;
        auto c = d.client();
        auto admin = firstAdmin(d, c);
        auto nurse = createAndSignIn(c, admin, "nurse.b", "nurse");
        // Each read of the trail is audited with the patient it asked about.
        auditItems(c, admin, "?patient_id=7");
        auditItems(c, admin, "?patient_id=8");
        auto seven = auditItems(c, admin, "?patient_id=7");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), seven->size());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(7), seven->getObject(0)->getValue<std::int64_t>("patient_id"));

        auto byNurse = auditItems(c, admin, "?actor_id=" + std::to_string(nurse.id));
        CPPUNIT_ASSERT(byNurse->size() >= 1);
        for (std::size_t i = 0; i < byNurse->size(); ++i)
            CPPUNIT_ASSERT_EQUAL(
                nurse.id, byNurse->getObject(static_cast<unsigned>(i))->getValue<std::int64_t>("actor_id"));

        CPPUNIT_ASSERT_EQUAL(std::size_t(0), auditItems(c, admin, "?to=2000-01-01T00:00:00Z")->size());
        CPPUNIT_ASSERT(auditItems(c, admin, "?from=2000-01-01T00:00:00Z")->size() >= 3);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), auditItems(c, admin, "?from=2999-01-01T00:00:00Z")->size());

        // Pages of two, newest first, no row twice, until next_cursor is null.
        std::set<std::int64_t> seen;
        std::string cursor;
        int pages = 0;
        std::int64_t last = INT64_MAX;
        do {
            auto r = c.get("/api/v1/audit?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor),
                bearer(admin.accessToken));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
            auto items = r.json()->getArray("items");
            for (std::size_t i = 0; i < items->size(); ++i) {
                auto rowId = items->getObject(static_cast<unsigned>(i))->getValue<std::int64_t>("id");
                CPPUNIT_ASSERT(rowId < last);
                last = rowId;
                CPPUNIT_ASSERT(seen.insert(rowId).second);
            }
            cursor = r.json()->isNull("next_cursor") ? "" : r.json()->getValue<std::string>("next_cursor");
        } while (!cursor.empty() && ++pages < 50);
        CPPUNIT_ASSERT(seen.size() >= 5);

        auto bad = c.get("/api/v1/audit?patient_id=x&from=yesterday&limit=9999", bearer(admin.accessToken));
        CPPUNIT_ASSERT_EQUAL(422, bad.status);
        auto fields = bad.json()->getObject("error")->getObject("details")->getObject("fields");
        CPPUNIT_ASSERT_MESSAGE(
            bad.body, fields->has("patient_id") && fields->has("from") && fields->has("limit"));
        CPPUNIT_ASSERT_EQUAL(403, c.get("/api/v1/audit", bearer(nurse.accessToken)).status);
    }

    void theAuditTableRefusesUpdateAndDelete()
    {
        Daemon d;
        auto c = d.client();
        firstAdmin(d, c);
        auto count = runSql(d, "SELECT COUNT(*) FROM audit_log;");
        CPPUNIT_ASSERT_MESSAGE(count.second, count.first);
        auto update = runSql(d, "UPDATE audit_log SET action = 'nothing';");
        CPPUNIT_ASSERT_MESSAGE(update.second, !update.first);
        CPPUNIT_ASSERT_MESSAGE(update.second, update.second.find("append-only") != std::string::npos);
        auto del = runSql(d, "DELETE FROM audit_log;");
        CPPUNIT_ASSERT_MESSAGE(del.second, !del.first);
        CPPUNIT_ASSERT_MESSAGE(del.second, del.second.find("append-only") != std::string::npos);
        auto after = runSql(d, "SELECT COUNT(*) FROM audit_log;");
        CPPUNIT_ASSERT_EQUAL(count.second, after.second);
        // Inserting still works: the trail is append-only, not read-only.
        auto insert = runSql(d, "INSERT INTO audit_log (at, action) VALUES (1, 'test.insert');");
        CPPUNIT_ASSERT_MESSAGE(insert.second, insert.first);
    }

    void noPasswordOrTokenReachesTheLogOrTheAudit()
    {
        Daemon d; // the harness runs it at log.level debug
        auto c = d.client();
        auto admin = firstAdmin(d, c);
        const std::string wrong = "Mistyped-Secret-Password-99";
        login(c, "root.admin", wrong);
        const std::string reset = "Fresh-Reset-Password-55";
        auto nurse = createAndSignIn(c, admin, "nurse.c", "nurse");
        c.request("PATCH", "/api/v1/users/" + std::to_string(nurse.id), "{\"password\":\"" + reset + "\"}",
            bearer(admin.accessToken));
        auto refreshed = c.post("/api/v1/auth/refresh", "{\"refresh_token\":\"" + admin.refreshToken + "\"}");
        CPPUNIT_ASSERT_EQUAL(200, refreshed.status);
        auto admin2 = admin;
        admin2.accessToken = refreshed.json()->getValue<std::string>("access_token");
        auto everything = c.get("/api/v1/audit?limit=500", bearer(admin2.accessToken));
        CPPUNIT_ASSERT_EQUAL(200, everything.status);
        auto dump = runSql(d, "SELECT * FROM audit_log;");
        const std::string log = d.log();
        for (const std::string& secret : {kPassword, wrong, reset, admin.accessToken, admin.refreshToken,
                 nurse.accessToken, nurse.refreshToken, admin2.accessToken}) {
            CPPUNIT_ASSERT_MESSAGE("secret in the log", log.find(secret) == std::string::npos);
            CPPUNIT_ASSERT_MESSAGE("secret in the audit", everything.body.find(secret) == std::string::npos);
            CPPUNIT_ASSERT_MESSAGE("secret in audit_log", dump.second.find(secret) == std::string::npos);
        }
        // The refresh token's hash is stored, never the token.
        auto stored = runSql(d, "SELECT token_hash FROM refresh_tokens;");
        CPPUNIT_ASSERT(stored.second.find(admin.refreshToken) == std::string::npos);
        CPPUNIT_ASSERT(stored.second.find(admin.refreshToken.substr(33)) == std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ThrottleAuditTest);
