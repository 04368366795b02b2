// Doctors, the services they give and their weekly working hours.

#include "SchedulingPlugin.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <Poco/Data/Statement.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Nullable.h>
#include <Poco/UTF8String.h>

#include "DirectoryCache.h"
#include "clinic/IdCursorPage.h"

using namespace Poco::Data::Keywords;

namespace scheduling {

namespace {

std::string foldName(const std::string& name)
{
    return Poco::UTF8::toLower(name);
}

} // namespace

void SchedulingPlugin::linkServices(clinic::Transaction& tx, Doctor& d)
{
    DirectoryCache::changed(tx);
    tx.session() << "DELETE FROM scheduling_doctor_services WHERE doctor_id = ?", use(d.id), now;
    std::sort(d.serviceIds.begin(), d.serviceIds.end());
    d.serviceIds.erase(std::unique(d.serviceIds.begin(), d.serviceIds.end()), d.serviceIds.end());
    for (auto sid : d.serviceIds)
        tx.session() << "INSERT INTO scheduling_doctor_services (doctor_id, service_id) VALUES (?, ?)",
            use(d.id), use(sid), now;
}

void SchedulingPlugin::insertDoctor(clinic::Transaction& tx, Doctor& d, const std::string& demoKey)
{
    Poco::Int64 at = nowSeconds();
    std::string nameKey = foldName(d.name);
    Poco::Nullable<std::string> key;
    if (!demoKey.empty())
        key = demoKey;
    Poco::Nullable<Poco::Int64> user;
    if (d.userId)
        user = *d.userId;
    Poco::Nullable<Poco::Int64> department;
    if (d.departmentId > 0)
        department = d.departmentId;
    tx.session()
        << "INSERT INTO scheduling_doctors (name, name_key, specialty, location_id, user_id, demo_key,"
           " created_at, updated_at, department_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        use(d.name), use(nameKey), use(d.specialty), use(d.locationId), use(user), use(key), use(at), use(at),
        use(department), now;
    d.id = tx.lastInsertId();
    linkServices(tx, d);
}

void SchedulingPlugin::replaceHours(
    clinic::Transaction& tx, Poco::Int64 doctorId, const std::vector<Period>& periods)
{
    DirectoryCache::changed(tx);
    tx.session() << "DELETE FROM scheduling_working_hours WHERE doctor_id = ?", use(doctorId), now;
    for (const auto& p : periods) {
        Poco::Int64 weekday = p.weekday, start = p.startMin, end = p.endMin, location = p.locationId;
        tx.session() << "INSERT INTO scheduling_working_hours (doctor_id, location_id, weekday, start_min,"
                        " end_min) VALUES (?, ?, ?, ?, ?)",
            use(doctorId), use(location), use(weekday), use(start), use(end), now;
    }
}

void SchedulingPlugin::readDoctor(clinic::FieldReader& in, const Poco::JSON::Object::Ptr& body, Doctor& d,
    bool partial, Poco::Data::Session& s)
{
    auto want = [&](const char* field) { return !partial || in.has(field); };
    if (want("name"))
        d.name = in.requiredName("name", 1, 200);
    if (want("specialty"))
        d.specialty = in.requiredString("specialty", 1, 100);
    if (want("location_id")) {
        d.locationId = in.requiredInt("location_id", 1, INT64_MAX);
        if (d.locationId > 0 && !exists(s, "scheduling_locations", d.locationId))
            in.fail("location_id", "no such location");
    }
    if (in.has("service_ids")) {
        auto v = body->get("service_ids");
        d.serviceIds.clear();
        if (v.type() != typeid(Poco::JSON::Array::Ptr)) {
            in.fail("service_ids", "must be an array of service ids");
        } else {
            auto list = v.extract<Poco::JSON::Array::Ptr>();
            if (list->size() > 200)
                in.fail("service_ids", "at most 200 services");
            for (std::size_t i = 0; i < list->size() && i < 200; ++i) {
                auto item = list->get(static_cast<unsigned>(i));
                if (!item.isInteger() || item.type() == typeid(bool) || item.convert<Poco::Int64>() < 1) {
                    in.fail("service_ids", "must be an array of service ids");
                    break;
                }
                const auto sid = item.convert<Poco::Int64>();
                if (!exists(s, "scheduling_services", sid)) {
                    in.fail("service_ids", "no such service: " + std::to_string(sid));
                    break;
                }
                d.serviceIds.push_back(sid);
            }
        }
    }
    if (body->has("department_id")) {
        if (body->isNull("department_id")) {
            d.departmentId = 0;
        } else if (auto department = in.optionalInt("department_id", 1, INT64_MAX)) {
            d.departmentId = *department;
            if (!exists(s, "scheduling_departments", *department))
                in.fail("department_id", "no such department");
        }
    }
    if (in.has("user_id")) {
        if (body->isNull("user_id")) {
            d.userId.reset();
        } else if (auto user = in.optionalInt("user_id", 1, INT64_MAX)) {
            d.userId = *user;
            if (!exists(s, "users", *user))
                in.fail("user_id", "no such user");
        }
    }
}

Response SchedulingPlugin::listDoctors(Request& req)
{
    clinic::PageRequest page = clinic::readPage(req);
    std::map<std::string, std::string> errors;
    auto location = queryId(req, "location_id", errors);
    auto department = queryId(req, "department_id", errors);
    if (!errors.empty())
        throw HttpError::validation(errors);
    // String conditions first, then integers: bindings follow the
    // placeholders' order.
    std::string sql = std::string("SELECT ") + kDoctorColumns
        + " FROM scheduling_doctors d JOIN scheduling_locations l ON l.id = d.location_id WHERE 1 = 1";
    std::vector<std::string> strings;
    strings.reserve(4);
    if (auto q = req.query("q"); q && !q->empty()) {
        sql += " AND d.name_key LIKE ?";
        std::string escaped;
        for (char c : foldName(q->substr(0, 100)))
            if (c != '%' && c != '_')
                escaped += c;
        strings.push_back("%" + escaped + "%");
    }
    for (const char* field : {"specialty", "city", "county"})
        if (auto v = req.query(field); v && !v->empty()) {
            sql += std::string(" AND ") + (field == std::string("specialty") ? "d." : "l.") + field + " = ?";
            strings.push_back(*v);
        }
    std::vector<Poco::Int64> ints;
    ints.reserve(3);
    if (location) {
        // Also the doctors whose account was granted the doctor role there
        // (an approved access request): they work at that location too.
        sql += " AND (d.location_id = ?";
        ints.push_back(*location);
        const auto granted = grantedDoctorAccounts(*location);
        for (std::size_t i = 0; i < granted.size(); ++i)
            sql += i == 0 ? " OR d.user_id IN (?" : ", ?";
        sql += granted.empty() ? ")" : "))";
        ints.insert(ints.end(), granted.begin(), granted.end());
    }
    if (department) {
        sql += " AND d.department_id = ?";
        ints.push_back(*department);
    }
    sql += " AND d.id > ? ORDER BY d.id";
    ints.push_back(page.cursor);
    auto s = _host->database().session();
    std::vector<DoctorRow> rows;
    Poco::Data::Statement st(s);
    st << sql;
    for (auto& v : strings)
        st, use(v);
    for (auto& v : ints)
        st, use(v);
    st, into(rows), limit(page.limit + 1);
    st.execute();
    auto out = clinic::idCursorPage(page, rows, [&](const DoctorRow& row) {
        Doctor d = Doctor::from(row);
        d.serviceIds = servicesOf(s, d.id);
        return d.toJson();
    });
    addRatings(out->getArray("items"));
    return Response::json(out);
}

Response SchedulingPlugin::createDoctor(Request& req)
{
    auto body = req.jsonObject();
    Doctor d;
    _host->database().transact([&](clinic::Transaction& tx) {
        clinic::FieldReader in(body);
        readDoctor(in, body, d, false, tx.session());
        in.finish();
        insertDoctor(tx, d);
    });
    Response r = Response::json(d.toJson(), 201);
    r.headers.emplace_back("Location", "/api/v1/doctors/" + std::to_string(d.id));
    return r;
}

Response SchedulingPlugin::getDoctor(Request& req)
{
    auto s = _host->database().session();
    auto d = findDoctor(s, req.idParam("id"));
    if (!d)
        throw HttpError::notFound("no such doctor");
    auto out = d->toJson();
    out->set("hours", periodsJson(hoursOf(s, d->id), true));
    Poco::JSON::Array::Ptr one = new Poco::JSON::Array;
    one->add(out);
    addRatings(one);
    return Response::json(out);
}

Response SchedulingPlugin::patchDoctor(Request& req)
{
    Poco::Int64 id = req.idParam("id");
    auto body = req.jsonObject();
    Doctor d;
    _host->database().transact([&](clinic::Transaction& tx) {
        auto current = findDoctor(tx.session(), id);
        if (!current)
            throw HttpError::notFound("no such doctor");
        d = *current;
        clinic::FieldReader in(body);
        readDoctor(in, body, d, true, tx.session());
        in.finish();
        Poco::Int64 at = nowSeconds();
        std::string nameKey = foldName(d.name);
        Poco::Nullable<Poco::Int64> user, department;
        if (d.userId)
            user = *d.userId;
        if (d.departmentId > 0)
            department = d.departmentId;
        DirectoryCache::changed(tx);
        tx.session()
            << "UPDATE scheduling_doctors SET name = ?, name_key = ?, specialty = ?, location_id = ?,"
               " user_id = ?, updated_at = ?, department_id = ? WHERE id = ?",
            use(d.name), use(nameKey), use(d.specialty), use(d.locationId), use(user), use(at),
            use(department), use(d.id), now;
        if (body->has("service_ids"))
            linkServices(tx, d);
    });
    return Response::json(d.toJson());
}

Response SchedulingPlugin::putHours(Request& req)
{
    Poco::Int64 id = req.idParam("id");
    Poco::Dynamic::Var parsed;
    try {
        parsed = Poco::JSON::Parser().parse(req.body);
    } catch (const std::exception&) {
        throw HttpError(400, "MALFORMED_JSON", "the request body is not valid JSON");
    }
    // The body is the array itself; {"hours": [...]} is accepted too.
    if (parsed.type() == typeid(Poco::JSON::Object::Ptr))
        parsed = parsed.extract<Poco::JSON::Object::Ptr>()->get("hours");
    std::vector<Period> periods;
    _host->database().transact([&](clinic::Transaction& tx) {
        if (!exists(tx.session(), "scheduling_doctors", id))
            throw HttpError::notFound("no such doctor");
        std::map<std::string, std::string> errors;
        periods = readPeriods(
            parsed, "hours", true, [&](const std::string& f, const std::string& r) { errors.emplace(f, r); });
        for (std::size_t i = 0; i < periods.size(); ++i)
            if (!exists(tx.session(), "scheduling_locations", periods[i].locationId))
                errors.emplace("hours[" + std::to_string(i) + "].location_id", "no such location");
        if (!errors.empty())
            throw HttpError::validation(errors);
        replaceHours(tx, id, periods);
    });
    std::sort(periods.begin(), periods.end(), [](const Period& a, const Period& b) {
        return std::tie(a.weekday, a.startMin) < std::tie(b.weekday, b.startMin);
    });
    auto out = clinic::makeObject();
    out->set("items", periodsJson(periods, true));
    return Response::json(out);
}

} // namespace scheduling
