// Departments: a clinic's units (cardiology, paediatrics) at a location,
// with an optional head doctor; services and doctors belong to one.
//
// They replace the free-text department of a service. The upgrade step
// (migration 16) makes one department per distinct text, without a location:
// a service is not tied to a location, so the text says nothing about one;
// an administrator sets it with PATCH. A service keeps the text field
// "department" (terminals read it), kept equal to its department's name.

#include "SchedulingPlugin.h"

#include <optional>
#include <string>
#include <vector>

#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>
#include <Poco/Tuple.h>

#include "DirectoryCache.h"
#include "clinic/IdCursorPage.h"

using namespace Poco::Data::Keywords;

namespace scheduling {

namespace {

// id, name, location_id, head_doctor_id
using DepartmentRow
    = Poco::Tuple<Poco::Int64, std::string, Poco::Nullable<Poco::Int64>, Poco::Nullable<Poco::Int64>>;
constexpr const char* kDepartmentColumns = "id, name, location_id, head_doctor_id";

struct Department {
    Poco::Int64 id = 0;
    std::string name;
    Poco::Int64 locationId = 0, headDoctorId = 0; ///< 0: none

    static Department from(const DepartmentRow& r)
    {
        return {r.get<0>(), r.get<1>(), r.get<2>().isNull() ? 0 : r.get<2>().value(),
            r.get<3>().isNull() ? 0 : r.get<3>().value()};
    }
    Poco::JSON::Object::Ptr toJson() const
    {
        auto orNull = [](Poco::Int64 v) { return v ? Poco::Dynamic::Var(v) : Poco::Dynamic::Var(); };
        auto o = clinic::makeObject();
        o->set("id", id);
        o->set("name", name);
        o->set("location_id", orNull(locationId));
        o->set("head_doctor_id", orNull(headDoctorId));
        return o;
    }
};

std::optional<Department> findDepartment(Poco::Data::Session& s, Poco::Int64 id)
{
    std::vector<DepartmentRow> rows;
    s << std::string("SELECT ") + kDepartmentColumns + " FROM scheduling_departments WHERE id = ?", use(id),
        into(rows), now;
    if (rows.empty())
        return std::nullopt;
    return Department::from(rows.front());
}

Poco::Nullable<Poco::Int64> nullable(Poco::Int64 v)
{
    return v ? Poco::Nullable<Poco::Int64>(v) : Poco::Nullable<Poco::Int64>();
}

} // namespace

Poco::Int64 SchedulingPlugin::departmentNamed(clinic::Transaction& tx, const std::string& name)
{
    std::vector<Poco::Int64> ids;
    std::string n = name;
    tx.session() << "SELECT id FROM scheduling_departments WHERE name = ? ORDER BY id", use(n), into(ids),
        limit(1), now;
    if (!ids.empty())
        return ids.front();
    Poco::Int64 at = nowSeconds();
    tx.session() << "INSERT INTO scheduling_departments (name, location_id, head_doctor_id, created_at,"
                    " updated_at) VALUES (?, NULL, NULL, ?, ?)",
        use(n), use(at), use(at), now;
    return tx.lastInsertId();
}

void SchedulingPlugin::settleDepartment(clinic::Transaction& tx, clinic::FieldReader& in, Service& s)
{
    if (s.departmentId == kDepartmentByName) {
        s.departmentId = s.department.empty() ? 0 : departmentNamed(tx, s.department);
    } else if (s.departmentId > 0) {
        auto d = findDepartment(tx.session(), s.departmentId);
        if (!d)
            in.fail("department_id", "no such department");
        else
            s.department = d->name;
    }
}

namespace {

/// The fields of a department body; ids are checked against the tables.
void readDepartment(clinic::FieldReader& in, const Poco::JSON::Object::Ptr& body, Department& d, bool partial,
    Poco::Data::Session& s)
{
    auto exists = [&](const char* table, Poco::Int64 id) {
        Poco::Int64 n = 0;
        s << std::string("SELECT COUNT(*) FROM ") + table + " WHERE id = ?", use(id), into(n), now;
        return n > 0;
    };
    if (!partial || in.has("name"))
        d.name = in.requiredName("name", 1, 100);
    if (body->has("location_id") && body->isNull("location_id"))
        in.fail("location_id", "is required: a department is at a location");
    else if (!partial || in.has("location_id")) {
        d.locationId = in.requiredInt("location_id", 1, INT64_MAX);
        if (d.locationId > 0 && !exists("scheduling_locations", d.locationId))
            in.fail("location_id", "no such location");
    }
    if (body->has("head_doctor_id")) {
        if (body->isNull("head_doctor_id")) {
            d.headDoctorId = 0;
        } else if (auto head = in.optionalInt("head_doctor_id", 1, INT64_MAX)) {
            d.headDoctorId = *head;
            if (!exists("scheduling_doctors", *head))
                in.fail("head_doctor_id", "no such doctor");
        }
    }
}

} // namespace

Response SchedulingPlugin::listDepartments(Request& req)
{
    std::map<std::string, std::string> errors;
    clinic::PageRequest page = clinic::readPage(req, errors);
    auto location = queryId(req, "location_id", errors);
    if (!errors.empty())
        throw HttpError::validation(errors);
    auto s = _host->database().session();
    std::vector<DepartmentRow> rows;
    Poco::Int64 after = page.cursor, at = location.value_or(0);
    Poco::Data::Statement st(s);
    st << std::string("SELECT ") + kDepartmentColumns + " FROM scheduling_departments WHERE id > ?"
            + (location ? " AND location_id = ?" : "") + " ORDER BY id",
        use(after);
    if (location)
        st, use(at);
    st, into(rows), limit(page.limit + 1);
    st.execute();
    return Response::json(clinic::idCursorPage(
        page, rows, [](const DepartmentRow& row) { return Department::from(row).toJson(); }));
}

Response SchedulingPlugin::createDepartment(Request& req)
{
    auto body = req.jsonObject();
    Department d;
    _host->database().transact([&](clinic::Transaction& tx) {
        clinic::FieldReader in(body);
        readDepartment(in, body, d, false, tx.session());
        in.finish();
        Poco::Int64 at = nowSeconds();
        auto location = nullable(d.locationId), head = nullable(d.headDoctorId);
        tx.session() << "INSERT INTO scheduling_departments (name, location_id, head_doctor_id, created_at,"
                        " updated_at) VALUES (?, ?, ?, ?, ?)",
            use(d.name), use(location), use(head), use(at), use(at), now;
        d.id = tx.lastInsertId();
    });
    Response r = Response::json(d.toJson(), 201);
    r.headers.emplace_back("Location", "/api/v1/departments/" + std::to_string(d.id));
    return r;
}

Response SchedulingPlugin::getDepartment(Request& req)
{
    auto s = _host->database().session();
    auto d = findDepartment(s, req.idParam("id"));
    if (!d)
        throw HttpError::notFound("no such department");
    return Response::json(d->toJson());
}

Response SchedulingPlugin::patchDepartment(Request& req)
{
    const Poco::Int64 id = req.idParam("id");
    auto body = req.jsonObject();
    Department d;
    _host->database().transact([&](clinic::Transaction& tx) {
        auto current = findDepartment(tx.session(), id);
        if (!current)
            throw HttpError::notFound("no such department");
        d = *current;
        clinic::FieldReader in(body);
        readDepartment(in, body, d, true, tx.session());
        in.finish();
        Poco::Int64 at = nowSeconds();
        auto location = nullable(d.locationId), head = nullable(d.headDoctorId);
        tx.session() << "UPDATE scheduling_departments SET name = ?, location_id = ?, head_doctor_id = ?,"
                        " updated_at = ? WHERE id = ?",
            use(d.name), use(location), use(head), use(at), use(d.id), now;
        if (d.name != current->name) {
            // The services' text field follows the name (booking ctx, terminals).
            DirectoryCache::changed(tx);
            tx.session()
                << "UPDATE scheduling_services SET department = ?, updated_at = ? WHERE department_id = ?",
                use(d.name), use(at), use(d.id), now;
        }
    });
    return Response::json(d.toJson());
}

Response SchedulingPlugin::deleteDepartment(Request& req)
{
    Poco::Int64 id = req.idParam("id");
    _host->database().transact([&](clinic::Transaction& tx) {
        if (!findDepartment(tx.session(), id))
            throw HttpError::notFound("no such department");
        Poco::Int64 services = 0, doctors = 0;
        tx.session() << "SELECT COUNT(*) FROM scheduling_services WHERE department_id = ?", use(id),
            into(services), now;
        tx.session() << "SELECT COUNT(*) FROM scheduling_doctors WHERE department_id = ?", use(id),
            into(doctors), now;
        if (services || doctors) {
            auto details = clinic::makeObject();
            details->set("services", services);
            details->set("doctors", doctors);
            throw HttpError::conflict("services or doctors still belong to this department", details);
        }
        tx.session() << "DELETE FROM scheduling_departments WHERE id = ?", use(id), now;
    });
    return Response::noContent();
}

} // namespace scheduling
