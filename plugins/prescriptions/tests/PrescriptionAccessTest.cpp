// Who may do what with prescriptions, on real objects: every new route by
// every role, a patient's own and another's, renewals approved and declined,
// cancelling twice, a prescription completed once its duration has passed
// (a second daemon on the same database with its clock a month on), and
// doctors who see only their own patients.

#include "PrescriptionsFixture.h"

namespace {

struct Case {
    std::string method;
    std::string path;
    std::string body;
    std::map<std::string, int> expected; ///< role -> status
};

/// A fresh prescription of the patient account's record with a pending renewal request.
std::pair<std::int64_t, std::int64_t> ownWithRenewal()
{
    // Each one repeats the last: the duplicate-therapy warning is overridden.
    const auto id
        = issued(prescribe(world().ownPatient, item(drug("DEMO-CETI-10")), R"(,"override_reason":"repeat")"));
    auto r = client().post(path(id, "/renewal-requests"), R"({"note":"running out"})", as("patient"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
    return {id, r.json()->getValue<Poco::Int64>("id")};
}

/// Bearer headers of the fixture's account for role, signed in on another daemon (its own clock).
std::map<std::string, std::string> on(HttpClient& c, const std::string& role)
{
    return bearer(signIn(c, world().clinic->account(role).username).accessToken);
}

std::string renewalPath(std::int64_t rid, const std::string& what)
{
    return "/api/v1/renewal-requests/" + std::to_string(rid) + "/" + what;
}

} // namespace

class PrescriptionAccessTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PrescriptionAccessTest);
    CPPUNIT_TEST(everyRouteAnswersEachRoleAsDocumented);
    CPPUNIT_TEST(aPatientSeesOnlyTheirOwn);
    CPPUNIT_TEST(renewalApprovedMakesALinkedPrescription);
    CPPUNIT_TEST(renewalDeclinedKeepsTheReason);
    CPPUNIT_TEST(cancellingTwiceIsAConflict);
    CPPUNIT_TEST(aPrescriptionCompletesWhenItsDurationHasPassed);
    CPPUNIT_TEST(doctorsOwnPatientsOnly);
    CPPUNIT_TEST_SUITE_END();

public:
    void everyRouteAnswersEachRoleAsDocumented()
    {
        auto& w = world();
        const auto own = issued(prescribe(w.ownPatient, item(drug("DEMO-DESL-5"))));
        const auto body = prescriptionBody(w.ownPatient, item(drug("DEMO-ENAL-10")));
        const std::vector<std::string> roles = {"admin", "doctor", "nurse", "receptionist", "patient"};
        const std::vector<Case> cases = {
            {"GET", "/api/v1/drugs?q=para", "",
                {{"admin", 200}, {"doctor", 200}, {"nurse", 200}, {"receptionist", 403}, {"patient", 403}}},
            {"POST", "/api/v1/prescriptions", body,
                {{"admin", 403}, {"doctor", 201}, {"nurse", 403}, {"receptionist", 403}, {"patient", 403}}},
            {"GET", "/api/v1/prescriptions", "",
                {{"admin", 200}, {"doctor", 200}, {"nurse", 200}, {"receptionist", 403}, {"patient", 200}}},
            {"GET", path(own), "",
                {{"admin", 200}, {"doctor", 200}, {"nurse", 200}, {"receptionist", 403}, {"patient", 200}}},
            {"GET", path(own, "/print"), "",
                {{"admin", 200}, {"doctor", 200}, {"nurse", 200}, {"receptionist", 403}, {"patient", 200}}},
        };
        for (const auto& c : cases)
            for (const auto& role : roles) {
                auto r = client().request(c.method, c.path, c.body, as(role));
                CPPUNIT_ASSERT_EQUAL_MESSAGE(
                    role + " " + c.method + " " + c.path + ": " + r.body, c.expected.at(role), r.status);
                if (r.status >= 400)
                    CPPUNIT_ASSERT_MESSAGE(r.body, !r.errorCode().empty());
            }
        // Writes on objects: each role but the one allowed is refused first,
        // then the allowed role succeeds on the same object.
        auto writes = [&](const std::string& method, const std::string& target, const std::string& json,
                          const std::string& allowed, int status) {
            for (const auto& role : roles)
                if (role != allowed) {
                    auto r = client().request(method, target, json, as(role));
                    CPPUNIT_ASSERT_EQUAL_MESSAGE(role + " " + target + ": " + r.body, 403, r.status);
                }
            auto r = client().request(method, target, json, as(allowed));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(allowed + " " + target + ": " + r.body, status, r.status);
        };
        writes("POST", path(own, "/cancel"), R"({"reason":"wrong drug"})", "doctor", 200);
        const auto [p1, r1] = ownWithRenewal();
        (void)p1;
        writes("POST", renewalPath(r1, "approve"), R"({"override_reason":"continues"})", "doctor", 201);
        const auto [p2, r2] = ownWithRenewal();
        (void)p2;
        writes("POST", renewalPath(r2, "decline"), R"({"reason":"see me first"})", "doctor", 200);
        const auto fresh = issued(prescribe(w.ownPatient, item(drug("DEMO-ATOR-20"))));
        writes("POST", path(fresh, "/renewal-requests"), "{}", "patient", 201);
        // Every refusal by role is in the audit trail.
        CPPUNIT_ASSERT(
            count("audit_log", "action = 'access.denied' AND object_id LIKE '% /api/v1/prescriptions%'")
            >= 10);
        CPPUNIT_ASSERT(
            count("audit_log", "action = 'access.denied' AND object_id LIKE '% /api/v1/renewal-requests%'")
            >= 8);
        // Unauthenticated: 401.
        CPPUNIT_ASSERT_EQUAL(401, client().get(path(own)).status);
    }

    void aPatientSeesOnlyTheirOwn()
    {
        auto& w = world();
        const auto own = issued(prescribe(w.ownPatient, item(drug("DEMO-BISO-5"))));
        const auto other = issued(prescribe(w.otherPatient, item(drug("DEMO-BISO-5"))));
        auto mine = client().get("/api/v1/prescriptions", as("patient"));
        CPPUNIT_ASSERT_EQUAL(200, mine.status);
        auto items = mine.json()->getArray("items");
        for (std::size_t i = 0; i < items->size(); ++i)
            CPPUNIT_ASSERT_EQUAL(Poco::Int64(w.ownPatient),
                items->getObject(static_cast<unsigned>(i))->getValue<Poco::Int64>("patient_id"));
        CPPUNIT_ASSERT(items->size() >= 1);
        const long denied = audited("prescription.read", w.otherPatient, "denied");
        for (const auto& target : {path(other), path(other, "/print"),
                 "/api/v1/prescriptions?patient_id=" + std::to_string(w.otherPatient)}) {
            auto r = client().get(target, as("patient"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(target + ": " + r.body, 404, r.status);
            CPPUNIT_ASSERT_EQUAL(std::string("NOT_FOUND"), r.errorCode());
        }
        auto renew = client().post(path(other, "/renewal-requests"), "{}", as("patient"));
        CPPUNIT_ASSERT_EQUAL(404, renew.status);
        CPPUNIT_ASSERT_EQUAL(denied + 1, audited("prescription.read", w.otherPatient, "denied"));
        CPPUNIT_ASSERT_EQUAL(1L, audited("renewal.request", w.otherPatient, "denied"));
        CPPUNIT_ASSERT_EQUAL(200, client().get(path(own), as("patient")).status);
        CPPUNIT_ASSERT(audited("prescription.read", w.ownPatient) >= 1);
        CPPUNIT_ASSERT(audited("prescription.list", w.ownPatient) >= 1);
        // Filters and cursors.
        auto page = client().get(
            "/api/v1/prescriptions?status=active&limit=1&patient_id=" + std::to_string(w.ownPatient),
            as("nurse"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(page.body, 200, page.status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), page.json()->getArray("items")->size());
        CPPUNIT_ASSERT(!page.json()->isNull("next_cursor"));
        CPPUNIT_ASSERT_EQUAL(422, client().get("/api/v1/prescriptions?status=lost", as("nurse")).status);
        CPPUNIT_ASSERT_EQUAL(422, client().get("/api/v1/prescriptions?patient_id=x", as("nurse")).status);
    }

    void renewalApprovedMakesALinkedPrescription()
    {
        const auto patient = world().ownPatient;
        const auto [old, rid] = ownWithRenewal();
        auto twice = client().post(path(old, "/renewal-requests"), "{}", as("patient"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(twice.body, 409, twice.status);
        auto r = client().post(renewalPath(rid, "approve"), "{}", as("doctor"));
        // The renewal of the still active cetirizine is the same ATC group: the
        // duplicate-therapy rule warns, and the doctor overrides.
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, std::string("RULE_WARNING"), r.errorCode());
        r = client().post(
            renewalPath(rid, "approve"), R"({"override_reason":"continues the course"})", as("doctor"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
        const auto renewed = r.json()->getValue<Poco::Int64>("id");
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(old), r.json()->getValue<Poco::Int64>("renewal_of"));
        auto request
            = client().get(path(old), as("doctor")).json()->getArray("renewal_requests")->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("approved"), request->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(renewed, request->getValue<Poco::Int64>("renewal_id"));
        CPPUNIT_ASSERT_EQUAL(409, client().post(renewalPath(rid, "approve"), "{}", as("doctor")).status);
        CPPUNIT_ASSERT_EQUAL(1L,
            count("jobs",
                "idempotency_key = 'notice:prescription:" + std::to_string(renewed) + ":renewal_approved'"));
        CPPUNIT_ASSERT_EQUAL(1L,
            count(
                "audit_log", "action = 'renewal.approve' AND object_id = '" + std::to_string(renewed) + "'"));
        CPPUNIT_ASSERT(audited("renewal.request", patient) >= 1);
        CPPUNIT_ASSERT_EQUAL(404, client().post(renewalPath(987654, "approve"), "{}", as("doctor")).status);
    }

    void renewalDeclinedKeepsTheReason()
    {
        const auto [old, rid] = ownWithRenewal();
        auto missing = client().post(renewalPath(rid, "decline"), "{}", as("doctor"));
        CPPUNIT_ASSERT_EQUAL(422, missing.status);
        auto r = client().post(
            renewalPath(rid, "decline"), R"({"reason":"needs a check-up first"})", as("doctor"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("declined"), r.json()->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("needs a check-up first"), r.json()->getValue<std::string>("reason"));
        CPPUNIT_ASSERT_EQUAL(
            409, client().post(renewalPath(rid, "decline"), R"({"reason":"again"})", as("doctor")).status);
        CPPUNIT_ASSERT_EQUAL(1L,
            count("jobs",
                "idempotency_key LIKE 'notice:prescription:" + std::to_string(old)
                    + ":renewal_declined%' AND payload LIKE '%\"what\":\"renewal_declined\"%'"));
        // Declined, it may be asked for again.
        CPPUNIT_ASSERT_EQUAL(201, client().post(path(old, "/renewal-requests"), "{}", as("patient")).status);
    }

    void cancellingTwiceIsAConflict()
    {
        const auto patient = newPatient("Cancelled");
        const auto id = issued(prescribe(patient, item(drug("DEMO-PANT-40"))));
        auto r = client().post(path(id, "/cancel"), R"({"reason":"interaction found"})", as("doctor"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("cancelled"), r.json()->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("interaction found"), r.json()->getValue<std::string>("cancel_reason"));
        auto again = client().post(path(id, "/cancel"), R"({"reason":"again"})", as("doctor"));
        CPPUNIT_ASSERT_EQUAL(409, again.status);
        CPPUNIT_ASSERT_EQUAL(std::string("CONFLICT"), again.errorCode());
        CPPUNIT_ASSERT_EQUAL(1L, audited("prescription.cancel", patient));
        CPPUNIT_ASSERT_EQUAL(1L,
            count("jobs", "idempotency_key = 'notice:prescription:" + std::to_string(id) + ":cancelled'"));
        // Cancelled, it is no longer active for the duplicate-therapy rule.
        issued(prescribe(patient, item(drug("DEMO-OMEP-20"))));
        CPPUNIT_ASSERT_EQUAL(1L,
            count("prescriptions_prescriptions",
                "patient_id = " + std::to_string(patient) + " AND status = 'cancelled'"));
        CPPUNIT_ASSERT_EQUAL(
            404, client().post(path(987654, "/cancel"), R"({"reason":"x"})", as("doctor")).status);
    }

    void aPrescriptionCompletesWhenItsDurationHasPassed()
    {
        auto& w = world();
        const auto patient = newPatient("Completed");
        const auto week = issued(prescribe(patient, item(drug("DEMO-CIPR-500"))));
        const auto quarter
            = issued(prescribe(patient, item(drug("DEMO-METF-850"), R"(,"duration_days":90)")));
        // The same database, read by a daemon whose clock is ten days on.
        Daemon::Options o = clinicDaemonOptions("records,scheduling,prescriptions");
        o.dataDir = w.clinic->daemon().dataDir();
        o.dbUrl = w.clinic->daemon().dbUrl();
        o.config["clock.start"] = "2027-03-11T09:00:00Z";
        o.config["rules.dir"] = w.rules->path();
        Daemon later(o);
        auto c = later.client();
        const auto doctor = on(c, "doctor");
        auto status = [&](std::int64_t id) {
            auto r = c.get(path(id), doctor);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
            return r.json()->getValue<std::string>("status");
        };
        CPPUNIT_ASSERT_EQUAL(std::string("completed"), status(week));
        CPPUNIT_ASSERT_EQUAL(std::string("active"), status(quarter));
        auto completed
            = c.get("/api/v1/prescriptions?status=completed&patient_id=" + std::to_string(patient), doctor);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), completed.json()->getArray("items")->size());
        auto cancel = c.post(path(week, "/cancel"), R"({"reason":"too late"})", doctor);
        CPPUNIT_ASSERT_EQUAL(409, cancel.status);
        // The first daemon, still at its own time, sees it active.
        CPPUNIT_ASSERT_EQUAL(std::string("active"),
            client().get(path(week), as("doctor")).json()->getValue<std::string>("status"));
    }

    void doctorsOwnPatientsOnly()
    {
        auto& w = world();
        const auto stranger = newPatient("Stranger");
        const auto treated = newPatient("Treated");
        // A visit makes a care relationship (scheduling's appointments).
        auto hours = client().request("PUT", "/api/v1/doctors/" + std::to_string(w.doctor) + "/hours",
            R"([{"weekday":1,"start":"08:00","end":"20:00","location_id":)" + std::to_string(w.location)
                + "}]",
            as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(hours.body, 200, hours.status);
        createdId(client().post("/api/v1/appointments",
            R"({"patient_id":)" + std::to_string(treated) + R"(,"doctor_id":)" + std::to_string(w.doctor)
                + R"(,"service_id":)" + std::to_string(w.service)
                + R"(,"start":"2027-03-08T10:00:00+02:00"})",
            as("admin")));
        const auto seen = issued(prescribe(stranger, item(drug("DEMO-ROSU-10"))));
        Daemon::Options o = clinicDaemonOptions("records,scheduling,prescriptions");
        o.dataDir = w.clinic->daemon().dataDir();
        o.dbUrl = w.clinic->daemon().dbUrl();
        o.config["clock.start"] = kClockStart;
        o.config["rules.dir"] = w.rules->path();
        o.config["access.doctors_own_patients_only"] = "true";
        Daemon strict(o);
        auto c = strict.client();
        const auto doctor = on(c, "doctor");
        auto refused = c.post(
            "/api/v1/prescriptions", prescriptionBody(stranger, item(drug("DEMO-SALB-100"))), doctor);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(refused.body, 403, refused.status);
        CPPUNIT_ASSERT_EQUAL(403, c.get(path(seen), doctor).status);
        CPPUNIT_ASSERT_EQUAL(1L, audited("prescription.create", stranger, "denied"));
        auto allowed
            = c.post("/api/v1/prescriptions", prescriptionBody(treated, item(drug("DEMO-SALB-100"))), doctor);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(allowed.body, 201, allowed.status);
        // A list without a patient shows only the doctor's own patients.
        auto list = c.get("/api/v1/prescriptions?limit=500", doctor);
        auto items = list.json()->getArray("items");
        CPPUNIT_ASSERT(items->size() >= 1);
        for (std::size_t i = 0; i < items->size(); ++i)
            CPPUNIT_ASSERT_EQUAL(Poco::Int64(treated),
                items->getObject(static_cast<unsigned>(i))->getValue<Poco::Int64>("patient_id"));
        // Nurses are not restricted by it.
        CPPUNIT_ASSERT_EQUAL(200, c.get(path(seen), on(c, "nurse")).status);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PrescriptionAccessTest);
