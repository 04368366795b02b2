#include "events/ChangeLog.h"

#include <chrono>

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#include <Poco/Logger.h>

#include "clinic/Json.h"
#include "db/DatabaseImpl.h"

using namespace Poco::Data::Keywords;

namespace clinic {

namespace {

/// The change-log row's data column: enough for ids, instants and statuses.
constexpr std::size_t kMaxDataBytes = 2000;

bool isIdKey(const std::string& key)
{
    return key.size() > 3 && key.compare(key.size() - 3, 3, "_id") == 0;
}

std::int64_t patientOf(const Poco::JSON::Object::Ptr& payload)
{
    if (!payload || !payload->has("patient_id"))
        return 0;
    try {
        return payload->get("patient_id").convert<Poco::Int64>();
    } catch (const Poco::Exception&) {
        return 0;
    }
}

} // namespace

ChangeLog::ChangeLog(DatabaseImpl& db, const Clock& clock)
    : _db(db)
    , _clock(clock)
{
}

std::vector<Migration> ChangeLog::migrations()
{
    // Instants are milliseconds since the epoch, UTC, on the daemon's clock.
    // The id is not AUTO_INCREMENT: it comes from change_log_sequence (see
    // the class comment), and the single sequence row is made in a step of
    // its own because MariaDB commits DDL implicitly.
    return {
        Migration(1, "change log",
            {"CREATE TABLE change_log (id BIGINT NOT NULL PRIMARY KEY, type VARCHAR(64) NOT NULL,"
             " audience VARCHAR(16) NOT NULL, patient_id BIGINT NULL, data VARCHAR(2000) NOT NULL,"
             " created_at BIGINT NOT NULL)${TABLE}"}),
        Migration(2, "change log sequence",
            {"CREATE TABLE change_log_sequence (name VARCHAR(32) NOT NULL PRIMARY KEY,"
             " last_id BIGINT NOT NULL)${TABLE}"}),
        Migration(3, "change log sequence row",
            {"INSERT INTO change_log_sequence (name, last_id) VALUES ('change_log', 0)"}),
        // The retention job deletes by age.
        Migration(4, "change log age index", {"CREATE INDEX change_log_created ON change_log (created_at)"}),
    };
}

std::string ChangeLog::audienceName(EventAudience audience)
{
    switch (audience) {
    case EventAudience::Schedule:
        return "schedule";
    case EventAudience::Clinical:
        return "clinical";
    case EventAudience::Patient:
        break;
    }
    return "patient";
}

void ChangeLog::declare(const std::string& type, EventVisibility visibility)
{
    std::lock_guard<std::mutex> lock(_mutex);
    _types[type] = std::move(visibility);
}

EventVisibility ChangeLog::visibility(const std::string& type) const
{
    std::lock_guard<std::mutex> lock(_mutex);
    auto it = _types.find(type);
    if (it != _types.end())
        return it->second;
    return EventVisibility {EventAudience::Patient, {}};
}

void ChangeLog::append(Transaction& tx, const Event& event)
{
    if (event.type.size() > 64)
        throw std::invalid_argument("an event type is at most 64 bytes: " + event.type);
    std::optional<EventVisibility> declared;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        auto it = _types.find(event.type);
        if (it != _types.end())
            declared = it->second;
    }
    const EventAudience audienceOf = declared ? declared->audience : EventAudience::Patient;
    auto kept = makeObject();
    if (event.payload) {
        if (declared) {
            for (const auto& key : declared->fields)
                if (event.payload->has(key))
                    kept->set(key, event.payload->get(key));
        } else {
            // Unknown type: only its integer ids, seen only by its patient.
            // Said once per type, so a plugin that forgot to declare hears of it.
            bool first = false;
            {
                std::lock_guard<std::mutex> lock(_mutex);
                first = _undeclaredSeen.insert(event.type).second;
            }
            if (first)
                Poco::Logger::get("clinicd.events")
                    .warning("event %s has no declared visibility: the live stream shows it to its patient"
                             " only, with its ids (EventBus::declare)",
                        event.type);
            for (const auto& [key, value] : *event.payload)
                if (isIdKey(key) && value.isInteger())
                    kept->set(key, value);
        }
    }
    std::string data = toJson(kept);
    if (data.size() > kMaxDataBytes) {
        // Never fail the publisher's change over what a stream shows: keep the ids.
        auto ids = makeObject();
        for (const auto& [key, value] : *kept)
            if (isIdKey(key))
                ids->set(key, value);
        data = toJson(ids);
        Poco::Logger::get("clinicd.events")
            .warning("event %s: the kept payload is over %z bytes; only its ids go to the change log",
                event.type, kMaxDataBytes);
    }
    std::string type = event.type;
    std::string audience = audienceName(audienceOf);
    Poco::Int64 patient = patientOf(event.payload);
    Poco::Int64 at
        = std::chrono::duration_cast<std::chrono::milliseconds>(_clock.now().time_since_epoch()).count();
    auto& s = tx.session();
    // The row lock on the sequence is held until tx ends: ids in commit order.
    s << "UPDATE change_log_sequence SET last_id = last_id + 1 WHERE name = 'change_log'", now;
    Poco::Int64 id = 0;
    s << "SELECT last_id FROM change_log_sequence WHERE name = 'change_log'", into(id), now;
    if (patient > 0)
        s << "INSERT INTO change_log (id, type, audience, patient_id, data, created_at)"
             " VALUES (?, ?, ?, ?, ?, ?)",
            use(id), use(type), use(audience), use(patient), use(data), use(at), now;
    else
        s << "INSERT INTO change_log (id, type, audience, data, created_at) VALUES (?, ?, ?, ?, ?)", use(id),
            use(type), use(audience), use(data), use(at), now;
    std::function<void(Transaction&)> arm;
    if (!_armed.load()) {
        std::lock_guard<std::mutex> lock(_mutex);
        arm = _arm;
    }
    if (arm) {
        // Until a commit proves it scheduled: a rolled-back arming is redone.
        arm(tx);
        tx.afterCommit([this] { _armed = true; });
    }
}

void ChangeLog::armRetention(std::function<void(Transaction&)> arm)
{
    std::lock_guard<std::mutex> lock(_mutex);
    _arm = std::move(arm);
}

std::vector<ChangeRow> ChangeLog::read(std::int64_t after, std::int64_t upTo, int limit)
{
    Poco::Data::Session s = _db.session();
    Poco::Int64 from = after, to = upTo;
    int n = limit;
    Poco::Data::Statement select(s);
    select << "SELECT id, type, audience, patient_id, data, created_at FROM change_log"
              " WHERE id > ? AND id <= ? ORDER BY id LIMIT ?",
        use(from), use(to), use(n), now;
    Poco::Data::RecordSet rs(select);
    std::vector<ChangeRow> rows;
    rows.reserve(rs.rowCount());
    for (std::size_t i = 0; i < rs.rowCount(); ++i) {
        ChangeRow r;
        r.id = rs.value(0, i).convert<Poco::Int64>();
        r.type = rs.value(1, i).convert<std::string>();
        r.audience = rs.value(2, i).convert<std::string>();
        r.patientId = rs.isNull(3, i) ? 0 : rs.value(3, i).convert<Poco::Int64>();
        r.data = rs.value(4, i).convert<std::string>();
        r.createdAtMs = rs.value(5, i).convert<Poco::Int64>();
        rows.push_back(std::move(r));
    }
    return rows;
}

std::int64_t ChangeLog::lastId()
{
    Poco::Data::Session s = _db.session();
    Poco::Int64 id = 0;
    s << "SELECT last_id FROM change_log_sequence WHERE name = 'change_log'", into(id), now;
    return id;
}

std::optional<std::int64_t> ChangeLog::oldestId()
{
    Poco::Data::Session s = _db.session();
    Poco::Data::Statement select(s);
    select << "SELECT MIN(id) FROM change_log", now;
    Poco::Data::RecordSet rs(select);
    if (rs.rowCount() == 0 || rs.isNull(0, 0))
        return std::nullopt;
    return rs.value(0, 0).convert<Poco::Int64>();
}

std::size_t ChangeLog::pruneBefore(Transaction& tx, std::int64_t cutoffMs)
{
    Poco::Int64 cutoff = cutoffMs;
    Poco::Data::Statement del(tx.session());
    del << "DELETE FROM change_log WHERE created_at < ?", use(cutoff);
    return del.execute();
}

} // namespace clinic
