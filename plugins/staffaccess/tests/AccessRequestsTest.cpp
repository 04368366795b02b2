// Access requests through the real clinicd: a doctor asks to work at a second
// location; approval grants the doctor role there and nowhere else (the
// directory's ?location_id= lists them there only after it), a rejected
// request grants nothing, a non-admin cannot decide, a request is decided
// once, and bad input on every write route changes nothing.

#include <cppunit/extensions/HelperMacros.h>

#include <set>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "ClinicFixture.h"

using namespace clinic::test;

namespace {

struct World {
    std::unique_ptr<ClinicFixture> clinic;
    std::int64_t home = 0, second = 0, third = 0; ///< locations
    std::int64_t doctor = 0; ///< the doctor account's doctor, based at home
};

World& world()
{
    static World w;
    if (w.clinic)
        return w;
    ClinicFixture::Options o;
    o.daemon = clinicDaemonOptions("records,scheduling,staffaccess");
    o.accountPrefix = "acc";
    o.roles = {"nurse", "receptionist", "patient"};
    w.clinic = std::make_unique<ClinicFixture>(o);
    w.home = w.clinic->newLocation();
    w.second = w.clinic->newLocation("Europe/Bucharest", "Cluj-Napoca");
    w.third = w.clinic->newLocation("Europe/Bucharest", "Iași");
    const auto service = w.clinic->newService(30);
    w.doctor = w.clinic->newDoctor(w.home, {service}, "cardiology", "Dr. Second Clinic");
    // The doctor's account names its doctor, and the doctor its account.
    w.clinic->addAccount("doctor", "acc.doctor", "doctor", "\"doctor_id\":" + std::to_string(w.doctor));
    auto link = w.clinic->client().request("PATCH", "/api/v1/doctors/" + std::to_string(w.doctor),
        R"({"user_id":)" + std::to_string(w.clinic->account("doctor").id) + "}", w.clinic->as("admin"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(link.body, 200, link.status);
    return w;
}

ClinicFixture& site()
{
    return *world().clinic;
}

std::string str(std::int64_t n)
{
    return std::to_string(n);
}

HttpResult ask(
    const std::string& as, std::int64_t location, const std::string& role, const std::string& extra = "")
{
    return site().client().post("/api/v1/access-requests",
        R"({"location_id":)" + str(location) + R"(,"role":")" + role + "\"" + extra + "}", site().as(as));
}

HttpResult decide(
    const std::string& as, std::int64_t id, const std::string& how, const std::string& body = "")
{
    return site().client().post("/api/v1/access-requests/" + str(id) + "/" + how, body, site().as(as));
}

void refused(const HttpResult& r, int status, const std::string& code, const std::string& what)
{
    CPPUNIT_ASSERT_EQUAL_MESSAGE(what + " -> " + r.body, status, r.status);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(what + " -> " + r.body, code, r.errorCode());
}

long grantsOf(const std::string& role)
{
    return site().count("role_grants", "user_id = " + str(site().account(role).id));
}

/// The doctors GET /api/v1/doctors?location_id= lists.
std::set<Poco::Int64> doctorsAt(std::int64_t location)
{
    auto r = site().client().get(
        "/api/v1/doctors?limit=500&location_id=" + str(location), site().as("receptionist"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
    std::set<Poco::Int64> out;
    auto items = r.json()->getArray("items");
    for (std::size_t i = 0; i < items->size(); ++i)
        out.insert(items->getObject(static_cast<unsigned>(i))->getValue<Poco::Int64>("id"));
    return out;
}

} // namespace

class AccessRequestsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(AccessRequestsTest);
    CPPUNIT_TEST(approvalGrantsTheRoleAtThatLocationOnly);
    CPPUNIT_TEST(aRejectedRequestGrantsNothing);
    CPPUNIT_TEST(aNonAdminCannotDecide);
    CPPUNIT_TEST(staffListTheirOwnAndTheAdminListsAll);
    CPPUNIT_TEST(badInputOnEveryWriteRouteChangesNothing);
    CPPUNIT_TEST_SUITE_END();

public:
    void approvalGrantsTheRoleAtThatLocationOnly()
    {
        auto& w = world();
        CPPUNIT_ASSERT(doctorsAt(w.home).count(w.doctor));
        CPPUNIT_ASSERT(!doctorsAt(w.second).count(w.doctor));
        refused(ask("doctor", w.home, "doctor"), 409, "CONFLICT", "the doctor's own clinic");

        auto created = createdJson(ask("doctor", w.second, "doctor", R"(,"note":"Thursdays in Cluj")"));
        const auto id = created->getValue<Poco::Int64>("id");
        CPPUNIT_ASSERT_EQUAL(std::string("pending"), created->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(site().account("doctor").id, created->getValue<Poco::Int64>("user_id"));
        refused(ask("doctor", w.second, "doctor"), 409, "CONFLICT", "the same request again");
        CPPUNIT_ASSERT(!doctorsAt(w.second).count(w.doctor));
        CPPUNIT_ASSERT_EQUAL(0L, grantsOf("doctor"));

        auto approved = decide("admin", id, "approve");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(approved.body, 200, approved.status);
        CPPUNIT_ASSERT_EQUAL(std::string("approved"), approved.json()->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(1L, grantsOf("doctor"));
        const std::string held = " FROM role_grants WHERE user_id = " + str(site().account("doctor").id);
        CPPUNIT_ASSERT_EQUAL(str(w.second), site().sql("SELECT location_id" + held));
        CPPUNIT_ASSERT_EQUAL(std::string("doctor"), site().sql("SELECT role" + held));
        CPPUNIT_ASSERT(doctorsAt(w.second).count(w.doctor));
        CPPUNIT_ASSERT(doctorsAt(w.home).count(w.doctor));
        CPPUNIT_ASSERT(!doctorsAt(w.third).count(w.doctor));
        CPPUNIT_ASSERT_EQUAL(1L,
            site().count("audit_log", "action = 'access_request.approve' AND object_id = '" + str(id) + "'"));
        CPPUNIT_ASSERT_EQUAL(1L, site().count("change_log", "type = 'access_request.approved'"));

        refused(decide("admin", id, "approve"), 409, "CONFLICT", "approving twice");
        refused(decide("admin", id, "reject"), 409, "CONFLICT", "rejecting an approved request");
        refused(ask("doctor", w.second, "doctor"), 409, "CONFLICT", "asking for what is held");
        CPPUNIT_ASSERT_EQUAL(1L, grantsOf("doctor"));
        CPPUNIT_ASSERT_EQUAL(std::string("approved"),
            site().sql("SELECT status FROM staffaccess_requests WHERE id = " + str(id)));
    }

    void aRejectedRequestGrantsNothing()
    {
        auto& w = world();
        const auto id = createdId(ask("nurse", w.third, "nurse"));
        auto rejected = decide("admin", id, "reject", R"({"reason":"no opening in Iași"})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(rejected.body, 200, rejected.status);
        CPPUNIT_ASSERT_EQUAL(std::string("rejected"), rejected.json()->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("no opening in Iași"), rejected.json()->getValue<std::string>("reason"));
        refused(decide("admin", id, "approve"), 409, "CONFLICT", "approving a rejected request");
        CPPUNIT_ASSERT_EQUAL(0L, grantsOf("nurse"));
        CPPUNIT_ASSERT_EQUAL(1L,
            site().count("audit_log", "action = 'access_request.reject' AND object_id = '" + str(id) + "'"));
        // Rejected is not pending: the nurse may ask again.
        createdId(ask("nurse", w.third, "nurse"));
    }

    void aNonAdminCannotDecide()
    {
        auto& w = world();
        const auto id = createdId(ask("receptionist", w.second, "receptionist"));
        for (const char* role : {"doctor", "nurse", "receptionist", "patient"})
            for (const char* how : {"approve", "reject"})
                refused(decide(role, id, how), 403, "FORBIDDEN", std::string(role) + " " + how);
        CPPUNIT_ASSERT_EQUAL(std::string("pending"),
            site().sql("SELECT status FROM staffaccess_requests WHERE id = " + str(id)));
        CPPUNIT_ASSERT_EQUAL(0L, grantsOf("receptionist"));
        refused(ask("patient", w.second, "receptionist"), 403, "FORBIDDEN", "a patient asking");
        refused(ask("admin", w.second, "doctor"), 403, "FORBIDDEN", "an admin asking");
    }

    void staffListTheirOwnAndTheAdminListsAll()
    {
        auto& w = world();
        const auto mine = createdId(ask("receptionist", w.third, "receptionist"));
        auto all = site().client().get("/api/v1/access-requests?limit=500", site().as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(all.body, 200, all.status);
        std::set<Poco::Int64> users;
        bool found = false;
        auto items = all.json()->getArray("items");
        for (std::size_t i = 0; i < items->size(); ++i) {
            users.insert(items->getObject(static_cast<unsigned>(i))->getValue<Poco::Int64>("user_id"));
            found = found || items->getObject(static_cast<unsigned>(i))->getValue<Poco::Int64>("id") == mine;
        }
        CPPUNIT_ASSERT(found);
        CPPUNIT_ASSERT(users.size() >= 2);

        auto own = site().client().get("/api/v1/access-requests?limit=500", site().as("receptionist"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(own.body, 200, own.status);
        auto ownItems = own.json()->getArray("items");
        CPPUNIT_ASSERT(ownItems->size() >= 1);
        for (std::size_t i = 0; i < ownItems->size(); ++i)
            CPPUNIT_ASSERT_EQUAL(site().account("receptionist").id,
                ownItems->getObject(static_cast<unsigned>(i))->getValue<Poco::Int64>("user_id"));

        auto pending
            = site().client().get("/api/v1/access-requests?status=pending&limit=500", site().as("admin"));
        auto pendingItems = pending.json()->getArray("items");
        for (std::size_t i = 0; i < pendingItems->size(); ++i)
            CPPUNIT_ASSERT_EQUAL(std::string("pending"),
                pendingItems->getObject(static_cast<unsigned>(i))->getValue<std::string>("status"));
        refused(site().client().get("/api/v1/access-requests?status=granted", site().as("admin")), 422,
            "VALIDATION_FAILED", "an unknown status");
    }

    void badInputOnEveryWriteRouteChangesNothing()
    {
        auto& w = world();
        const long before = site().count("staffaccess_requests");
        const std::string l = str(w.third);
        const std::vector<std::pair<std::string, std::string>> bad = {
            {R"({"role":"doctor"})", "location_id"},
            {R"({"location_id":")" + l + R"(","role":"doctor"})", "location_id"},
            {R"({"location_id":0,"role":"doctor"})", "location_id"},
            {R"({"location_id":99999999,"role":"doctor"})", "location_id"},
            {R"({"location_id":)" + l + "}", "role"},
            {R"({"location_id":)" + l + R"(,"role":"admin"})", "role"},
            {R"({"location_id":)" + l + R"(,"role":"nurse"})", "role"},
            {R"({"location_id":)" + l + R"(,"role":7})", "role"},
            {R"({"location_id":)" + l + R"(,"role":"doctor","note":""})", "note"},
            {R"({"location_id":)" + l + R"(,"role":"doctor","note":"x\u202Ey"})", "note"},
            {R"({"location_id":)" + l + R"(,"role":"doctor","note":"bell\u0007"})", "note"},
            {R"({"location_id":)" + l + R"(,"role":"doctor","note":")" + std::string(501, 'n') + "\"}",
                "note"},
        };
        for (const auto& [body, field] : bad) {
            auto r = site().client().post("/api/v1/access-requests", body, site().as("doctor"));
            refused(r, 422, "VALIDATION_FAILED", body);
            CPPUNIT_ASSERT_MESSAGE(body + " -> " + r.body,
                r.json()->getObject("error")->getObject("details")->getObject("fields")->has(field));
        }
        refused(site().client().post("/api/v1/access-requests", "{\"location_id\":", site().as("doctor")),
            400, "MALFORMED_JSON", "truncated JSON");
        CPPUNIT_ASSERT_EQUAL(before, site().count("staffaccess_requests"));

        const auto id = createdId(ask("doctor", w.third, "doctor"));
        for (const char* body :
            {R"({"reason":42})", R"({"reason":""})", "{\"reason\":", R"({"reason":"x\u2066y"})"}) {
            auto r = decide("admin", id, "reject", body);
            CPPUNIT_ASSERT_MESSAGE(std::string(body) + " -> " + r.body, r.status == 422 || r.status == 400);
        }
        for (const char* path : {"/api/v1/access-requests/99999999/approve",
                 "/api/v1/access-requests/x/approve", "/api/v1/access-requests/0/reject"})
            refused(site().client().post(path, "", site().as("admin")), 404, "NOT_FOUND", path);
        refused(
            decide("admin", id, "approve", "{\"x\":"), 400, "MALFORMED_JSON", "approve with a broken body");
        CPPUNIT_ASSERT_EQUAL(std::string("pending"),
            site().sql("SELECT status FROM staffaccess_requests WHERE id = " + str(id)));
        CPPUNIT_ASSERT_EQUAL(0L, site().count("role_grants", "location_id = " + l + " AND role = 'doctor'"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(AccessRequestsTest);
