#include "audit/AuditLog.h"

#include <algorithm>
#include <chrono>

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Nullable.h>
#include <Poco/Timestamp.h>

#include "clinic/Json.h"

using namespace Poco::Data::Keywords;

namespace clinic {

namespace {

/// Audit text comes partly from clients (a reason header, a username that
/// failed to log in), and MariaDB's strict utf8mb4 columns refuse invalid
/// UTF-8: one bad byte would fail the audit write, and with it the request,
/// and lose the very row that records a denied attempt. So: invalid bytes
/// become '?', control characters a space, and the value is cut to max
/// characters (VARCHAR counts characters) on a character boundary.
std::string fit(const std::string& value, std::size_t max)
{
    std::string out;
    out.reserve(std::min(value.size(), max * 4));
    std::size_t chars = 0;
    const auto* p = reinterpret_cast<const unsigned char*>(value.data());
    const std::size_t n = value.size();
    for (std::size_t i = 0; i < n && chars < max; ++chars) {
        const unsigned char c = p[i];
        std::size_t len = c < 0x80 ? 1
            : (c & 0xE0) == 0xC0   ? 2
            : (c & 0xF0) == 0xE0   ? 3
            : (c & 0xF8) == 0xF0   ? 4
                                   : 0;
        bool ok = len > 0 && i + len <= n && !(len == 2 && c < 0xC2) && !(len == 4 && c > 0xF4);
        unsigned cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
        for (std::size_t k = 1; ok && k < len; ++k) {
            ok = (p[i + k] & 0xC0) == 0x80;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        ok = ok && !(len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)))
            && !(len == 4 && (cp < 0x10000 || cp > 0x10FFFF));
        if (!ok) {
            out += '?';
            ++i;
        } else if (len == 1) {
            out += (c < 0x20 || c == 0x7F) ? ' ' : static_cast<char>(c);
            ++i;
        } else {
            out.append(value, i, len);
            i += len;
        }
    }
    return out;
}

Poco::Nullable<Poco::Int64> orNull(Poco::Int64 v)
{
    return v > 0 ? Poco::Nullable<Poco::Int64>(v) : Poco::Nullable<Poco::Int64>();
}

} // namespace

std::string accessReason(const Request& request)
{
    if (auto header = request.header("X-Access-Reason"))
        return *header;
    if (auto query = request.query("reason"))
        return *query;
    return "";
}

AuditLog::AuditLog(Database& db, const Clock& clock)
    : _db(db)
    , _clock(clock)
{
}

void AuditLog::record(Transaction& tx, const Request& request, const AuditEvent& event)
{
    recordAs(tx, request, request.caller.authenticated ? request.caller.userId : 0, request.caller.username,
        request.caller.role, event);
}

void AuditLog::record(const Request& request, const AuditEvent& event)
{
    _db.transact([&](Transaction& tx) { record(tx, request, event); });
}

void AuditLog::recordAs(Transaction& tx, const Request& request, Poco::Int64 actorId,
    const std::string& actorUsername, const std::string& actorRole, const AuditEvent& event)
{
    Poco::Int64 at
        = std::chrono::duration_cast<std::chrono::microseconds>(_clock.now().time_since_epoch()).count();
    Poco::Nullable<Poco::Int64> actor = orNull(actorId);
    Poco::Nullable<Poco::Int64> patient = orNull(event.patientId);
    std::string username = fit(actorUsername, 64);
    std::string role = fit(actorRole, 16);
    std::string action = fit(event.action, 64);
    std::string objectType = fit(event.objectType, 32);
    std::string objectId = fit(event.objectId, 64);
    std::string requestId = fit(request.requestId, 64);
    std::string client = fit(request.clientAddress, 64);
    std::string outcome = fit(event.outcome, 16);
    std::string reason = fit(event.reason.empty() ? accessReason(request) : event.reason, 255);
    tx.session() << "INSERT INTO audit_log (at, actor_id, actor_username, actor_role, action, object_type,"
                    " object_id, patient_id, request_id, client_address, outcome, reason)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        use(at), use(actor), use(username), use(role), use(action), use(objectType), use(objectId),
        use(patient), use(requestId), use(client), use(outcome), use(reason), now;
}

AuditPage AuditLog::query(const AuditQuery& q)
{
    // The statement is assembled from fixed fragments only; every value is
    // bound. Each filter maps onto an index: (patient_id, at), (actor_id, at), (at).
    Poco::Data::Session session = _db.session();
    Poco::Data::Statement select(session);
    std::string sql = "SELECT id, at, actor_id, actor_username, actor_role, action, object_type, object_id,"
                      " patient_id, request_id, client_address, outcome, reason FROM audit_log WHERE 1 = 1";
    Poco::Int64 patientId = q.patientId.value_or(0), actorId = q.actorId.value_or(0),
                from = q.fromMicros.value_or(0), to = q.toMicros.value_or(0), before = q.beforeId.value_or(0);
    Poco::Int64 fetch = q.limit + 1;
    if (q.patientId)
        sql += " AND patient_id = ?";
    if (q.actorId)
        sql += " AND actor_id = ?";
    if (q.fromMicros)
        sql += " AND at >= ?";
    if (q.toMicros)
        sql += " AND at < ?";
    if (q.beforeId)
        sql += " AND id < ?";
    sql += " ORDER BY id DESC LIMIT ?";
    select << sql;
    if (q.patientId)
        select, use(patientId);
    if (q.actorId)
        select, use(actorId);
    if (q.fromMicros)
        select, use(from);
    if (q.toMicros)
        select, use(to);
    if (q.beforeId)
        select, use(before);
    select, use(fetch);
    select.execute();
    Poco::Data::RecordSet rs(select);

    AuditPage page;
    page.items = new Poco::JSON::Array;
    const std::size_t rows = rs.rowCount();
    for (std::size_t row = 0; row < rows && static_cast<int>(row) < q.limit; ++row) {
        auto o = makeObject();
        Poco::Int64 id = rs.value(0, row).convert<Poco::Int64>();
        Poco::Int64 at = rs.value(1, row).convert<Poco::Int64>();
        o->set("id", id);
        o->set("at", Poco::DateTimeFormatter::format(Poco::Timestamp(at), "%Y-%m-%dT%H:%M:%S.%FZ"));
        if (rs.isNull(2, row))
            o->set("actor_id", Poco::Dynamic::Var());
        else
            o->set("actor_id", rs.value(2, row).convert<Poco::Int64>());
        o->set("actor_username", rs.value(3, row).convert<std::string>());
        o->set("actor_role", rs.value(4, row).convert<std::string>());
        o->set("action", rs.value(5, row).convert<std::string>());
        o->set("object_type", rs.value(6, row).convert<std::string>());
        o->set("object_id", rs.value(7, row).convert<std::string>());
        if (rs.isNull(8, row))
            o->set("patient_id", Poco::Dynamic::Var());
        else
            o->set("patient_id", rs.value(8, row).convert<Poco::Int64>());
        o->set("request_id", rs.value(9, row).convert<std::string>());
        o->set("client_address", rs.value(10, row).convert<std::string>());
        o->set("outcome", rs.value(11, row).convert<std::string>());
        o->set("reason", rs.value(12, row).convert<std::string>());
        page.items->add(o);
        page.nextBeforeId = id;
    }
    if (rows <= static_cast<std::size_t>(q.limit))
        page.nextBeforeId.reset();
    return page;
}

} // namespace clinic
