// Vitals: measurements taken at a visit.

#include "RecordsPlugin.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/Nullable.h>
#include <Poco/Tuple.h>

#include "RecordChecks.h"

using namespace Poco::Data::Keywords;

namespace records {

Poco::JSON::Array::Ptr RecordsPlugin::vitalsOf(
    std::int64_t patientId, Poco::Int64 after, std::size_t pageSize, std::optional<std::string>& next)
{
    Poco::Data::Session s = _host->database().session();
    Poco::Int64 pid = patientId, lim = static_cast<Poco::Int64>(std::min<std::size_t>(pageSize, 1000000) + 1);
    std::vector<
        Poco::Tuple<Poco::Int64, Poco::Int64, Poco::Nullable<Poco::Int64>, Poco::Nullable<Poco::Int64>,
            Poco::Nullable<Poco::Int64>, Poco::Nullable<double>, Poco::Nullable<double>,
            Poco::Nullable<double>, Poco::Nullable<Poco::Int64>, Poco::Int64, Poco::Int64>>
        rows;
    s << "SELECT id, taken_at, systolic, diastolic, pulse, temperature_c, weight_kg, height_cm, spo2,"
         " created_at, created_by FROM records_vitals WHERE patient_id = ? AND id > ? ORDER BY id LIMIT "
         "?",
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
        o->set("taken_at", formatRfc3339(r.get<1>()));
        setOptional(o, "systolic", optional(r.get<2>()));
        setOptional(o, "diastolic", optional(r.get<3>()));
        setOptional(o, "pulse", optional(r.get<4>()));
        setOptional(o, "temperature_c", optional(r.get<5>()));
        setOptional(o, "weight_kg", optional(r.get<6>()));
        setOptional(o, "height_cm", optional(r.get<7>()));
        setOptional(o, "spo2", optional(r.get<8>()));
        o->set("created_at", formatRfc3339(r.get<9>()));
        o->set("created_by", r.get<10>());
        items->add(o);
    }
    return items;
}

Response RecordsPlugin::listVitals(Request& req)
{
    const std::int64_t id = req.idParam("id");
    clinic::PageRequest page = clinic::readPage(req);
    guard(req, id, PatientData::Clinical, "vitals.list");
    std::optional<std::string> next;
    auto items = vitalsOf(id, page.cursor, page.limit, next);
    auditRead(req, "vitals.list", "vitals", "", id);
    return Response::json(clinic::listPage(items, next));
}

Response RecordsPlugin::createVitals(Request& req)
{
    const std::int64_t patientId = req.idParam("id");
    guard(req, patientId, PatientData::Clinical, "vitals.create");
    auto body = req.jsonObject();
    clinic::FieldReader in(body);
    const std::int64_t takenAt = readInstant(in, "taken_at", nowSeconds());
    // Outside these ranges a reading is a typo or a broken device, not a patient.
    auto systolic = in.optionalInt("systolic", 40, 300);
    auto diastolic = in.optionalInt("diastolic", 20, 200);
    auto pulse = in.optionalInt("pulse", 20, 300);
    auto temperature = in.optionalNumber("temperature_c", 25.0, 45.0);
    auto weight = in.optionalNumber("weight_kg", 0.2, 500.0);
    auto height = in.optionalNumber("height_cm", 20.0, 280.0);
    auto spo2 = in.optionalInt("spo2", 50, 100);
    if (systolic && diastolic && *diastolic >= *systolic)
        in.fail("diastolic", "must be below systolic");
    if (in.has("systolic") != in.has("diastolic"))
        in.fail(in.has("systolic") ? "diastolic" : "systolic",
            "blood pressure needs both systolic and diastolic");
    if (!in.has("systolic") && !in.has("diastolic") && !in.has("pulse") && !in.has("temperature_c")
        && !in.has("weight_kg") && !in.has("height_cm") && !in.has("spo2"))
        in.fail("systolic", "at least one measurement is required");
    in.finish();
    Poco::Int64 newId = 0;
    _host->database().transact([&](clinic::Transaction& tx) {
        Poco::Int64 pid = patientId, at = takenAt, createdAt = nowSeconds(), by = req.caller.userId;
        auto sys = nullable(systolic), dia = nullable(diastolic), pul = nullable(pulse), sat = nullable(spo2);
        auto tmp = nullable(temperature), wt = nullable(weight), ht = nullable(height);
        tx.session() << "INSERT INTO records_vitals (patient_id, taken_at, systolic, diastolic, pulse,"
                        " temperature_c, weight_kg, height_cm, spo2, created_at, created_by)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            use(pid), use(at), use(sys), use(dia), use(pul), use(tmp), use(wt), use(ht), use(sat),
            use(createdAt), use(by), now;
        newId = tx.lastInsertId();
        auditWrite(tx, req, "vitals.create", "vitals", newId, patientId);
    });
    std::optional<std::string> next;
    auto items = vitalsOf(patientId, newId - 1, 1, next);
    return Response::json(items->getObject(0), 201);
}

} // namespace records
