// The event bus over a real transaction on the backend under test: events
// reach subscribers only after the commit, never for a rollback, once when
// transact retries, and a throwing subscriber harms nobody else.

#include <stdexcept>
#include <string>
#include <vector>

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/Data/Session.h>

#include "TestSupport.h"
#include "clinic/Json.h"
#include "db/DatabaseImpl.h"
#include "events/EventBusImpl.h"

using namespace Poco::Data::Keywords;
using clinic::DatabaseImpl;
using clinic::Event;
using clinic::EventBusImpl;
using clinic::Transaction;
using clinic::test::TempDir;

namespace {

std::unique_ptr<DatabaseImpl> openWithTable(TempDir& dir)
{
    clinic::DatabaseOptions options;
    options.url = clinic::test::freshDatabaseUrl(dir.path());
    options.poolMax = 4;
    auto db = std::make_unique<DatabaseImpl>(options);
    Poco::Data::Session s = db->session();
    s << db->translate("CREATE TABLE ev_rows (id ${PK}, note VARCHAR(40) NOT NULL)${TABLE}"), now;
    return db;
}

int countRows(DatabaseImpl& db)
{
    Poco::Data::Session s = db.session();
    int n = -1;
    s << "SELECT COUNT(*) FROM ev_rows", into(n), now;
    return n;
}

Event booked(int id)
{
    auto payload = clinic::makeObject();
    payload->set("appointment_id", id);
    return {"appointment.booked", payload};
}

} // namespace

class EventBusTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(EventBusTest);
    CPPUNIT_TEST(subscriberRunsAfterCommitAndSeesTheCommittedRow);
    CPPUNIT_TEST(rolledBackTransactionDeliversNothing);
    CPPUNIT_TEST(retriedTransactionDeliversOnce);
    CPPUNIT_TEST(throwingSubscriberStopsNeitherPublisherNorOthers);
    CPPUNIT_TEST(patternsSelectExactTypeFamilyOrAll);
    CPPUNIT_TEST(stagedSubscriptionsTakeEffectOnlyOnCommit);
    CPPUNIT_TEST_SUITE_END();

public:
    void subscriberRunsAfterCommitAndSeesTheCommittedRow()
    {
        TempDir dir;
        auto db = openWithTable(dir);
        EventBusImpl bus;
        std::vector<int> seenRows;
        std::vector<int> ids;
        bus.subscribe("appointment.booked", [&](const Event& e) {
            ids.push_back(e.payload->getValue<int>("appointment_id"));
            seenRows.push_back(countRows(*db));
        });
        db->transact([&](Transaction& tx) {
            tx.session() << "INSERT INTO ev_rows (note) VALUES ('x')", now;
            bus.publish(tx, booked(42));
            CPPUNIT_ASSERT_MESSAGE("delivered before the commit", ids.empty());
        });
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), ids.size());
        CPPUNIT_ASSERT_EQUAL(42, ids[0]);
        // Read on another session: the subscriber sees what was committed.
        CPPUNIT_ASSERT_EQUAL(1, seenRows[0]);
    }

    void rolledBackTransactionDeliversNothing()
    {
        TempDir dir;
        auto db = openWithTable(dir);
        EventBusImpl bus;
        int delivered = 0;
        bus.subscribe("*", [&](const Event&) { ++delivered; });
        CPPUNIT_ASSERT_THROW(db->transact([&](Transaction& tx) {
            tx.session() << "INSERT INTO ev_rows (note) VALUES ('x')", now;
            bus.publish(tx, booked(1));
            throw std::invalid_argument("booking refused");
        }),
            std::invalid_argument);
        CPPUNIT_ASSERT_EQUAL(0, delivered);
        CPPUNIT_ASSERT_EQUAL(0, countRows(*db));
    }

    void retriedTransactionDeliversOnce()
    {
        TempDir dir;
        auto db = openWithTable(dir);
        EventBusImpl bus;
        int delivered = 0;
        bus.subscribe("appointment.*", [&](const Event&) { ++delivered; });
        int attempts = 0;
        db->transact([&](Transaction& tx) {
            ++attempts;
            tx.session() << "INSERT INTO ev_rows (note) VALUES ('x')", now;
            bus.publish(tx, booked(7));
            // Both backends' retryable wording: transact runs fn again.
            if (attempts == 1)
                throw std::runtime_error("database is locked / Deadlock found (simulated)");
        });
        CPPUNIT_ASSERT_EQUAL(2, attempts);
        CPPUNIT_ASSERT_EQUAL(1, delivered);
        CPPUNIT_ASSERT_EQUAL(1, countRows(*db));
    }

    void throwingSubscriberStopsNeitherPublisherNorOthers()
    {
        TempDir dir;
        auto db = openWithTable(dir);
        EventBusImpl bus;
        int before = 0, after = 0;
        bus.subscribe("appointment.booked", [&](const Event&) { ++before; });
        bus.subscribe("appointment.booked", [](const Event&) { throw std::runtime_error("subscriber bug"); });
        bus.subscribe("appointment.*", [](const Event&) { throw 42; });
        bus.subscribe("appointment.booked", [&](const Event&) { ++after; });
        db->transact([&](Transaction& tx) {
            tx.session() << "INSERT INTO ev_rows (note) VALUES ('x')", now;
            bus.publish(tx, booked(3));
        });
        CPPUNIT_ASSERT_EQUAL(1, before);
        CPPUNIT_ASSERT_EQUAL(1, after);
        CPPUNIT_ASSERT_EQUAL(1, countRows(*db));
    }

    void patternsSelectExactTypeFamilyOrAll()
    {
        CPPUNIT_ASSERT(EventBusImpl::matches("appointment.booked", "appointment.booked"));
        CPPUNIT_ASSERT(!EventBusImpl::matches("appointment.booked", "appointment.cancelled"));
        CPPUNIT_ASSERT(EventBusImpl::matches("appointment.*", "appointment.status_changed"));
        CPPUNIT_ASSERT(!EventBusImpl::matches("appointment.*", "appointments.booked"));
        CPPUNIT_ASSERT(!EventBusImpl::matches("appointment.*", "appointment"));
        CPPUNIT_ASSERT(!EventBusImpl::matches("appointment.*", "patient.created"));
        CPPUNIT_ASSERT(EventBusImpl::matches("*", "patient.created"));
    }

    void stagedSubscriptionsTakeEffectOnlyOnCommit()
    {
        EventBusImpl bus;
        int delivered = 0;
        {
            clinic::StagedEventBus failedStart(bus, "failing-plugin");
            failedStart.subscribe("*", [&](const Event&) { ++delivered; });
            // Never committed: the plugin's start threw.
        }
        bus.deliver(booked(1));
        CPPUNIT_ASSERT_EQUAL(0, delivered);
        clinic::StagedEventBus started(bus, "good-plugin");
        started.subscribe("*", [&](const Event&) { ++delivered; });
        bus.deliver(booked(2));
        CPPUNIT_ASSERT_EQUAL(0, delivered);
        started.commit();
        bus.deliver(booked(3));
        CPPUNIT_ASSERT_EQUAL(1, delivered);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(EventBusTest);
