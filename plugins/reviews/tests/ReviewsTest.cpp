// Reviews through the real clinicd: a patient reviews a completed visit of
// their own once; someone else's visit, one not completed and a second
// review are 4xx with nothing stored; a comment is shown to others only
// after an admin approved it; before_review may refuse a comment; ratings
// reach the doctor directory; bad input on every write route changes nothing.

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "ClinicFixture.h"

using namespace clinic::test;

namespace {

struct World {
    std::unique_ptr<TempDir> rules;
    std::unique_ptr<ClinicFixture> clinic;
    std::int64_t patient2 = 0;
    std::int64_t location = 0, service = 0;
};

std::string patientJson(const std::string& first)
{
    return R"({"first_name":")" + first
        + R"(","last_name":"Review","birth_date":"1980-01-01","sex":"female","phone":"+40 700 000 001","force":true})";
}

World& world()
{
    static World w;
    if (w.clinic)
        return w;
    w.rules = std::make_unique<TempDir>();
    ClinicFixture::Options o;
    o.daemon = clinicDaemonOptions("records,scheduling,reviews");
    o.daemon.config["clock.start"] = "2027-01-01T00:00:00Z";
    o.daemon.config["rules.dir"] = w.rules->path();
    o.accountPrefix = "rev";
    o.roles = {"receptionist", "patient"};
    o.patientJson = patientJson("Ana");
    w.clinic = std::make_unique<ClinicFixture>(o);
    w.patient2 = w.clinic->newPatient(patientJson("Bogdan"));
    w.clinic->addAccount(
        "patient2", "rev.patient2", "patient", "\"patient_id\":" + std::to_string(w.patient2));
    w.location = w.clinic->newLocation();
    w.service = w.clinic->newService(30);
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

/// A doctor of their own, working every day 08:00-20:00, so each test's ratings are its own.
std::int64_t newDoctor()
{
    auto& w = world();
    const auto doctor = site().newDoctor(w.location, {w.service});
    std::string hours;
    for (int day = 1; day <= 7; ++day)
        hours += std::string(hours.empty() ? "" : ",") + R"({"weekday":)" + str(day)
            + R"(,"start":"08:00","end":"20:00","location_id":)" + str(w.location) + "}";
    auto put = site().client().request(
        "PUT", "/api/v1/doctors/" + str(doctor) + "/hours", "[" + hours + "]", site().as("admin"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(put.body, 200, put.status);
    return doctor;
}

/// A booking of the patient with the doctor on 2027-01-DAY at HOUR:00, Bucharest time.
std::int64_t book(std::int64_t patient, std::int64_t doctor, int day, int hour)
{
    char start[40];
    std::snprintf(start, sizeof start, "2027-01-%02dT%02d:00:00+02:00", day, hour);
    return createdId(site().client().post("/api/v1/appointments",
        R"({"patient_id":)" + str(patient) + R"(,"doctor_id":)" + str(doctor) + R"(,"service_id":)"
            + str(world().service) + R"(,"start":")" + start + "\"}",
        site().as("receptionist")));
}

std::int64_t completedVisit(std::int64_t patient, std::int64_t doctor, int day, int hour)
{
    const auto id = book(patient, doctor, day, hour);
    for (const char* step : {"check-in", "complete"}) {
        auto r = site().client().post("/api/v1/appointments/" + str(id) + "/" + step, "", site().as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(step) + ": " + r.body, 200, r.status);
    }
    return id;
}

HttpResult review(const std::string& as, const std::string& body)
{
    return site().client().post("/api/v1/reviews", body, site().as(as));
}

std::string reviewBody(std::int64_t appointment, int rating, const std::string& commentJson = "")
{
    return R"({"appointment_id":)" + str(appointment) + R"(,"rating":)" + str(rating)
        + (commentJson.empty() ? "" : R"(,"comment":)" + commentJson) + "}";
}

long reviewsOf(std::int64_t appointment)
{
    return site().count("reviews_entries", "appointment_id = " + str(appointment));
}

void refused(const HttpResult& r, int status, const std::string& code, const std::string& what)
{
    CPPUNIT_ASSERT_EQUAL_MESSAGE(what + " -> " + r.body, status, r.status);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(what + " -> " + r.body, code, r.errorCode());
}

/// The doctor's reviews as role sees them.
Poco::JSON::Array::Ptr doctorReviews(std::int64_t doctor, const std::string& as)
{
    auto r = site().client().get("/api/v1/doctors/" + str(doctor) + "/reviews", site().as(as));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
    return r.json()->getArray("items");
}

} // namespace

class ReviewsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ReviewsTest);
    CPPUNIT_TEST(aCompletedVisitIsReviewedOnceAndTheRatingReachesTheDirectory);
    CPPUNIT_TEST(someoneElsesVisitIsNotFoundAndNothingIsStored);
    CPPUNIT_TEST(aVisitNotCompletedCannotBeReviewed);
    CPPUNIT_TEST(aCommentIsShownToOthersOnlyAfterApproval);
    CPPUNIT_TEST(aRejectedCommentStaysHiddenAndModerationHappensOnce);
    CPPUNIT_TEST(theClinicsRuleMayRefuseAComment);
    CPPUNIT_TEST(badInputOnEveryWriteRouteChangesNothing);
    CPPUNIT_TEST(theModerationQueueIsTheAdminsAndAPatientListsTheirOwn);
    CPPUNIT_TEST_SUITE_END();

public:
    void aCompletedVisitIsReviewedOnceAndTheRatingReachesTheDirectory()
    {
        const auto doctor = newDoctor();
        auto before = site().client().get("/api/v1/doctors/" + str(doctor), site().as("patient"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), before.json()->getValue<Poco::Int64>("rating_count"));
        CPPUNIT_ASSERT(!before.json()->has("rating_avg"));

        const auto first = completedVisit(site().patient(), doctor, 4, 9);
        auto created = createdJson(review("patient", reviewBody(first, 5)));
        CPPUNIT_ASSERT_EQUAL(std::string("none"), created->getValue<std::string>("comment_status"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(5), created->getValue<Poco::Int64>("rating"));

        refused(review("patient", reviewBody(first, 1)), 409, "CONFLICT", "a second review of one visit");
        CPPUNIT_ASSERT_EQUAL(1L, reviewsOf(first));
        CPPUNIT_ASSERT_EQUAL(std::string("5"),
            site().sql("SELECT rating FROM reviews_entries WHERE appointment_id = " + str(first)));

        const auto second = completedVisit(world().patient2, doctor, 4, 10);
        createdJson(review("patient2", reviewBody(second, 2)));
        for (const std::string& path :
            {"/api/v1/doctors/" + str(doctor), "/api/v1/doctors?location_id=" + str(world().location)}) {
            auto r = site().client().get(path, site().as("receptionist"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
            Poco::JSON::Object::Ptr d = r.json();
            if (d->has("items")) {
                auto items = d->getArray("items");
                d = nullptr;
                for (std::size_t i = 0; i < items->size(); ++i)
                    if (items->getObject(static_cast<unsigned>(i))->getValue<Poco::Int64>("id") == doctor)
                        d = items->getObject(static_cast<unsigned>(i));
                CPPUNIT_ASSERT_MESSAGE(r.body, d);
            }
            CPPUNIT_ASSERT_EQUAL_MESSAGE(path, Poco::Int64(2), d->getValue<Poco::Int64>("rating_count"));
            CPPUNIT_ASSERT_DOUBLES_EQUAL(3.5, d->getValue<double>("rating_avg"), 1e-9);
        }
        const auto page
            = site().client().get("/api/v1/doctors/" + str(doctor) + "/reviews", site().as("patient"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(2), page.json()->getValue<Poco::Int64>("rating_count"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), page.json()->getArray("items")->size());
    }

    void someoneElsesVisitIsNotFoundAndNothingIsStored()
    {
        const auto doctor = newDoctor();
        const auto visit = completedVisit(site().patient(), doctor, 5, 9);
        refused(review("patient2", reviewBody(visit, 1, R"("never was there")")), 404, "NOT_FOUND",
            "another patient's visit");
        refused(review("patient2", reviewBody(99999999, 1)), 404, "NOT_FOUND", "no such visit");
        CPPUNIT_ASSERT_EQUAL(0L, reviewsOf(visit));
        CPPUNIT_ASSERT(
            site().count("audit_log",
                "action = 'review.create' AND outcome = 'denied' AND object_id = '" + str(visit) + "'")
            >= 1);
        // The owner still may.
        createdJson(review("patient", reviewBody(visit, 4)));
    }

    void aVisitNotCompletedCannotBeReviewed()
    {
        const auto doctor = newDoctor();
        const auto pending = book(site().patient(), doctor, 6, 9);
        refused(review("patient", reviewBody(pending, 5)), 409, "CONFLICT", "a pending visit");
        const auto cancelled = book(site().patient(), doctor, 6, 10);
        auto cancel = site().client().post(
            "/api/v1/appointments/" + str(cancelled) + "/cancel", R"({"reason":"away"})", site().as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(cancel.body, 200, cancel.status);
        refused(review("patient", reviewBody(cancelled, 5)), 409, "CONFLICT", "a cancelled visit");
        CPPUNIT_ASSERT_EQUAL(0L, reviewsOf(pending) + reviewsOf(cancelled));
    }

    void aCommentIsShownToOthersOnlyAfterApproval()
    {
        const auto doctor = newDoctor();
        const auto visit = completedVisit(site().patient(), doctor, 7, 9);
        const auto created
            = createdJson(review("patient", reviewBody(visit, 4, R"("Kind and on time.\nThank you!")")));
        const auto id = created->getValue<Poco::Int64>("id");
        CPPUNIT_ASSERT_EQUAL(std::string("pending"), created->getValue<std::string>("comment_status"));

        for (const char* other : {"patient2", "receptionist"}) {
            auto items = doctorReviews(doctor, other);
            CPPUNIT_ASSERT_EQUAL(std::size_t(1), items->size());
            CPPUNIT_ASSERT_MESSAGE(other, !items->getObject(0)->has("comment"));
            CPPUNIT_ASSERT_MESSAGE(other, !items->getObject(0)->has("patient_id"));
            CPPUNIT_ASSERT_EQUAL(Poco::Int64(4), items->getObject(0)->getValue<Poco::Int64>("rating"));
        }
        for (const char* insider : {"patient", "admin"})
            CPPUNIT_ASSERT_EQUAL_MESSAGE(insider, std::string("Kind and on time.\nThank you!"),
                doctorReviews(doctor, insider)->getObject(0)->getValue<std::string>("comment"));

        auto approved
            = site().client().post("/api/v1/reviews/" + str(id) + "/approve", "", site().as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(approved.body, 200, approved.status);
        CPPUNIT_ASSERT_EQUAL(
            std::string("approved"), approved.json()->getValue<std::string>("comment_status"));
        for (const char* other : {"patient2", "receptionist"})
            CPPUNIT_ASSERT_EQUAL_MESSAGE(other, std::string("Kind and on time.\nThank you!"),
                doctorReviews(doctor, other)->getObject(0)->getValue<std::string>("comment"));
        CPPUNIT_ASSERT_EQUAL(
            1L, site().count("audit_log", "action = 'review.approve' AND object_id = '" + str(id) + "'"));
    }

    void aRejectedCommentStaysHiddenAndModerationHappensOnce()
    {
        const auto doctor = newDoctor();
        const auto visit = completedVisit(site().patient(), doctor, 8, 9);
        const auto id = createdId(review("patient", reviewBody(visit, 1, R"("Rude receptionist, call me")")));
        auto rejected = site().client().post(
            "/api/v1/reviews/" + str(id) + "/reject", R"({"reason":"personal details"})", site().as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(rejected.body, 200, rejected.status);
        CPPUNIT_ASSERT(!doctorReviews(doctor, "patient2")->getObject(0)->has("comment"));
        CPPUNIT_ASSERT_EQUAL(std::string("rejected"),
            doctorReviews(doctor, "patient2")->getObject(0)->getValue<std::string>("comment_status"));
        for (const char* action : {"approve", "reject"})
            refused(site().client().post("/api/v1/reviews/" + str(id) + "/" + action, "", site().as("admin")),
                409, "CONFLICT", std::string(action) + " after a rejection");
        CPPUNIT_ASSERT_EQUAL(std::string("rejected"),
            site().sql("SELECT comment_status FROM reviews_entries WHERE id = " + str(id)));

        // A rating without a comment has nothing to moderate.
        const auto plain
            = createdId(review("patient", reviewBody(completedVisit(site().patient(), doctor, 8, 10), 3)));
        refused(site().client().post("/api/v1/reviews/" + str(plain) + "/approve", "", site().as("admin")),
            409, "CONFLICT", "approving no comment");
    }

    void theClinicsRuleMayRefuseAComment()
    {
        writeFile(world().rules->file("reviews.lua"),
            "function before_review(ctx)\n"
            "  if string.find(ctx.comment, '%d%d%d%d%d%d%d') then return false, 'no phone numbers' end\n"
            "  return true\n"
            "end\n");
        auto reload = site().client().post("/api/v1/system/rules/reload", "", site().as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(reload.body, 200, reload.status);
        const auto doctor = newDoctor();
        const auto visit = completedVisit(site().patient(), doctor, 11, 9);
        auto r = review("patient", reviewBody(visit, 2, R"("call me on 0722123456")"));
        refused(r, 422, "RULE_REJECTED", "a phone number");
        CPPUNIT_ASSERT_EQUAL(std::string("before_review"),
            r.json()->getObject("error")->getObject("details")->getValue<std::string>("rule"));
        CPPUNIT_ASSERT_EQUAL(0L, reviewsOf(visit));
        createdId(review("patient", reviewBody(visit, 2, R"("slow, but fine")")));

        writeFile(world().rules->file("reviews.lua"), "-- no review rule\n");
        reload = site().client().post("/api/v1/system/rules/reload", "", site().as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(reload.body, 200, reload.status);
    }

    void badInputOnEveryWriteRouteChangesNothing()
    {
        const auto doctor = newDoctor();
        const auto visit = completedVisit(site().patient(), doctor, 12, 9);
        const std::string a = str(visit);
        std::string tooLong(2001, 'x');
        const std::vector<std::pair<std::string, std::string>> bad = {
            {R"({"rating":4})", "appointment_id"},
            {R"({"appointment_id":")" + a + R"(","rating":4})", "appointment_id"},
            {R"({"appointment_id":0,"rating":4})", "appointment_id"},
            {R"({"appointment_id":)" + a + "}", "rating"},
            {R"({"appointment_id":)" + a + R"(,"rating":0})", "rating"},
            {R"({"appointment_id":)" + a + R"(,"rating":6})", "rating"},
            {R"({"appointment_id":)" + a + R"(,"rating":4.5})", "rating"},
            {R"({"appointment_id":)" + a + R"(,"rating":"5"})", "rating"},
            {R"({"appointment_id":)" + a + R"(,"rating":true})", "rating"},
            {reviewBody(visit, 4, R"("")"), "comment"},
            {reviewBody(visit, 4, "\"" + tooLong + "\""), "comment"},
            {reviewBody(visit, 4, R"("fine\u0007")"), "comment"},
            {reviewBody(visit, 4, R"("good \u202Edab")"), "comment"},
            {reviewBody(visit, 4, "42"), "comment"},
        };
        for (const auto& [body, field] : bad) {
            auto r = review("patient", body);
            refused(r, 422, "VALIDATION_FAILED", body);
            CPPUNIT_ASSERT_MESSAGE(body + " -> " + r.body,
                r.json()->getObject("error")->getObject("details")->getObject("fields")->has(field));
        }
        refused(review("patient", "{\"appointment_id\":"), 400, "MALFORMED_JSON", "truncated JSON");
        refused(review("patient", "[1,2]"), 422, "VALIDATION_FAILED", "an array");
        CPPUNIT_ASSERT_EQUAL(0L, reviewsOf(visit));

        const auto id = createdId(review("patient", reviewBody(visit, 4, R"("ok")")));
        for (const char* body :
            {R"({"reason":42})", R"({"reason":""})", "{\"reason\":", R"({"reason":"a\u0000b"})"}) {
            auto r = site().client().post("/api/v1/reviews/" + str(id) + "/reject", body, site().as("admin"));
            CPPUNIT_ASSERT_MESSAGE(std::string(body) + " -> " + r.body, r.status == 422 || r.status == 400);
        }
        for (const char* path : {"/api/v1/reviews/99999999/approve", "/api/v1/reviews/x/approve",
                 "/api/v1/reviews/99999999/reject", "/api/v1/reviews/-1/reject"})
            refused(site().client().post(path, "", site().as("admin")), 404, "NOT_FOUND", path);
        refused(
            site().client().post("/api/v1/reviews/" + str(id) + "/approve", "{\"x\":", site().as("admin")),
            400, "MALFORMED_JSON", "approve with a broken body");
        CPPUNIT_ASSERT_EQUAL(std::string("pending"),
            site().sql("SELECT comment_status FROM reviews_entries WHERE id = " + str(id)));
        CPPUNIT_ASSERT_EQUAL(1L, reviewsOf(visit));
    }

    void theModerationQueueIsTheAdminsAndAPatientListsTheirOwn()
    {
        const auto doctor = newDoctor();
        const auto mine = createdId(
            review("patient", reviewBody(completedVisit(site().patient(), doctor, 13, 9), 5, R"("great")")));
        const auto theirs = createdId(
            review("patient2", reviewBody(completedVisit(world().patient2, doctor, 13, 10), 4, R"("good")")));
        auto queue
            = site().client().get("/api/v1/reviews?comment_status=pending&limit=500", site().as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(queue.body, 200, queue.status);
        std::set<Poco::Int64> ids;
        auto items = queue.json()->getArray("items");
        for (std::size_t i = 0; i < items->size(); ++i) {
            CPPUNIT_ASSERT_EQUAL(std::string("pending"),
                items->getObject(static_cast<unsigned>(i))->getValue<std::string>("comment_status"));
            ids.insert(items->getObject(static_cast<unsigned>(i))->getValue<Poco::Int64>("id"));
        }
        CPPUNIT_ASSERT(ids.count(mine) && ids.count(theirs));

        auto own = site().client().get("/api/v1/reviews?limit=500", site().as("patient2"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(own.body, 200, own.status);
        auto ownItems = own.json()->getArray("items");
        CPPUNIT_ASSERT(ownItems->size() >= 1);
        for (std::size_t i = 0; i < ownItems->size(); ++i)
            CPPUNIT_ASSERT_EQUAL(world().patient2,
                ownItems->getObject(static_cast<unsigned>(i))->getValue<Poco::Int64>("patient_id"));
        refused(site().client().get("/api/v1/reviews?comment_status=maybe", site().as("admin")), 422,
            "VALIDATION_FAILED", "an unknown status");
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ReviewsTest);
