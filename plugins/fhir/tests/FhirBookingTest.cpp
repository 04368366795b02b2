// Booking through FHIR and the searches that must hold under load: free
// Slots come from availability and a booked one is gone; POST Appointment
// goes through the JSON API's booking path (409 SLOT_TAKEN, the audit row);
// 32 clients racing for one slot get exactly one 201; 250 appointments page
// through _count=50 each exactly once while new ones are booked between
// pages; and bad input is 400 (or the booking's own 4xx) with nothing
// written.

#include <cppunit/extensions/HelperMacros.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "FhirWorld.h"

using namespace fhirtest;

namespace {

std::string str(std::int64_t id)
{
    return std::to_string(id);
}

std::string appointmentBody(
    std::int64_t patient, const std::string& slotOrStart, std::int64_t doctor = 0, std::int64_t service = 0)
{
    std::string body = R"({"resourceType":"Appointment","status":"booked","participant":[)"
                       R"({"actor":{"reference":"Patient/)"
        + str(patient) + R"("},"status":"accepted"})";
    if (doctor)
        body += R"(,{"actor":{"reference":"Practitioner/)" + str(doctor) + R"("},"status":"accepted"})";
    if (service)
        body += R"(,{"actor":{"reference":"HealthcareService/)" + str(service) + R"("},"status":"accepted"})";
    body += "]";
    if (slotOrStart.rfind("Slot/", 0) == 0)
        body += R"(,"slot":[{"reference":")" + slotOrStart + R"("}])";
    else
        body += R"(,"start":")" + slotOrStart + R"(")";
    return body + "}";
}

HttpResult postFhir(HttpClient& c, const std::string& body, const std::map<std::string, std::string>& headers)
{
    return c.request("POST", "/fhir/r4/Appointment", body, headers, "application/fhir+json");
}

} // namespace

class FhirBookingTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(FhirBookingTest);
    CPPUNIT_TEST(freeSlotsComeFromAvailabilityAndABookedOneIsGone);
    CPPUNIT_TEST(aPatientBooksForThemselfOnly);
    CPPUNIT_TEST(thirtyTwoClientsRacingForOneSlotHaveOneWinner);
    CPPUNIT_TEST(pagingThroughTwoHundredFiftyAppointmentsReturnsEachOnce);
    CPPUNIT_TEST(badInputIsRefusedWithNothingWritten);
    CPPUNIT_TEST(everyFetchedResourceValidatesAgainstTheR4Schema);
    CPPUNIT_TEST_SUITE_END();

public:
    void freeSlotsComeFromAvailabilityAndABookedOneIsGone()
    {
        const auto service = site().newService(30, "Slot visit", 15000);
        const auto doctor = newWorkingDoctor({service}, "Dr. Slot");
        const std::string schedule = "Schedule/" + str(doctor) + "-" + str(service);
        // The 20th, Bucharest 08:00-20:00 = 06:00Z-18:00Z: 24 half-hour slots.
        auto bundle = fetch("/fhir/r4/Slot?schedule=" + schedule
                + "&start=ge2027-01-20T06:00:00Z&start=lt2027-01-21T00:00:00Z",
            as("patient"));
        auto slots = entries(bundle);
        CPPUNIT_ASSERT_EQUAL(std::size_t(24), slots.size());
        CPPUNIT_ASSERT_EQUAL(
            std::string("2027-01-20T06:00:00Z"), slots.front()->getValue<std::string>("start"));
        CPPUNIT_ASSERT_EQUAL(std::string("free"), slots.front()->getValue<std::string>("status"));
        // The same as GET /api/v1/availability, slot for slot.
        auto api = site().client().get("/api/v1/availability?doctor_id=" + str(doctor)
                + "&service_id=" + str(service) + "&from=2027-01-20&to=2027-01-20",
            as("admin"));
        CPPUNIT_ASSERT_EQUAL(slots.size(), api.json()->getArray("items")->size());
        // Paging the day by 10.
        std::set<std::string> paged;
        std::string next = "/fhir/r4/Slot?schedule=" + schedule + "&start=2027-01-20&_count=10";
        int pages = 0;
        while (!next.empty()) {
            auto page = fetch(next, as("admin"));
            for (const auto& id : ids(page))
                CPPUNIT_ASSERT_MESSAGE(id, paged.insert(id).second);
            next = nextLink(page);
            ++pages;
        }
        CPPUNIT_ASSERT_EQUAL(3, pages);
        CPPUNIT_ASSERT_EQUAL(std::size_t(24), paged.size());
        CPPUNIT_ASSERT(entries(
            fetch("/fhir/r4/Slot?schedule=" + schedule + "&start=2027-01-20&status=busy", as("admin")))
                           .empty());

        const std::string slotId = slots[3]->getValue<std::string>("id");
        fetch("/fhir/r4/Slot/" + slotId, as("admin"));
        const long before = site().count("scheduling_appointments");
        auto booked = postFhir(
            site().client(), appointmentBody(site().patient(), "Slot/" + slotId), as("receptionist"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(booked.body, 201, booked.status);
        auto appointment = keep(booked);
        CPPUNIT_ASSERT_EQUAL(std::string("pending"), appointment->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(
            slots[3]->getValue<std::string>("start"), appointment->getValue<std::string>("start"));
        const std::string id = appointment->getValue<std::string>("id");
        CPPUNIT_ASSERT(booked.header("location").find("/fhir/r4/Appointment/" + id) != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(before + 1, site().count("scheduling_appointments"));
        // The JSON API's own path: its audit row and its event.
        CPPUNIT_ASSERT_EQUAL(
            1L, site().count("audit_log", "action = 'appointment.create' AND object_id = '" + id + "'"));
        // The slot is taken now: not free, not readable, not bookable again.
        CPPUNIT_ASSERT_EQUAL(
            std::string("NOT_FOUND"), outcomeCode(fetch("/fhir/r4/Slot/" + slotId, as("admin"), 404)));
        CPPUNIT_ASSERT_EQUAL(std::size_t(23),
            entries(fetch("/fhir/r4/Slot?schedule=" + schedule + "&start=2027-01-20", as("admin"))).size());
        auto again
            = postFhir(site().client(), appointmentBody(world().otherPatient, "Slot/" + slotId), as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(again.body, 409, again.status);
        auto outcome = keep(again);
        CPPUNIT_ASSERT_EQUAL(std::string("SLOT_TAKEN"), outcomeCode(outcome));
        CPPUNIT_ASSERT_EQUAL(
            std::string("conflict"), outcome->getArray("issue")->getObject(0)->getValue<std::string>("code"));
        CPPUNIT_ASSERT_EQUAL(before + 1, site().count("scheduling_appointments"));
        // By start, practitioner and service instead of a slot.
        auto byStart = postFhir(site().client(),
            appointmentBody(world().otherPatient, bucharest(20, 15 * 60), doctor, service), as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(byStart.body, 201, byStart.status);
        CPPUNIT_ASSERT_EQUAL(
            std::string("2027-01-20T13:00:00Z"), keep(byStart)->getValue<std::string>("start"));
    }

    void aPatientBooksForThemselfOnly()
    {
        const auto service = site().newService(20, "Own visit", 15000);
        const auto doctor = newWorkingDoctor({service}, "Dr. Self");
        const std::string slot = "Slot/" + str(doctor) + "-" + str(service) + "-" + str(utcOf(21, 9 * 60));
        // For someone else: as if that patient did not exist.
        auto other = postFhir(site().client(), appointmentBody(world().otherPatient, slot), as("patient"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(other.body, 404, other.status);
        CPPUNIT_ASSERT_EQUAL(std::string("NOT_FOUND"), outcomeCode(keep(other)));
        CPPUNIT_ASSERT_EQUAL(0L, site().count("scheduling_appointments", "doctor_id = " + str(doctor)));
        // Without a Patient participant: themself.
        auto own = postFhir(site().client(),
            R"({"resourceType":"Appointment","status":"booked","slot":[{"reference":")" + slot
                + R"("}],"participant":[]})",
            as("patient"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(own.body, 201, own.status);
        auto participants = keep(own)->getArray("participant");
        CPPUNIT_ASSERT_EQUAL(std::string("Patient/" + str(site().patient())),
            participants->getObject(0)->getObject("actor")->getValue<std::string>("reference"));
    }

    void thirtyTwoClientsRacingForOneSlotHaveOneWinner()
    {
        constexpr int kClients = 32;
        const auto service = site().newService(15, "Race", 15000);
        const auto doctor = newWorkingDoctor({service}, "Dr. Race");
        std::vector<std::int64_t> patients;
        for (int i = 0; i < 4; ++i)
            patients.push_back(site().newPatient(R"({"first_name":"Racer","last_name":"N)"
                + std::string(1, char('A' + i)) + R"(","birth_date":"1981-01-0)" + str(i + 1)
                + R"(","sex":"male","phone":"+40 700 200 00)" + str(i) + R"(","force":true})"));
        const std::string slot = "Slot/" + str(doctor) + "-" + str(service) + "-" + str(utcOf(22, 10 * 60));
        const auto headers = as("receptionist");
        const int port = site().daemon().port();
        std::mutex m;
        std::condition_variable cv;
        int ready = 0;
        bool go = false;
        std::vector<HttpResult> answers(kClients);
        std::vector<std::thread> threads;
        for (int i = 0; i < kClients; ++i)
            threads.emplace_back([&, i] {
                HttpClient c("127.0.0.1", port);
                c.get("/health/live"); // connected before the start
                {
                    std::unique_lock<std::mutex> lock(m);
                    ++ready;
                    cv.notify_all();
                    cv.wait(lock, [&] { return go; });
                }
                answers[static_cast<std::size_t>(i)] = postFhir(c,
                    appointmentBody(patients[static_cast<std::size_t>(i) % patients.size()], slot), headers);
            });
        {
            std::unique_lock<std::mutex> lock(m);
            cv.wait(lock, [&] { return ready == kClients; });
            go = true;
        }
        cv.notify_all();
        for (auto& t : threads)
            t.join();
        int won = 0, taken = 0;
        std::string other;
        for (const auto& a : answers) {
            if (a.status == 201)
                ++won;
            else if (a.status == 409 && outcomeCode(keep(a)) == "SLOT_TAKEN")
                ++taken;
            else
                other += " " + std::to_string(a.status) + ":" + a.body.substr(0, 160);
        }
        CPPUNIT_ASSERT_EQUAL_MESSAGE(other, 1, won);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(other, kClients - 1, taken);
        CPPUNIT_ASSERT_EQUAL(1L, site().count("scheduling_appointments", "doctor_id = " + str(doctor)));
    }

    void pagingThroughTwoHundredFiftyAppointmentsReturnsEachOnce()
    {
        const auto service = site().newService(10, "Paging", 5000);
        const auto doctor = newWorkingDoctor({service}, "Dr. Pages");
        // 250 ten-minute appointments over four days (72 a day), booked
        // through the JSON API for speed of setup.
        std::set<std::string> booked;
        const auto patient = site().patient();
        for (int i = 0; i < 250; ++i) {
            const int day = 4 + i / 72, minute = 8 * 60 + (i % 72) * 10;
            auto r = site().client().post("/api/v1/appointments",
                R"({"patient_id":)" + str(patient) + R"(,"doctor_id":)" + str(doctor) + R"(,"service_id":)"
                    + str(service) + R"(,"start":")" + bucharest(day, minute) + R"("})",
                as("admin"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
            booked.insert(str(r.json()->getValue<Poco::Int64>("id")));
        }
        std::map<std::string, int> seen;
        std::string next = "/fhir/r4/Appointment?practitioner=Practitioner/" + str(doctor) + "&_count=50";
        int pages = 0, inserted = 0;
        std::string lastStart;
        while (!next.empty()) {
            auto page = fetch(next, as("admin"));
            auto items = entries(page);
            CPPUNIT_ASSERT(items.size() <= 50);
            for (const auto& a : items) {
                ++seen[a->getValue<std::string>("id")];
                // Start order holds across pages.
                CPPUNIT_ASSERT(a->getValue<std::string>("start") >= lastStart);
                lastStart = a->getValue<std::string>("start");
            }
            next = nextLink(page);
            ++pages;
            // New bookings between pages, before and after the cursor: none
            // may push an appointment into a second page or out of every page.
            if (pages <= 2) {
                for (int day : {3, 9}) {
                    auto r = site().client().post("/api/v1/appointments",
                        R"({"patient_id":)" + str(patient) + R"(,"doctor_id":)" + str(doctor)
                            + R"(,"service_id":)" + str(service) + R"(,"start":")"
                            + bucharest(day, 9 * 60 + pages * 10) + R"("})",
                        as("admin"));
                    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
                    ++inserted;
                }
            }
        }
        for (const auto& id : booked)
            CPPUNIT_ASSERT_EQUAL_MESSAGE("appointment " + id, 1, seen[id]);
        for (const auto& [id, n] : seen)
            CPPUNIT_ASSERT_EQUAL_MESSAGE("appointment " + id + " more than once", 1, n);
        CPPUNIT_ASSERT(pages >= 5);
        CPPUNIT_ASSERT_EQUAL(4, inserted);
    }

    void badInputIsRefusedWithNothingWritten()
    {
        const auto service = site().newService(10, "Bad input", 5000);
        const auto doctor = newWorkingDoctor({service}, "Dr. Bad");
        const auto patient = site().patient();
        const std::string slot = "Slot/" + str(doctor) + "-" + str(service) + "-" + str(utcOf(23, 9 * 60));
        const long appointments = site().count("scheduling_appointments");
        const long audit = site().count("audit_log", "action = 'appointment.create' AND outcome = 'ok'");
        struct Case {
            std::string what, body;
            int status;
            std::string code;
        };
        const std::vector<Case> cases = {
            {"malformed JSON", R"({"resourceType":"Appointment",)", 400, "MALFORMED_JSON"},
            {"not an object", R"(["Appointment"])", 422, "VALIDATION_FAILED"},
            {"wrong resourceType", R"({"resourceType":"Patient","slot":[{"reference":")" + slot + R"("}]})",
                400, "INVALID_RESOURCE"},
            {"no resourceType", R"({"slot":[{"reference":")" + slot + R"("}]})", 400, "INVALID_RESOURCE"},
            {"impossible date", appointmentBody(patient, "2027-02-30T09:00:00+02:00", doctor, service), 400,
                "INVALID_RESOURCE"},
            {"not a date", appointmentBody(patient, "next tuesday", doctor, service), 400,
                "INVALID_RESOURCE"},
            {"slot that is not one", appointmentBody(patient, "Slot/abc"), 400, "INVALID_RESOURCE"},
            {"no practitioner", appointmentBody(patient, bucharest(23, 9 * 60), 0, service), 400,
                "INVALID_RESOURCE"},
            {"unknown participant type",
                R"({"resourceType":"Appointment","participant":[{"actor":{"reference":"Device/1"}}],"slot":[{"reference":")"
                    + slot + R"("}]})",
                400, "INVALID_RESOURCE"},
            {"status cancelled",
                R"({"resourceType":"Appointment","status":"cancelled","slot":[{"reference":")" + slot
                    + R"("}],"participant":[{"actor":{"reference":"Patient/)" + str(patient) + R"("}}]})",
                400, "INVALID_RESOURCE"},
            {"slot and start disagree",
                R"({"resourceType":"Appointment","start":")" + bucharest(23, 10 * 60)
                    + R"(","slot":[{"reference":")" + slot
                    + R"("}],"participant":[{"actor":{"reference":"Patient/)" + str(patient) + R"("}}]})",
                400, "INVALID_RESOURCE"},
            // The booking's own checks, answered as OperationOutcomes.
            {"in the past", appointmentBody(patient, "2026-12-01T09:00:00+02:00", doctor, service), 422,
                "VALIDATION_FAILED"},
            {"outside working hours", appointmentBody(patient, bucharest(23, 21 * 60), doctor, service), 422,
                "VALIDATION_FAILED"},
            {"unknown patient", appointmentBody(987654, slot), 422, "VALIDATION_FAILED"},
        };
        for (const auto& c : cases) {
            auto r = postFhir(site().client(), c.body, as("admin"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.what + ": " + r.body, c.status, r.status);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.what + ": " + r.body, c.code, outcomeCode(keep(r)));
        }
        for (const std::string& query :
            std::vector<std::string> {"/fhir/r4/Appointment?colour=red", "/fhir/r4/Appointment?_count=0",
                "/fhir/r4/Appointment?_count=501", "/fhir/r4/Appointment?_cursor=nonsense",
                "/fhir/r4/Appointment?date=2027-02-29", "/fhir/r4/Slot?start=2027-01-20",
                "/fhir/r4/Slot?schedule=Schedule/" + str(doctor) + "-" + str(service)
                    + "&start=ge2027-01-01&start=lt2027-06-01"})
            CPPUNIT_ASSERT_EQUAL_MESSAGE(query, 400, site().client().get(query, as("admin")).status);
        CPPUNIT_ASSERT_EQUAL(appointments, site().count("scheduling_appointments"));
        CPPUNIT_ASSERT_EQUAL(
            audit, site().count("audit_log", "action = 'appointment.create' AND outcome = 'ok'"));
    }

    void everyFetchedResourceValidatesAgainstTheR4Schema() { validateKept(40); }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FhirBookingTest);
