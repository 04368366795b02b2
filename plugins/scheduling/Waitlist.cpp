// The waitlist: patients waiting for a slot, and the offer of a freed one.

#include "AppointmentBookImpl.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/Tuple.h>

#include "PatientGuard.h"

#include "clinic/Audit.h"
#include "clinic/Events.h"
#include "clinic/IdCursorPage.h"
#include "clinic/Jobs.h"

using namespace Poco::Data::Keywords;

namespace scheduling {

void AppointmentBook::Impl::offerFreedSlot(clinic::Transaction& tx, const Appointment& a)
{
    if (a.startUtc <= nowSeconds())
        return;
    std::vector<std::string> specialties;
    Poco::Int64 doctorId = a.doctorId;
    tx.session() << "SELECT specialty FROM scheduling_doctors WHERE id = ?", use(doctorId), into(specialties),
        now;
    std::string specialty = specialties.empty() ? "" : specialties.front();
    Poco::Int64 service = a.serviceId, start = a.startUtc, end = a.endUtc;
    std::vector<Poco::Tuple<Poco::Int64, Poco::Int64>> rows;
    tx.session()
        << "SELECT id, patient_id FROM scheduling_waitlist WHERE status = 'waiting' AND service_id = ?"
           " AND earliest <= ? AND latest >= ? AND (doctor_id = ? OR (doctor_id = 0 AND specialty = ?))"
           " ORDER BY id",
        use(service), use(start), use(end), use(doctorId), use(specialty), into(rows), limit(1), now;
    if (rows.empty())
        return;
    Poco::Int64 entry = rows.front().get<0>(), at = nowSeconds();
    tx.session() << "UPDATE scheduling_waitlist SET status = 'offered', offered_doctor_id = ?,"
                    " offered_start = ?, offered_at = ? WHERE id = ? AND status = 'waiting'",
        use(doctorId), use(start), use(at), use(entry), now;
    auto payload = clinic::makeObject();
    payload->set("waitlist_id", entry);
    payload->set("patient_id", rows.front().get<1>());
    payload->set("doctor_id", doctorId);
    payload->set("service_id", service);
    payload->set("start_utc", start);
    payload->set("end_utc", end);
    _host.events().publish(tx, clinic::Event {"waitlist.offered", payload});
    _host.jobs().schedule(tx, "waitlist.offer", payload,
        std::chrono::system_clock::time_point(std::chrono::seconds(at)),
        "offer:waitlist:" + std::to_string(entry));
    tx.afterCommit([this] { refreshWaiting(); });
}

void AppointmentBook::Impl::refreshWaiting()
{
    try {
        auto s = _host.database().session();
        Poco::Int64 n = 0;
        s << "SELECT COUNT(*) FROM scheduling_waitlist WHERE status = 'waiting'", into(n), now;
        _waiting->Set(static_cast<double>(n));
    } catch (const std::exception& e) {
        _host.logger().warning(std::string("could not count the waitlist: ") + e.what());
    }
}

namespace {
using WaitRow = Poco::Tuple<Poco::Int64, Poco::Int64, Poco::Int64, std::string, Poco::Int64, Poco::Int64,
    Poco::Int64, std::string, Poco::Int64, Poco::Int64, Poco::Int64>;
const char* const kWaitColumns = "id, patient_id, doctor_id, specialty, service_id, earliest, latest, status,"
                                 " offered_doctor_id, offered_start, created_at";

Poco::JSON::Object::Ptr waitJson(const WaitRow& r)
{
    auto o = clinic::makeObject();
    o->set("id", r.get<0>());
    o->set("patient_id", r.get<1>());
    o->set("doctor_id", r.get<2>() ? Poco::Dynamic::Var(r.get<2>()) : Poco::Dynamic::Var());
    o->set("specialty", r.get<3>().empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(r.get<3>()));
    o->set("service_id", r.get<4>());
    o->set("earliest", formatWithOffset(r.get<5>(), 0));
    o->set("latest", formatWithOffset(r.get<6>(), 0));
    o->set("status", r.get<7>());
    if (r.get<7>() == "offered") {
        auto offer = clinic::makeObject();
        offer->set("doctor_id", r.get<8>());
        offer->set("start", formatWithOffset(r.get<9>(), 0));
        o->set("offer", offer);
    } else {
        o->set("offer", Poco::Dynamic::Var());
    }
    o->set("created_at", formatWithOffset(r.get<10>(), 0));
    return o;
}
} // namespace

Response AppointmentBook::Impl::listWaitlist(Request& req)
{
    std::map<std::string, std::string> errors;
    auto patientId = queryId(req, "patient_id", errors);
    clinic::PageRequest page = clinic::readPage(req, errors);
    if (!errors.empty())
        throw HttpError::validation(errors);
    patientId = patientInScope(_host, req, patientId, "waitlist.list");
    auto s = _host.database().session();
    std::vector<WaitRow> rows;
    Poco::Int64 p = patientId.value_or(0), after = page.cursor;
    if (patientId)
        s << std::string("SELECT ") + kWaitColumns
                + " FROM scheduling_waitlist WHERE patient_id = ? AND status <> 'removed' AND id > ? ORDER "
                  "BY id",
            use(p), use(after), into(rows), limit(page.limit + 1), now;
    else
        s << std::string("SELECT ") + kWaitColumns
                + " FROM scheduling_waitlist WHERE status <> 'removed' AND id > ? ORDER BY id",
            use(after), into(rows), limit(page.limit + 1), now;
    std::set<Poco::Int64> shown;
    auto answer = clinic::idCursorPage(page, rows, [&](const WaitRow& row) {
        if (!_host.access().maySee(req.caller, row.get<1>(), PatientData::Demographics))
            return Poco::JSON::Object::Ptr();
        shown.insert(row.get<1>());
        return waitJson(row);
    });
    _host.database().transact([&](clinic::Transaction& tx) {
        if (shown.empty())
            _host.audit().record(tx, req, clinic::AuditEvent {"waitlist.list", "waitlist", "", 0, "ok", ""});
        for (auto id : shown)
            _host.audit().record(tx, req, clinic::AuditEvent {"waitlist.list", "waitlist", "", id, "ok", ""});
    });
    return Response::json(answer);
}

Response AppointmentBook::Impl::addWaitlist(Request& req)
{
    auto body = req.jsonObject();
    clinic::FieldReader in(body);
    Poco::Int64 patientId = (req.caller.role == "patient" && !in.has("patient_id"))
        ? req.caller.patientId
        : in.requiredInt("patient_id", 1, INT64_MAX);
    Poco::Int64 doctorId = in.optionalInt("doctor_id", 1, INT64_MAX).value_or(0);
    std::string specialty = in.optionalString("specialty", 1, 100).value_or("");
    Poco::Int64 serviceId = in.requiredInt("service_id", 1, INT64_MAX);
    std::string t1, t2;
    auto instant = [&](const std::string& field, std::string& text) -> Poco::Int64 {
        text = in.requiredString(field, 1, 40);
        if (text.empty())
            return 0;
        auto at = parseInstant(text);
        if (!at)
            in.fail(field, "is not an RFC 3339 instant with an offset");
        return at.value_or(0);
    };
    Poco::Int64 earliest = instant("earliest", t1), latest = instant("latest", t2);
    if (!doctorId && specialty.empty() && in.ok())
        in.fail("doctor_id", "give doctor_id or specialty");
    if (earliest && latest && latest <= earliest)
        in.fail("latest", "must be after earliest");
    if (latest && latest <= nowSeconds())
        in.fail("latest", "is in the past");
    if (earliest && latest && latest - earliest > 366LL * 86400)
        in.fail("latest", "the window is at most 366 days");
    in.finish();
    patientInScope(_host, req, patientId, "waitlist.create");
    auto s = _host.database().session();
    std::map<std::string, std::string> errors;
    if (!_patients->profile(patientId))
        errors["patient_id"] = "no such patient";
    if (!findService(s, serviceId))
        errors["service_id"] = "no such service";
    if (doctorId) {
        auto d = findDoctor(s, doctorId);
        if (!d)
            errors["doctor_id"] = "no such doctor";
        else if (std::find(d->serviceIds.begin(), d->serviceIds.end(), serviceId) == d->serviceIds.end())
            errors["service_id"] = "this doctor does not offer this service";
    }
    if (!errors.empty())
        throw HttpError::validation(errors);
    Poco::Int64 id = 0, at = nowSeconds(), by = req.caller.userId;
    _host.database().transact([&](clinic::Transaction& tx) {
        tx.session()
            << "INSERT INTO scheduling_waitlist (patient_id, doctor_id, specialty, service_id, earliest,"
               " latest, status, offered_doctor_id, offered_start, offered_at, created_at, created_by)"
               " VALUES (?, ?, ?, ?, ?, ?, 'waiting', 0, 0, 0, ?, ?)",
            use(patientId), use(doctorId), use(specialty), use(serviceId), use(earliest), use(latest),
            use(at), use(by), now;
        id = tx.lastInsertId();
        _host.audit().record(tx, req,
            clinic::AuditEvent {"waitlist.create", "waitlist", std::to_string(id), patientId, "ok", ""});
        tx.afterCommit([this] { refreshWaiting(); });
    });
    std::vector<WaitRow> rows;
    s << std::string("SELECT ") + kWaitColumns + " FROM scheduling_waitlist WHERE id = ?", use(id),
        into(rows), now;
    Response r = Response::json(waitJson(rows.front()), 201);
    r.headers.emplace_back("Location", "/api/v1/waitlist/" + std::to_string(id));
    return r;
}

Response AppointmentBook::Impl::removeWaitlist(Request& req)
{
    Poco::Int64 id = req.idParam("id");
    auto s = _host.database().session();
    std::vector<WaitRow> rows;
    s << std::string("SELECT ") + kWaitColumns
            + " FROM scheduling_waitlist WHERE id = ? AND status <> 'removed'",
        use(id), into(rows), now;
    if (rows.empty())
        throw HttpError::notFound("no such waitlist entry");
    const Poco::Int64 patientId = rows.front().get<1>();
    if (req.caller.role == "patient" && patientId != req.caller.patientId)
        throw HttpError::notFound("no such waitlist entry");
    _host.access().require(req, patientId, PatientData::Demographics);
    _host.database().transact([&](clinic::Transaction& tx) {
        tx.session() << "UPDATE scheduling_waitlist SET status = 'removed' WHERE id = ?", use(id), now;
        _host.audit().record(tx, req,
            clinic::AuditEvent {"waitlist.delete", "waitlist", std::to_string(id), patientId, "ok", ""});
        tx.afterCommit([this] { refreshWaiting(); });
    });
    return Response::noContent();
}

} // namespace scheduling
