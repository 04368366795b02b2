// Read and search of every FHIR type through the real clinicd: the
// CapabilityStatement says what is served and every parameter it lists is
// accepted; each type reads by id and searches by its parameters; a patient
// token sees only its own Patient, Appointments and MedicationRequests; and
// every resource these suites fetched validates against the official R4
// JSON schema (the last test, so it sees them all).

#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <set>

#include <Poco/JSON/Array.h>

#include "FhirWorld.h"

using namespace fhirtest;

namespace {

std::string str(std::int64_t id)
{
    return std::to_string(id);
}

/// Books through the JSON API as admin; the appointment id.
std::int64_t book(std::int64_t patient, std::int64_t doctor, std::int64_t service, const std::string& start)
{
    return createdId(site().client().post("/api/v1/appointments",
        R"({"patient_id":)" + str(patient) + R"(,"doctor_id":)" + str(doctor) + R"(,"service_id":)"
            + str(service) + R"(,"start":")" + start + R"("})",
        as("admin")));
}

bool contains(const std::vector<std::string>& all, const std::string& one)
{
    return std::find(all.begin(), all.end(), one) != all.end();
}

} // namespace

class FhirReadTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(FhirReadTest);
    CPPUNIT_TEST(capabilityStatementListsEveryTypeAndEachListedParameterIsAccepted);
    CPPUNIT_TEST(directoryTypesReadAndSearch);
    CPPUNIT_TEST(patientsSearchByIdIdentifierNameAndBirthdate);
    CPPUNIT_TEST(appointmentsSearchByDatePractitionerActorAndStatus);
    CPPUNIT_TEST(patientTokenSeesOnlyItsOwnRecords);
    CPPUNIT_TEST(medicationRequestsComeFromPrescriptions);
    CPPUNIT_TEST(kernelErrorsUnderFhirAreOperationOutcomes);
    CPPUNIT_TEST(everyFetchedResourceValidatesAgainstTheR4Schema);
    CPPUNIT_TEST_SUITE_END();

public:
    void capabilityStatementListsEveryTypeAndEachListedParameterIsAccepted()
    {
        auto cap = fetch("/fhir/r4/metadata", {});
        CPPUNIT_ASSERT_EQUAL(std::string("CapabilityStatement"), cap->getValue<std::string>("resourceType"));
        CPPUNIT_ASSERT_EQUAL(std::string("4.0.1"), cap->getValue<std::string>("fhirVersion"));
        auto resources = cap->getArray("rest")->getObject(0)->getArray("resource");
        std::set<std::string> types;
        // A value each parameter type accepts (a reference's type by name).
        const std::map<std::string, std::string> sample = {{"patient", "Patient/" + str(site().patient())},
            {"subject", "Patient/" + str(site().patient())}, {"practitioner", "Practitioner/1"},
            {"location", "Location/1"}, {"actor", "Practitioner/1"},
            {"schedule", "Schedule/" + str(world().doctor) + "-" + str(world().service)}};
        for (std::size_t i = 0; i < resources->size(); ++i) {
            auto r = resources->getObject(static_cast<unsigned>(i));
            const std::string type = r->getValue<std::string>("type");
            types.insert(type);
            auto params = r->getArray("searchParam");
            for (std::size_t j = 0; j < params->size(); ++j) {
                auto p = params->getObject(static_cast<unsigned>(j));
                const std::string name = p->getValue<std::string>("name");
                const std::string kind = p->getValue<std::string>("type");
                std::string value = kind == "date" ? "ge2027-01-01" : kind == "string" ? "a" : "1";
                if (sample.count(name))
                    value = sample.at(name);
                if (name == "status")
                    value = type == "Slot" ? "free" : type == "Appointment" ? "booked" : "active";
                if (type == "MedicationRequest" && name == "_id")
                    value = str(site().patient()) + "-1-1";
                // The parameter must be known (no 400) whatever it matches.
                auto bundle = fetch("/fhir/r4/" + type + "?" + name + "=" + value
                        + (type == "Slot" && name != "schedule" ? "&schedule=" + sample.at("schedule") : "")
                        + (type == "MedicationRequest" && name != "patient" && name != "subject"
                                    && name != "_id"
                                ? "&patient=" + sample.at("patient")
                                : ""),
                    as("admin"));
                CPPUNIT_ASSERT_EQUAL(std::string("searchset"), bundle->getValue<std::string>("type"));
            }
        }
        for (const char* expected : {"Patient", "Practitioner", "Location", "HealthcareService", "Schedule",
                 "Slot", "Appointment", "MedicationRequest"})
            CPPUNIT_ASSERT_MESSAGE(expected, types.count(expected));
        // An unlisted parameter is refused, so the list is what is served.
        auto refused = fetch("/fhir/r4/Patient?gender=female", as("admin"), 400);
        CPPUNIT_ASSERT_EQUAL(std::string("UNKNOWN_PARAMETER"), outcomeCode(refused));
    }

    void directoryTypesReadAndSearch()
    {
        auto& w = world();
        auto practitioner = fetch("/fhir/r4/Practitioner/" + str(w.doctor), as("patient"));
        CPPUNIT_ASSERT_EQUAL(std::string("Dr. Ana Fhir"),
            practitioner->getArray("name")->getObject(0)->getValue<std::string>("text"));
        CPPUNIT_ASSERT(
            contains(ids(fetch("/fhir/r4/Practitioner?name=ana%20fhir", as("nurse"))), str(w.doctor)));
        CPPUNIT_ASSERT(ids(fetch("/fhir/r4/Practitioner?name=nobody-by-this-name", as("nurse"))).empty());
        auto location = fetch("/fhir/r4/Location/" + str(w.location), as("receptionist"));
        CPPUNIT_ASSERT_EQUAL(std::string("active"), location->getValue<std::string>("status"));
        CPPUNIT_ASSERT(
            contains(ids(fetch("/fhir/r4/Location?_id=" + str(w.location), as("doctor"))), str(w.location)));
        auto service = fetch("/fhir/r4/HealthcareService/" + str(w.service), as("doctor"));
        CPPUNIT_ASSERT_EQUAL(std::string("Consultation"), service->getValue<std::string>("name"));
        CPPUNIT_ASSERT(
            contains(ids(fetch("/fhir/r4/HealthcareService?name=consult", as("admin"))), str(w.service)));
        const std::string schedule = str(w.doctor) + "-" + str(w.service);
        auto s = fetch("/fhir/r4/Schedule/" + schedule, as("patient"));
        CPPUNIT_ASSERT_EQUAL(std::string("Practitioner/" + str(w.doctor)),
            s->getArray("actor")->getObject(0)->getValue<std::string>("reference"));
        CPPUNIT_ASSERT_EQUAL(std::vector<std::string> {schedule},
            ids(fetch("/fhir/r4/Schedule?actor=Practitioner/" + str(w.doctor), as("admin"))));
        // Ids that name nothing, or cannot: 404 as an OperationOutcome.
        for (const std::string& path :
            std::vector<std::string> {"/fhir/r4/Practitioner/987654", "/fhir/r4/Location/x",
                "/fhir/r4/Schedule/" + str(w.doctor) + "-987654", "/fhir/r4/Slot/1-2"})
            CPPUNIT_ASSERT_EQUAL(std::string("NOT_FOUND"), outcomeCode(fetch(path, as("admin"), 404)));
    }

    void patientsSearchByIdIdentifierNameAndBirthdate()
    {
        const auto id
            = site().newPatient(R"({"first_name":"Ștefania","last_name":"Căpraru","birth_date":"1990-02-28",)"
                                R"("sex":"female","phone":"+40 700 111 222","national_id":"2900228123452",)"
                                R"("email":"stefania@example.ro","force":true})");
        auto p = fetch("/fhir/r4/Patient/" + str(id), as("nurse"));
        CPPUNIT_ASSERT_EQUAL(std::string("1990-02-28"), p->getValue<std::string>("birthDate"));
        CPPUNIT_ASSERT_EQUAL(std::string("female"), p->getValue<std::string>("gender"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("Căpraru"), p->getArray("name")->getObject(0)->getValue<std::string>("family"));
        auto search = [](const std::string& query) {
            return ids(fetch("/fhir/r4/Patient?" + query, as("receptionist")));
        };
        CPPUNIT_ASSERT_EQUAL(std::vector<std::string> {str(id)}, search("_id=" + str(id)));
        CPPUNIT_ASSERT_EQUAL(std::vector<std::string> {str(id)}, search("identifier=2900228123452"));
        CPPUNIT_ASSERT_EQUAL(
            std::vector<std::string> {str(id)}, search("identifier=urn:clinicd:national-id%7C2900228123452"));
        CPPUNIT_ASSERT(search("identifier=urn:other:system%7C2900228123452").empty());
        // Case and diacritics fold as the API's ?q= does; first or last name.
        CPPUNIT_ASSERT(contains(search("name=capr"), str(id)));
        CPPUNIT_ASSERT(contains(search("name=STEF"), str(id)));
        CPPUNIT_ASSERT(!contains(search("name=aprar"), str(id)));
        CPPUNIT_ASSERT(contains(search("birthdate=1990-02-28"), str(id)));
        CPPUNIT_ASSERT(contains(search("birthdate=1990-02"), str(id)));
        CPPUNIT_ASSERT(contains(search("birthdate=ge1990-02-28&birthdate=lt1990-03-01"), str(id)));
        CPPUNIT_ASSERT(!contains(search("birthdate=gt1990-02-28"), str(id)));
        CPPUNIT_ASSERT(!contains(search("birthdate=le1990-02-27"), str(id)));
        // An impossible date is a client error, not an empty result.
        CPPUNIT_ASSERT_EQUAL(std::string("INVALID_PARAMETER"),
            outcomeCode(fetch("/fhir/r4/Patient?birthdate=1990-02-30", as("admin"), 400)));
        // The reason the caller gives is kept with the read, as the JSON API keeps it.
        auto withReason = as("nurse");
        withReason["X-Access-Reason"] = "lab referral";
        fetch("/fhir/r4/Patient/" + str(id), withReason);
        CPPUNIT_ASSERT_EQUAL(1L,
            site().count("audit_log",
                "action = 'fhir.patient.read' AND reason = 'lab referral' AND patient_id = " + str(id)));
        // Every search is audited.
        CPPUNIT_ASSERT(site().count("audit_log", "action = 'fhir.patient.search'") >= 8);
        CPPUNIT_ASSERT(
            site().count("audit_log", "action = 'fhir.patient.read' AND patient_id = " + str(id)) >= 1);
    }

    void appointmentsSearchByDatePractitionerActorAndStatus()
    {
        const auto service = site().newService(20, "Echo", 30000);
        const auto doctor = newWorkingDoctor({service}, "Dr. Search");
        const auto patient = site().patient();
        const auto a = book(patient, doctor, service, bucharest(11, 9 * 60));
        const auto b = book(patient, doctor, service, bucharest(12, 9 * 60));
        const auto c = book(world().otherPatient, doctor, service, bucharest(13, 10 * 60));
        auto r = site().client().post("/api/v1/appointments/" + str(b) + "/confirm", "{}", as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        const std::string who = "practitioner=Practitioner/" + str(doctor);
        auto search = [&](const std::string& query) {
            return ids(
                fetch("/fhir/r4/Appointment?" + who + (query.empty() ? "" : "&" + query), as("admin")));
        };
        using V = std::vector<std::string>;
        CPPUNIT_ASSERT_EQUAL((V {str(a), str(b), str(c)}), search(""));
        CPPUNIT_ASSERT_EQUAL((V {str(b)}), search("date=2027-01-12"));
        CPPUNIT_ASSERT_EQUAL((V {str(b), str(c)}), search("date=ge2027-01-12"));
        CPPUNIT_ASSERT_EQUAL((V {str(c)}), search("date=gt2027-01-12"));
        CPPUNIT_ASSERT_EQUAL((V {str(a)}), search("date=lt2027-01-12"));
        CPPUNIT_ASSERT_EQUAL((V {str(a), str(b)}), search("date=le2027-01-12"));
        // An instant: 09:00 Bucharest on the 12th is 07:00Z.
        CPPUNIT_ASSERT_EQUAL((V {str(b)}), search("date=eq2027-01-12T07:00:00Z"));
        CPPUNIT_ASSERT_EQUAL((V {str(b), str(c)}), search("date=ge2027-01-12T07:00:00Z&date=lt2027-01-14"));
        CPPUNIT_ASSERT_EQUAL((V {str(b)}), search("status=booked"));
        CPPUNIT_ASSERT_EQUAL((V {str(a), str(c)}), search("status=pending"));
        CPPUNIT_ASSERT_EQUAL((V {str(a), str(b), str(c)}), search("status=pending,booked"));
        CPPUNIT_ASSERT_EQUAL((V {}), search("status=proposed"));
        CPPUNIT_ASSERT_EQUAL((V {str(c)}), search("actor=Patient/" + str(world().otherPatient)));
        CPPUNIT_ASSERT_EQUAL((V {str(a), str(b)}), search("patient=Patient/" + str(patient)));
        auto read = fetch("/fhir/r4/Appointment/" + str(b), as("receptionist"));
        CPPUNIT_ASSERT_EQUAL(std::string("booked"), read->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("2027-01-12T07:00:00Z"), read->getValue<std::string>("start"));
        for (const char* bad : {"date=2027-13-01", "date=xx2027-01-01", "status=done", "actor=Device/1"})
            CPPUNIT_ASSERT_EQUAL(std::string("INVALID_PARAMETER"),
                outcomeCode(fetch(std::string("/fhir/r4/Appointment?") + bad, as("admin"), 400)));
        CPPUNIT_ASSERT(
            site().count("audit_log", "action = 'fhir.appointment.read' AND object_id = '" + str(b) + "'")
            == 1);
    }

    void patientTokenSeesOnlyItsOwnRecords()
    {
        const auto own = site().patient();
        const auto other = world().otherPatient;
        const auto service = site().newService(15, "Check-up", 10000);
        const auto doctor = newWorkingDoctor({service}, "Dr. Own");
        const auto mine = book(own, doctor, service, bucharest(15, 10 * 60));
        const auto theirs = book(other, doctor, service, bucharest(15, 11 * 60));
        auto patient = as("patient");
        CPPUNIT_ASSERT_EQUAL(
            str(own), fetch("/fhir/r4/Patient/" + str(own), patient)->getValue<std::string>("id"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("NOT_FOUND"), outcomeCode(fetch("/fhir/r4/Patient/" + str(other), patient, 404)));
        CPPUNIT_ASSERT_EQUAL(std::vector<std::string> {str(own)}, ids(fetch("/fhir/r4/Patient", patient)));
        CPPUNIT_ASSERT(ids(fetch("/fhir/r4/Patient?_id=" + str(other), patient)).empty());
        CPPUNIT_ASSERT(ids(fetch("/fhir/r4/Patient?name=other", patient)).empty());
        auto appointments
            = ids(fetch("/fhir/r4/Appointment?practitioner=Practitioner/" + str(doctor), patient));
        CPPUNIT_ASSERT_EQUAL(std::vector<std::string> {str(mine)}, appointments);
        CPPUNIT_ASSERT(ids(fetch("/fhir/r4/Appointment?patient=Patient/" + str(other), patient)).empty());
        CPPUNIT_ASSERT_EQUAL(std::string("NOT_FOUND"),
            outcomeCode(fetch("/fhir/r4/Appointment/" + str(theirs), patient, 404)));
        CPPUNIT_ASSERT_EQUAL(
            str(mine), fetch("/fhir/r4/Appointment/" + str(mine), patient)->getValue<std::string>("id"));
        CPPUNIT_ASSERT_EQUAL(std::string("NOT_FOUND"),
            outcomeCode(fetch("/fhir/r4/MedicationRequest?patient=Patient/" + str(other), patient, 404)));
        CPPUNIT_ASSERT_EQUAL(1L,
            site().count("audit_log",
                "action = 'fhir.medication_request.search' AND outcome = 'denied' AND patient_id = "
                    + str(other)));
        // The denied read is in the audit trail, as the JSON API's are.
        CPPUNIT_ASSERT(site().count("audit_log",
                           "action = 'fhir.appointment.read' AND outcome = 'denied' AND object_id = '"
                               + str(theirs) + "'")
            == 1);
    }

    void medicationRequestsComeFromPrescriptions()
    {
        // A doctor account linked to a doctor prescribes through the JSON API.
        const auto patient = site().patient();
        auto rx = site().client().post("/api/v1/prescriptions",
            R"({"patient_id":)" + str(patient) + R"(,"doctor_id":)" + str(world().doctor)
                + R"(,"items":[{"drug":"Amoxicilină 500 mg","dose":"1 capsule","route":"oral","frequency":"3 times a day",)"
                  R"("duration_days":7,"quantity":21,"refills":0},{"drug":"Paracetamol 500 mg","dose":"1 tablet",)"
                  R"("route":"oral","frequency":"as needed","duration_days":5,"quantity":10,"refills":1}],"notes":"FHIR"})",
            as("doctor"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(rx.body, 201, rx.status);
        const auto rxId = rx.json()->getValue<Poco::Int64>("id");
        auto bundle = fetch("/fhir/r4/MedicationRequest?patient=Patient/" + str(patient), as("doctor"));
        const std::string first = str(patient) + "-" + str(rxId) + "-1",
                          second = str(patient) + "-" + str(rxId) + "-2";
        CPPUNIT_ASSERT(contains(ids(bundle), first) && contains(ids(bundle), second));
        auto one = fetch("/fhir/r4/MedicationRequest/" + second, as("patient"));
        CPPUNIT_ASSERT_EQUAL(std::string("active"), one->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("Paracetamol 500 mg"),
            one->getObject("medicationCodeableConcept")->getValue<std::string>("text"));
        // The patient's own search needs no patient parameter; paging by one.
        auto page = fetch("/fhir/r4/MedicationRequest?_count=1", as("patient"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), ids(page).size());
        CPPUNIT_ASSERT(!nextLink(page).empty());
        // Reception does not read prescriptions, as in the JSON API.
        CPPUNIT_ASSERT_EQUAL(std::string("FORBIDDEN"),
            outcomeCode(fetch("/fhir/r4/MedicationRequest/" + first, as("receptionist"), 403)));
    }

    void kernelErrorsUnderFhirAreOperationOutcomes()
    {
        auto& c = site().client();
        auto unauthenticated = c.get("/fhir/r4/Patient");
        CPPUNIT_ASSERT_EQUAL(401, unauthenticated.status);
        CPPUNIT_ASSERT_EQUAL(std::string("UNAUTHENTICATED"), outcomeCode(keep(unauthenticated)));
        CPPUNIT_ASSERT(!unauthenticated.header("www-authenticate").empty());
        auto badToken = c.get("/fhir/r4/Patient", {{"Authorization", "Bearer not-a-token"}});
        CPPUNIT_ASSERT_EQUAL(401, badToken.status);
        CPPUNIT_ASSERT_EQUAL(std::string("login"),
            keep(badToken)->getArray("issue")->getObject(0)->getValue<std::string>("code"));
        auto unknownType = c.get("/fhir/r4/Observation", as("admin"));
        CPPUNIT_ASSERT_EQUAL(404, unknownType.status);
        CPPUNIT_ASSERT_EQUAL(std::string("not-found"),
            keep(unknownType)->getArray("issue")->getObject(0)->getValue<std::string>("code"));
        auto wrongMethod = c.request("DELETE", "/fhir/r4/Patient/1", "", as("admin"));
        CPPUNIT_ASSERT_EQUAL(405, wrongMethod.status);
        CPPUNIT_ASSERT_EQUAL(std::string("GET"), wrongMethod.header("allow"));
        CPPUNIT_ASSERT_EQUAL(std::string("METHOD_NOT_ALLOWED"), outcomeCode(keep(wrongMethod)));
        // The JSON API keeps its own envelope.
        auto api = c.get("/api/v1/patients");
        CPPUNIT_ASSERT_EQUAL(401, api.status);
        CPPUNIT_ASSERT_EQUAL(std::string("UNAUTHENTICATED"), api.errorCode());
    }

    void everyFetchedResourceValidatesAgainstTheR4Schema()
    {
        fetch("/fhir/r4/metadata", {});
        validateKept(40);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FhirReadTest);
