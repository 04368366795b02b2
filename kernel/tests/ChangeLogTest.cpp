// The durable change log over a real transaction on the backend under test:
// what a declared type keeps and who may see it, the restrictive reading of
// an undeclared type, rows that exist exactly when the publisher committed,
// and ids without holes even when a publisher rolls back.

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Parser.h>

#include "TestSupport.h"
#include "clinic/Json.h"
#include "db/DatabaseImpl.h"
#include "db/Migrator.h"
#include "events/ChangeFeed.h"
#include "events/ChangeLog.h"
#include "events/EventBusImpl.h"

using clinic::ChangeFeed;
using clinic::ChangeLog;
using clinic::ChangeRow;
using clinic::DatabaseImpl;
using clinic::Event;
using clinic::EventAudience;
using clinic::EventBusImpl;
using clinic::EventVisibility;
using clinic::Transaction;
using clinic::test::TempDir;

namespace {

class FixedClock : public clinic::Clock {
public:
    std::chrono::system_clock::time_point now() const override
    {
        return std::chrono::system_clock::time_point(std::chrono::seconds(1800000000));
    }
};

struct Log {
    TempDir dir;
    std::unique_ptr<DatabaseImpl> db;
    FixedClock clock;
    std::unique_ptr<ChangeLog> log;
    EventBusImpl bus;

    Log()
    {
        clinic::DatabaseOptions options;
        options.url = clinic::test::freshDatabaseUrl(dir.path());
        options.poolMax = 4;
        db = std::make_unique<DatabaseImpl>(options);
        clinic::Migrator migrator(*db);
        migrator.prepare();
        migrator.apply("kernel.events", ChangeLog::migrations());
        log = std::make_unique<ChangeLog>(*db, clock);
        bus.recordTo(log.get());
    }

    void publish(const std::string& type, Poco::JSON::Object::Ptr payload)
    {
        db->transact([&](Transaction& tx) { bus.publish(tx, Event {type, payload}); });
    }

    std::vector<ChangeRow> all() { return log->read(0, INT64_MAX, 100); }
};

/// A booking payload with clinical free text beside its ids.
Poco::JSON::Object::Ptr booking(int appointment, int patient)
{
    auto p = clinic::makeObject();
    p->set("appointment_id", appointment);
    p->set("patient_id", patient);
    p->set("status", "pending");
    p->set("notes", "suspected angina");
    return p;
}

Poco::JSON::Object::Ptr parse(const std::string& json)
{
    Poco::JSON::Parser parser;
    return parser.parse(json).extract<Poco::JSON::Object::Ptr>();
}

} // namespace

class ChangeLogTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ChangeLogTest);
    CPPUNIT_TEST(aDeclaredTypeKeepsOnlyItsDeclaredKeysForItsAudience);
    CPPUNIT_TEST(anUndeclaredTypeKeepsOnlyItsIdsForItsPatient);
    CPPUNIT_TEST(aRolledBackPublisherLeavesNoRowAndNoHole);
    CPPUNIT_TEST(whoSeesWhat);
    CPPUNIT_TEST_SUITE_END();

public:
    void aDeclaredTypeKeepsOnlyItsDeclaredKeysForItsAudience()
    {
        Log l;
        l.bus.declare("appointment.booked",
            EventVisibility {
                EventAudience::Schedule, {"appointment_id", "patient_id", "status", "series_id"}});
        l.publish("appointment.booked", booking(7, 3));
        const auto rows = l.all();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), rows.size());
        CPPUNIT_ASSERT_EQUAL(std::string("schedule"), rows[0].audience);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(3), rows[0].patientId);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1800000000000), rows[0].createdAtMs);
        const auto data = parse(rows[0].data);
        CPPUNIT_ASSERT_EQUAL(7, data->getValue<int>("appointment_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("pending"), data->getValue<std::string>("status"));
        CPPUNIT_ASSERT(!data->has("notes"));
        CPPUNIT_ASSERT(!data->has("series_id")); // absent in the payload: skipped
    }

    void anUndeclaredTypeKeepsOnlyItsIdsForItsPatient()
    {
        Log l;
        auto p = booking(9, 4);
        p->set("diagnosis_code", "I20.0");
        l.publish("encounter.recorded", p);
        const auto rows = l.all();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), rows.size());
        CPPUNIT_ASSERT_EQUAL(std::string("patient"), rows[0].audience);
        const auto data = parse(rows[0].data);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), data->size());
        CPPUNIT_ASSERT(data->has("appointment_id") && data->has("patient_id"));
    }

    void aRolledBackPublisherLeavesNoRowAndNoHole()
    {
        Log l;
        l.publish("appointment.booked", booking(1, 1));
        CPPUNIT_ASSERT_THROW(l.db->transact([&](Transaction& tx) {
            l.bus.publish(tx, Event {"appointment.booked", booking(2, 1)});
            throw std::runtime_error("the booking failed after its event");
        }),
            std::runtime_error);
        l.publish("appointment.booked", booking(3, 1));
        const auto rows = l.all();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), rows.size());
        CPPUNIT_ASSERT_EQUAL(rows[0].id + 1, rows[1].id);
        CPPUNIT_ASSERT_EQUAL(rows[1].id, l.log->lastId());
        CPPUNIT_ASSERT_EQUAL(3, parse(rows[1].data)->getValue<int>("appointment_id"));
    }

    void whoSeesWhat()
    {
        const std::set<std::string> clinicalRoles = {"admin", "doctor", "nurse"};
        auto caller = [](const std::string& role, std::int64_t patient = 0) {
            clinic::Caller c;
            c.authenticated = true;
            c.role = role;
            c.patientId = patient;
            return c;
        };
        ChangeRow schedule {1, "appointment.booked", "schedule", 5, "{}", 0};
        ChangeRow clinical {2, "vitals.recorded", "clinical", 5, "{}", 0};
        ChangeRow own {3, "letter.ready", "patient", 5, "{}", 0};
        for (const auto& role : {"admin", "doctor", "nurse", "receptionist"})
            CPPUNIT_ASSERT(ChangeFeed::maySee(schedule, caller(role), clinicalRoles));
        CPPUNIT_ASSERT(ChangeFeed::maySee(clinical, caller("nurse"), clinicalRoles));
        CPPUNIT_ASSERT(!ChangeFeed::maySee(clinical, caller("receptionist"), clinicalRoles));
        CPPUNIT_ASSERT(!ChangeFeed::maySee(own, caller("admin"), clinicalRoles));
        for (const auto* row : {&schedule, &clinical, &own}) {
            CPPUNIT_ASSERT(ChangeFeed::maySee(*row, caller("patient", 5), clinicalRoles));
            CPPUNIT_ASSERT(!ChangeFeed::maySee(*row, caller("patient", 6), clinicalRoles));
            CPPUNIT_ASSERT(!ChangeFeed::maySee(*row, caller("patient", 0), clinicalRoles));
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ChangeLogTest);
