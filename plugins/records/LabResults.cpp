// Lab results.

#include "RecordsPlugin.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/Tuple.h>

#include "RecordChecks.h"

using namespace Poco::Data::Keywords;

namespace records {

Poco::JSON::Array::Ptr RecordsPlugin::labResultsOf(
    std::int64_t patientId, Poco::Int64 after, std::size_t pageSize, std::optional<std::string>& next)
{
    Poco::Data::Session s = _host->database().session();
    Poco::Int64 pid = patientId, lim = static_cast<Poco::Int64>(std::min<std::size_t>(pageSize, 1000000) + 1);
    std::vector<Poco::Tuple<Poco::Int64, std::string, std::string, std::string, std::string, std::string,
        Poco::Int64, Poco::Int64, Poco::Int64>>
        rows;
    s << "SELECT id, test, result_value, unit, reference_range, flag, taken_at, created_at, created_by"
         " FROM records_lab_results WHERE patient_id = ? AND id > ? ORDER BY id LIMIT ?",
        use(pid), use(after), use(lim), into(rows), now;
    Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
    for (std::size_t row = 0; row < rows.size(); ++row) {
        if (row == pageSize) {
            next = std::to_string(rows[row - 1].get<0>());
            break;
        }
        const auto& r = rows[row];
        auto o = clinic::makeObject();
        o->set("id", r.get<0>());
        o->set("patient_id", static_cast<Poco::Int64>(patientId));
        o->set("test", r.get<1>());
        o->set("value", r.get<2>());
        o->set("unit", r.get<3>());
        o->set("reference_range", r.get<4>());
        o->set("flag", r.get<5>());
        o->set("taken_at", formatRfc3339(r.get<6>()));
        o->set("created_at", formatRfc3339(r.get<7>()));
        o->set("created_by", r.get<8>());
        items->add(o);
    }
    return items;
}

Response RecordsPlugin::listLabResults(Request& req)
{
    const std::int64_t id = req.idParam("id");
    clinic::PageRequest page = clinic::readPage(req);
    guard(req, id, PatientData::Clinical, "lab_result.list");
    std::optional<std::string> next;
    auto items = labResultsOf(id, page.cursor, page.limit, next);
    auditRead(req, "lab_result.list", "lab_result", "", id);
    return Response::json(clinic::listPage(items, next));
}

Response RecordsPlugin::createLabResult(Request& req)
{
    const std::int64_t patientId = req.idParam("id");
    guard(req, patientId, PatientData::Clinical, "lab_result.create");
    auto body = req.jsonObject();
    clinic::FieldReader in(body);
    std::string test = in.requiredString("test", 1, 200);
    // A value is a number (5.4) or text ("positive", "<0.01"): both kept as text.
    std::string value;
    if (body->has("value") && !body->isNull("value") && body->get("value").isNumeric()
        && !body->get("value").isBoolean())
        value = body->get("value").convert<std::string>();
    else
        value = in.requiredString("value", 1, 200);
    std::string unit = in.optionalString("unit", 0, 50).value_or("");
    std::string range = in.optionalString("reference_range", 0, 100).value_or("");
    std::string flag = in.optionalString("flag", 1, 8).value_or("normal");
    if (flag != "low" && flag != "normal" && flag != "high" && flag != "critical")
        in.fail("flag", "must be one of low, normal, high, critical");
    const std::int64_t takenAt = readInstant(in, "taken_at", nowSeconds());
    in.finish();
    Poco::Int64 newId = 0;
    _host->database().transact([&](clinic::Transaction& tx) {
        Poco::Int64 pid = patientId, at = takenAt, createdAt = nowSeconds(), by = req.caller.userId;
        tx.session()
            << "INSERT INTO records_lab_results (patient_id, test, result_value, unit, reference_range,"
               " flag, taken_at, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            use(pid), use(test), use(value), use(unit), use(range), use(flag), use(at), use(createdAt),
            use(by), now;
        newId = tx.lastInsertId();
        auditWrite(tx, req, "lab_result.create", "lab_result", newId, patientId);
    });
    std::optional<std::string> next;
    auto items = labResultsOf(patientId, newId - 1, 1, next);
    return Response::json(items->getObject(0), 201);
}

} // namespace records
