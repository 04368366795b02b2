// The users API: admins create, list, read and change accounts; everyone
// else is refused; bad input is a 422 naming each field.

#include <cppunit/extensions/HelperMacros.h>

#include "IdentityTestSupport.h"

using namespace clinic::test;

namespace {

Poco::JSON::Object::Ptr fieldsOf(const HttpResult& r)
{
    return r.json()->getObject("error")->getObject("details")->getObject("fields");
}

} // namespace

class UsersApiTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(UsersApiTest);
    CPPUNIT_TEST(anAdminCreatesListsReadsAndChangesAccounts);
    CPPUNIT_TEST(badInputIs422NamingEachField);
    CPPUNIT_TEST(aTakenUsernameIs409);
    CPPUNIT_TEST(nonAdminsAre403AndStrangersAre401);
    CPPUNIT_TEST(theLastActiveAdminCannotBeRemoved);
    CPPUNIT_TEST(registrationIs404UnlessEnabledAnd503WithoutTheRecordsPlugin);
    CPPUNIT_TEST(registrationIsLimitedPerAddress);
    CPPUNIT_TEST(commonAndContextDerivedPasswordsAreRefused);
    CPPUNIT_TEST_SUITE_END();

public:
    void anAdminCreatesListsReadsAndChangesAccounts()
    {
        Daemon d;
        auto c = d.client();
        auto admin = firstAdmin(d, c);
        auto created = c.post("/api/v1/users",
            "{\"username\":\"Dr.House\",\"role\":\"doctor\",\"password\":\"" + kPassword
                + "\",\"doctor_id\":12}",
            bearer(admin.accessToken));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(created.body, 201, created.status);
        auto user = created.json();
        CPPUNIT_ASSERT_EQUAL(std::string("dr.house"), user->getValue<std::string>("username"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(12), user->getValue<std::int64_t>("doctor_id"));
        CPPUNIT_ASSERT(!user->has("password") && !user->has("password_hash"));
        const std::string id = std::to_string(user->getValue<std::int64_t>("id"));

        auto one = c.get("/api/v1/users/" + id, bearer(admin.accessToken));
        CPPUNIT_ASSERT_EQUAL(200, one.status);
        CPPUNIT_ASSERT(one.body.find("scrypt") == std::string::npos);
        CPPUNIT_ASSERT_EQUAL(404, c.get("/api/v1/users/999999", bearer(admin.accessToken)).status);

        c.post("/api/v1/users",
            "{\"username\":\"pat\",\"role\":\"patient\",\"password\":\"" + kPassword + "\",\"patient_id\":5}",
            bearer(admin.accessToken));
        auto page1 = c.get("/api/v1/users?limit=2", bearer(admin.accessToken));
        CPPUNIT_ASSERT_EQUAL(200, page1.status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), page1.json()->getArray("items")->size());
        const std::string cursor = page1.json()->getValue<std::string>("next_cursor");
        auto page2 = c.get("/api/v1/users?limit=2&cursor=" + cursor, bearer(admin.accessToken));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), page2.json()->getArray("items")->size());
        CPPUNIT_ASSERT(page2.json()->isNull("next_cursor"));

        // A password reset works at the next login; the old password does not.
        auto reset = c.request("PATCH", "/api/v1/users/" + id, "{\"password\":\"Brand-New-Password-8\"}",
            bearer(admin.accessToken));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(reset.body, 200, reset.status);
        CPPUNIT_ASSERT_EQUAL(401, login(c, "dr.house", kPassword).status);
        CPPUNIT_ASSERT_EQUAL(200, login(c, "dr.house", "Brand-New-Password-8").status);

        // A role change drops a link that no longer fits.
        auto nurse
            = c.request("PATCH", "/api/v1/users/" + id, "{\"role\":\"nurse\"}", bearer(admin.accessToken));
        CPPUNIT_ASSERT_EQUAL(200, nurse.status);
        CPPUNIT_ASSERT(!nurse.json()->has("doctor_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("nurse"), nurse.json()->getValue<std::string>("role"));
    }

    void badInputIs422NamingEachField()
    {
        Daemon d;
        auto c = d.client();
        auto admin = firstAdmin(d, c);
        auto r = c.post("/api/v1/users",
            "{\"username\":\"bad name\",\"role\":\"superuser\",\"password\":\"short\"}",
            bearer(admin.accessToken));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 422, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("VALIDATION_FAILED"), r.errorCode());
        auto f = fieldsOf(r);
        CPPUNIT_ASSERT(f->has("username") && f->has("role") && f->has("password"));

        auto quote = c.post("/api/v1/users",
            "{\"username\":\"o'brien\",\"role\":\"nurse\",\"password\":\"" + kPassword + "\"}",
            bearer(admin.accessToken));
        CPPUNIT_ASSERT_EQUAL(422, quote.status);
        CPPUNIT_ASSERT(fieldsOf(quote)->has("username"));
        auto dquote = c.post("/api/v1/users",
            "{\"username\":\"a\\\"b\",\"role\":\"nurse\",\"password\":\"" + kPassword + "\"}",
            bearer(admin.accessToken));
        CPPUNIT_ASSERT_EQUAL(422, dquote.status);

        auto link = c.post("/api/v1/users",
            "{\"username\":\"nurse.x\",\"role\":\"nurse\",\"password\":\"" + kPassword
                + "\",\"patient_id\":3}",
            bearer(admin.accessToken));
        CPPUNIT_ASSERT_EQUAL(422, link.status);
        CPPUNIT_ASSERT(fieldsOf(link)->has("patient_id"));

        auto missing = c.post("/api/v1/users", "{}", bearer(admin.accessToken));
        CPPUNIT_ASSERT_EQUAL(422, missing.status);
        CPPUNIT_ASSERT(fieldsOf(missing)->has("username") && fieldsOf(missing)->has("role")
            && fieldsOf(missing)->has("password"));
        CPPUNIT_ASSERT_EQUAL(400, c.post("/api/v1/users", "{not json", bearer(admin.accessToken)).status);

        auto patch = c.request("PATCH", "/api/v1/users/" + std::to_string(admin.id),
            "{\"role\":\"king\",\"password\":\"aaaaaaaaaaaa\"}", bearer(admin.accessToken));
        CPPUNIT_ASSERT_EQUAL(422, patch.status);
        CPPUNIT_ASSERT(fieldsOf(patch)->has("role"));
    }

    void aTakenUsernameIs409()
    {
        Daemon d;
        auto c = d.client();
        auto admin = firstAdmin(d, c);
        std::string body
            = "{\"username\":\"reception\",\"role\":\"receptionist\",\"password\":\"" + kPassword + "\"}";
        CPPUNIT_ASSERT_EQUAL(201, c.post("/api/v1/users", body, bearer(admin.accessToken)).status);
        auto again = c.post("/api/v1/users",
            "{\"username\":\"RECEPTION\",\"role\":\"nurse\",\"password\":\"" + kPassword + "\"}",
            bearer(admin.accessToken));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(again.body, 409, again.status);
        CPPUNIT_ASSERT_EQUAL(std::string("CONFLICT"), again.errorCode());
    }

    void nonAdminsAre403AndStrangersAre401()
    {
        Daemon d;
        auto c = d.client();
        auto admin = firstAdmin(d, c);
        for (const std::string role : {"doctor", "nurse", "receptionist", "patient"}) {
            auto who = createAndSignIn(c, admin, "user." + role, role);
            CPPUNIT_ASSERT_EQUAL(403, c.get("/api/v1/users", bearer(who.accessToken)).status);
            auto create = c.post("/api/v1/users",
                "{\"username\":\"sneaky\",\"role\":\"admin\",\"password\":\"" + kPassword + "\"}",
                bearer(who.accessToken));
            CPPUNIT_ASSERT_EQUAL(403, create.status);
            CPPUNIT_ASSERT_EQUAL(std::string("FORBIDDEN"), create.errorCode());
            CPPUNIT_ASSERT_EQUAL(403,
                c.request("PATCH", "/api/v1/users/" + std::to_string(who.id), "{\"role\":\"admin\"}",
                     bearer(who.accessToken))
                    .status);
        }
        CPPUNIT_ASSERT_EQUAL(401, c.get("/api/v1/users").status);
    }

    void theLastActiveAdminCannotBeRemoved()
    {
        Daemon d;
        auto c = d.client();
        auto admin = firstAdmin(d, c);
        auto r = c.request("PATCH", "/api/v1/users/" + std::to_string(admin.id), "{\"active\":false}",
            bearer(admin.accessToken));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 409, r.status);
        auto demote = c.request("PATCH", "/api/v1/users/" + std::to_string(admin.id), "{\"role\":\"nurse\"}",
            bearer(admin.accessToken));
        CPPUNIT_ASSERT_EQUAL(409, demote.status);
        CPPUNIT_ASSERT_EQUAL(200, c.get("/api/v1/users", bearer(admin.accessToken)).status);
    }

    void registrationIs404UnlessEnabledAnd503WithoutTheRecordsPlugin()
    {
        std::string body
            = "{\"username\":\"newpatient\",\"password\":\"" + kPassword + "\",\"first_name\":\"A\"}";
        {
            Daemon d;
            auto r = d.client().post("/api/v1/auth/register", body);
            CPPUNIT_ASSERT_EQUAL(404, r.status);
            CPPUNIT_ASSERT_EQUAL(std::string("NOT_FOUND"), r.errorCode());
        }
        Daemon::Options o;
        o.config["auth.registration"] = "true";
        Daemon d(o);
        auto r = d.client().post("/api/v1/auth/register", body);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 503, r.status);
        CPPUNIT_ASSERT(r.body.find("records plugin") != std::string::npos);
    }

    void registrationIsLimitedPerAddress()
    {
        Daemon::Options o;
        o.config["plugins.load"] = "records";
        o.config["auth.registration"] = "true";
        o.config["auth.registration_per_hour"] = "2";
        Daemon d(o);
        auto c = d.client();
        auto reg = [&](const std::string& username, const std::string& password) {
            return c.post("/api/v1/auth/register",
                "{\"username\":\"" + username + "\",\"password\":\"" + password
                    + "\",\"first_name\":\"Ana\",\"last_name\":\"Popescu\",\"birth_date\":\"1990-05-01\","
                      "\"sex\":\"female\",\"phone\":\"0722 000 111\"}");
        };
        // The person's own name with a year is no password.
        auto named = reg("ana.p", "Popescu1990!");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(named.body, 422, named.status);
        auto first = reg("ana.p", kPassword);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(first.body, 201, first.status);
        auto second = reg("ana.q", kPassword);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(second.body, 201, second.status);
        auto third = reg("ana.r", kPassword);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(third.body, 429, third.status);
        CPPUNIT_ASSERT(!third.header("Retry-After").empty());
        CPPUNIT_ASSERT_EQUAL(0L, countRows(d, "users", "username = 'ana.r'"));
    }

    void commonAndContextDerivedPasswordsAreRefused()
    {
        Daemon d;
        auto c = d.client();
        auto admin = firstAdmin(d, c);
        for (const std::string password : {"0123456789", "password12", "qwertyuiop", "nurse.pat1",
                 "P4ssw0rd2026", "9876543210", "Nurse.Pat-2026"}) {
            auto r = c.post("/api/v1/users",
                "{\"username\":\"nurse.pat\",\"role\":\"nurse\",\"password\":\"" + password + "\"}",
                bearer(admin.accessToken));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(password + ": " + r.body, 422, r.status);
            CPPUNIT_ASSERT(
                r.json()->getObject("error")->getObject("details")->getObject("fields")->has("password"));
        }
        auto fine = c.post("/api/v1/users",
            "{\"username\":\"nurse.pat\",\"role\":\"nurse\",\"password\":\"" + kPassword + "\"}",
            bearer(admin.accessToken));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(fine.body, 201, fine.status);
        // A reset is held to the same policy.
        auto reset
            = c.request("PATCH", "/api/v1/users/" + std::to_string(fine.json()->getValue<std::int64_t>("id")),
                "{\"password\":\"qwertyuiop123\"}", bearer(admin.accessToken));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(reset.body, 422, reset.status);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(UsersApiTest);
