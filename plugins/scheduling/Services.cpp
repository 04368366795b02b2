// Services: what the clinic offers, for how long and at what price.

#include "SchedulingPlugin.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/Nullable.h>

#include "DirectoryCache.h"
#include "clinic/IdCursorPage.h"

using namespace Poco::Data::Keywords;

namespace scheduling {

namespace {

bool isCurrency(const std::string& c)
{
    return c.size() == 3 && std::all_of(c.begin(), c.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; });
}

} // namespace

void SchedulingPlugin::insertService(clinic::Transaction& tx, Service& s, const std::string& demoKey)
{
    Poco::Int64 at = nowSeconds();
    Poco::Nullable<std::string> key;
    if (!demoKey.empty())
        key = demoKey;
    Poco::Nullable<Poco::Int64> department;
    if (s.departmentId > 0)
        department = s.departmentId;
    tx.session() << "INSERT INTO scheduling_services (name, department, duration_min, price_minor, currency,"
                    " demo_key, created_at, updated_at, department_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        use(s.name), use(s.department), use(s.durationMin), use(s.priceMinor), use(s.currency), use(key),
        use(at), use(at), use(department), now;
    s.id = tx.lastInsertId();
}

void SchedulingPlugin::readService(
    clinic::FieldReader& in, const Poco::JSON::Object::Ptr& body, Service& s, bool partial)
{
    auto want = [&](const char* field) { return !partial || in.has(field); };
    if (want("name"))
        s.name = in.requiredName("name", 1, 200);
    // department_id names the resource; the older text field "department"
    // still works and means the department of that name.
    if (body->has("department_id")) {
        if (body->isNull("department_id"))
            s.departmentId = 0;
        else
            s.departmentId = in.optionalInt("department_id", 1, INT64_MAX).value_or(0);
        s.department.clear();
    } else if (want("department")) {
        s.department = in.requiredString("department", 1, 100);
        s.departmentId = kDepartmentByName;
    }
    if (want("duration_min"))
        s.durationMin = in.requiredInt("duration_min", 5, 480);
    if (want("price_minor"))
        s.priceMinor = in.requiredInt("price_minor", 0, 1000000000000LL);
    if (want("currency")) {
        s.currency = in.requiredString("currency", 1, 3);
        if (!s.currency.empty() && !isCurrency(s.currency))
            in.fail("currency", "must be an ISO 4217 code of three capital letters (RON, EUR)");
    }
}

Response SchedulingPlugin::listServices(Request& req)
{
    clinic::PageRequest page = clinic::readPage(req);
    auto s = _host->database().session();
    std::vector<ServiceRow> rows;
    Poco::Int64 after = page.cursor;
    s << std::string("SELECT ") + kServiceColumns + " FROM scheduling_services WHERE id > ? ORDER BY id",
        use(after), into(rows), limit(page.limit + 1), now;
    return Response::json(
        clinic::idCursorPage(page, rows, [](const ServiceRow& row) { return Service::from(row).toJson(); }));
}

Response SchedulingPlugin::createService(Request& req)
{
    auto body = req.jsonObject();
    clinic::FieldReader in(body);
    Service s;
    readService(in, body, s, false);
    _host->database().transact([&](clinic::Transaction& tx) {
        settleDepartment(tx, in, s);
        in.finish();
        insertService(tx, s);
    });
    Response r = Response::json(s.toJson(), 201);
    r.headers.emplace_back("Location", "/api/v1/services/" + std::to_string(s.id));
    return r;
}

Response SchedulingPlugin::getService(Request& req)
{
    auto s = _host->database().session();
    auto found = findService(s, req.idParam("id"));
    if (!found)
        throw HttpError::notFound("no such service");
    return Response::json(found->toJson());
}

Response SchedulingPlugin::patchService(Request& req)
{
    Poco::Int64 id = req.idParam("id");
    auto body = req.jsonObject();
    Service s;
    _host->database().transact([&](clinic::Transaction& tx) {
        auto current = findService(tx.session(), id);
        if (!current)
            throw HttpError::notFound("no such service");
        s = *current;
        clinic::FieldReader in(body);
        readService(in, body, s, true);
        settleDepartment(tx, in, s);
        in.finish();
        Poco::Int64 at = nowSeconds();
        Poco::Nullable<Poco::Int64> department;
        if (s.departmentId > 0)
            department = s.departmentId;
        DirectoryCache::changed(tx);
        tx.session() << "UPDATE scheduling_services SET name = ?, department = ?, duration_min = ?,"
                        " price_minor = ?, currency = ?, updated_at = ?, department_id = ? WHERE id = ?",
            use(s.name), use(s.department), use(s.durationMin), use(s.priceMinor), use(s.currency), use(at),
            use(department), use(s.id), now;
    });
    return Response::json(s.toJson());
}

} // namespace scheduling
