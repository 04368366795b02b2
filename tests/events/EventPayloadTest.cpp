// Every event the plugins publish, made to happen through the real clinicd
// and heard by a test plugin subscribed to "*", against the "Events" table
// of its publisher's README (plugins/<name>/README.md). A key the payload
// carries but the table does not name, a key the table names but the payload
// lacks, a value of another type, a documented type that never happened and
// a published type no README documents all fail the test.
//
// A table row reads: | `type` | when | `key` (integer), `other` (string, optional) |
// "optional" keys are present only sometimes (the row says when); each must
// still be seen at least once.

#include <fstream>
#include <iostream>
#include <regex>
#include <set>
#include <sstream>

#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <cppunit/extensions/HelperMacros.h>

#include "ClinicFixture.h"

using namespace clinic::test;

namespace {

struct DocumentedKey {
    std::string type; ///< "integer" or "string"
    bool optional = false;
};

struct DocumentedEvent {
    std::string readme;
    std::map<std::string, DocumentedKey> keys;
};

std::vector<std::string> cellsOf(const std::string& row)
{
    std::vector<std::string> cells;
    std::size_t start = row.find('|');
    while (start != std::string::npos) {
        const auto end = row.find('|', start + 1);
        if (end == std::string::npos)
            break;
        std::string cell = row.substr(start + 1, end - start - 1);
        const auto first = cell.find_first_not_of(' '), last = cell.find_last_not_of(' ');
        cells.push_back(first == std::string::npos ? "" : cell.substr(first, last - first + 1));
        start = end;
    }
    return cells;
}

/// The rows of the table under "## Events" in one README, by event type.
void readEventTable(const std::string& readme, std::map<std::string, DocumentedEvent>& out)
{
    std::ifstream in(readme);
    std::string line;
    bool inSection = false;
    const std::regex typeCell("^`([a-z_]+\\.[a-z_]+)`$");
    const std::regex keyItem("`([a-z_]+)` \\((integer|string)(, optional)?\\)");
    while (std::getline(in, line)) {
        if (line.rfind("## ", 0) == 0) {
            inSection = line.rfind("## Events", 0) == 0;
            continue;
        }
        if (!inSection || line.rfind("|", 0) != 0)
            continue;
        const auto cells = cellsOf(line);
        std::smatch type;
        if (cells.size() < 3 || !std::regex_match(cells[0], type, typeCell))
            continue; // the header and its rule
        CPPUNIT_ASSERT_MESSAGE(readme + " documents " + type[1].str() + " twice", !out.count(type[1].str()));
        DocumentedEvent event;
        event.readme = readme;
        const std::string& keys = cells[2];
        for (auto it = std::sregex_iterator(keys.begin(), keys.end(), keyItem); it != std::sregex_iterator();
             ++it)
            event.keys[(*it)[1].str()] = DocumentedKey {(*it)[2].str(), (*it)[3].matched};
        CPPUNIT_ASSERT_MESSAGE(
            readme + ": no key read for " + type[1].str() + " in \"" + keys + "\"", !event.keys.empty());
        out[type[1].str()] = event;
    }
}

std::map<std::string, DocumentedEvent> documentedEvents()
{
    std::map<std::string, DocumentedEvent> out;
    // Every plugin's README, so a new publisher's table is read too.
    for (Poco::DirectoryIterator it(sourceDir() + "/plugins"), end; it != end; ++it) {
        const std::string readme = it->path() + "/README.md";
        if (it->isDirectory() && Poco::File(readme).exists())
            readEventTable(readme, out);
    }
    return out;
}

bool hasType(const Poco::Dynamic::Var& value, const std::string& type)
{
    if (type == "integer")
        return value.isInteger();
    return value.isString();
}

struct Clinic {
    std::unique_ptr<TempDir> rules; ///< an empty rules.dir: no notice rule interferes
    std::unique_ptr<ClinicFixture> fixture;
};

ClinicFixture& fixture()
{
    static Clinic c;
    if (!c.fixture) {
        c.rules = std::make_unique<TempDir>();
        ClinicFixture::Options o;
        o.daemon = clinicDaemonOptions("records,scheduling,prescriptions,reviews,staffaccess,eventstest");
        o.daemon.config["clock.start"] = "2027-01-01T00:00:00Z";
        o.daemon.config["rules.dir"] = c.rules->path();
        o.accountPrefix = "events";
        o.roles = {"receptionist", "patient", "doctor"};
        c.fixture = std::make_unique<ClinicFixture>(o);
    }
    return *c.fixture;
}

HttpResult act(std::int64_t appointment, const std::string& what, const std::string& body)
{
    auto r = fixture().client().post("/api/v1/appointments/" + std::to_string(appointment) + "/" + what, body,
        fixture().as("receptionist"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(what + ": " + r.body, 200, r.status);
    return r;
}

/// Every kind of event the clinic publishes today, each at least once.
void makeEveryEventHappen()
{
    auto& k = fixture();
    auto& c = k.client();
    const auto desk = k.as("receptionist");
    const auto location = k.newLocation("Europe/Bucharest");
    const auto service = k.newService(30);
    const auto doctor = k.newDoctor(location, {service});
    std::string hours;
    for (int day = 1; day <= 7; ++day)
        hours += std::string(hours.empty() ? "" : ",") + R"({"weekday":)" + std::to_string(day)
            + R"(,"start":"08:00","end":"20:00","location_id":)" + std::to_string(location) + "}";
    auto put = c.request(
        "PUT", "/api/v1/doctors/" + std::to_string(doctor) + "/hours", "[" + hours + "]", k.as("admin"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(put.body, 200, put.status);

    const auto other = k.newPatient(R"({"first_name":"Ion","last_name":"Events","birth_date":"1975-05-05",)"
                                    R"("sex":"male","phone":"+40 700 000 002","force":true})");
    auto book = [&](std::int64_t patient, const std::string& start, const std::string& extra = "") {
        return createdJson(c.post("/api/v1/appointments",
            R"({"patient_id":)" + std::to_string(patient) + R"(,"doctor_id":)" + std::to_string(doctor)
                + R"(,"service_id":)" + std::to_string(service) + R"(,"start":")" + start + "\"" + extra
                + "}",
            desk));
    };
    const auto single = book(k.patient(), "2027-01-11T10:00:00+02:00")->getValue<Poco::Int64>("id");
    act(single, "confirm", "");
    act(single, "reschedule", R"({"start":"2027-01-11T11:00:00+02:00"})");
    // An appointment of a series carries series_id through every change.
    const auto series
        = book(k.patient(), "2027-01-12T09:00:00+02:00", R"(,"recurrence":{"freq":"weekly","count":2})")
              ->getArray("items")
              ->getObject(0)
              ->getValue<Poco::Int64>("id");
    act(series, "confirm", "");
    act(series, "reschedule", R"({"start":"2027-01-12T12:00:00+02:00"})");
    act(series, "cancel", R"({"reason":"feels better"})");

    // The patient waits for that day; the other patient's cancelled slot is offered.
    const auto taken = book(other, "2027-01-13T10:00:00+02:00")->getValue<Poco::Int64>("id");
    createdJson(c.post("/api/v1/waitlist",
        R"({"doctor_id":)" + std::to_string(doctor) + R"(,"service_id":)" + std::to_string(service)
            + R"(,"earliest":"2027-01-13T00:00:00+02:00","latest":"2027-01-14T00:00:00+02:00"})",
        k.as("patient")));
    act(taken, "cancel", R"({"reason":"cannot come"})");

    // A prescription by the doctor account (the doctor made above), a
    // renewal the patient asks for, and its cancellation.
    const auto prescription = createdJson(
        c.post("/api/v1/prescriptions",
            R"({"patient_id":)" + std::to_string(k.patient())
                + R"(,"items":[{"drug":"Events syrup","dose":"5 ml","route":"oral","frequency":"daily",)"
                  R"("duration_days":5,"quantity":1}]})",
            k.as("doctor")))
                                  ->getValue<Poco::Int64>("id");
    const std::string rx = "/api/v1/prescriptions/" + std::to_string(prescription);
    createdJson(c.post(rx + "/renewal-requests", "{}", k.as("patient")));
    auto cancelled = c.post(rx + "/cancel", R"({"reason":"events"})", k.as("doctor"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(cancelled.body, 200, cancelled.status);

    // reviews: one comment approved, one rejected
    auto decided = [&](const std::string& path, const HttpResult& r) {
        CPPUNIT_ASSERT_EQUAL_MESSAGE(path + ": " + r.body, 200, r.status);
    };
    for (const char* how : {"approve", "reject"}) {
        const auto visit = book(k.patient(),
            how == std::string("approve") ? "2027-01-14T10:00:00+02:00" : "2027-01-14T11:00:00+02:00")
                               ->getValue<Poco::Int64>("id");
        for (const char* step : {"check-in", "complete"}) {
            const std::string path = "/api/v1/appointments/" + std::to_string(visit) + "/" + step;
            decided(path, c.post(path, "", k.as("admin")));
        }
        const auto review = createdId(c.post("/api/v1/reviews",
            R"({"appointment_id":)" + std::to_string(visit) + R"(,"rating":4,"comment":"events"})",
            k.as("patient")));
        const std::string path = "/api/v1/reviews/" + std::to_string(review) + "/" + how;
        decided(path, c.post(path, "", k.as("admin")));
    }
    // access requests: one approved, one rejected
    for (const char* how : {"approve", "reject"}) {
        const auto request = createdId(c.post("/api/v1/access-requests",
            R"({"location_id":)" + std::to_string(k.newLocation("Europe/Bucharest"))
                + R"(,"role":"receptionist"})",
            desk));
        const std::string path = "/api/v1/access-requests/" + std::to_string(request) + "/" + how;
        decided(path, c.post(path, "", k.as("admin")));
    }
}

Poco::JSON::Array::Ptr heard()
{
    auto r = fixture().client().get("/api/v1/eventstest/received");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
    return r.json()->getArray("items");
}

} // namespace

class EventPayloadTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(EventPayloadTest);
    CPPUNIT_TEST(everyPublishedPayloadMatchesItsReadmeTable);
    CPPUNIT_TEST_SUITE_END();

public:
    void everyPublishedPayloadMatchesItsReadmeTable()
    {
        const auto documented = documentedEvents();
        CPPUNIT_ASSERT_MESSAGE("no README documents an event", !documented.empty());
        makeEveryEventHappen();
        // Delivered after each commit on the request's thread: they are all
        // in by now, but a poll costs nothing when they are.
        Poco::JSON::Array::Ptr items;
        eventually([&] {
            items = heard();
            std::set<std::string> types;
            for (std::size_t i = 0; i < items->size(); ++i)
                types.insert(items->getObject(static_cast<unsigned>(i))->getValue<std::string>("type"));
            return types.size() >= documented.size();
        });

        std::vector<std::string> failures;
        std::map<std::string, std::set<std::string>> seenKeys;
        for (std::size_t i = 0; i < items->size(); ++i) {
            auto item = items->getObject(static_cast<unsigned>(i));
            const std::string type = item->getValue<std::string>("type");
            auto doc = documented.find(type);
            if (doc == documented.end()) {
                failures.push_back(type + " is published but no plugin README documents it");
                continue;
            }
            auto payload = item->getObject("payload");
            if (!payload) {
                failures.push_back(type + " has no payload object");
                continue;
            }
            for (const auto& [key, value] : *payload) {
                seenKeys[type].insert(key);
                auto documentedKey = doc->second.keys.find(key);
                if (documentedKey == doc->second.keys.end())
                    failures.push_back(
                        type + " carries " + key + ", which " + doc->second.readme + " does not list");
                else if (!hasType(value, documentedKey->second.type))
                    failures.push_back(type + "." + key + " is not a " + documentedKey->second.type + ": "
                        + value.toString());
            }
            for (const auto& [key, spec] : doc->second.keys)
                if (!spec.optional && !payload->has(key))
                    failures.push_back(type + " lacks " + key + ", which " + doc->second.readme + " lists");
        }
        for (const auto& [type, doc] : documented) {
            if (!seenKeys.count(type)) {
                failures.push_back(type + " is documented in " + doc.readme + " but never happened");
                continue;
            }
            for (const auto& [key, spec] : doc.keys)
                if (spec.optional && !seenKeys[type].count(key))
                    failures.push_back(type + "'s optional " + key + " was never seen: make it happen");
        }
        std::cout << "\n  " << items->size() << " events heard, " << documented.size() << " types documented"
                  << std::endl;
        std::string report;
        for (const auto& f : failures)
            report += "\n  " + f;
        CPPUNIT_ASSERT_MESSAGE("event payloads:" + report, failures.empty());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(EventPayloadTest);
