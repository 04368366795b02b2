#include "PrescriptionStore.h"

#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Nullable.h>
#include <Poco/Tuple.h>

#include "clinic/Json.h"
#include "clinic/Time.h"

using namespace Poco::Data::Keywords;

namespace prescriptions {

namespace {

using Row
    = Poco::Tuple<Poco::Int64, Poco::Int64, Poco::Int64, Poco::Int64, std::string, Poco::Int64, Poco::Int64,
        std::string, Poco::Nullable<std::string>, Poco::Nullable<std::string>, Poco::Nullable<Poco::Int64>,
        Poco::Nullable<Poco::Int64>, Poco::Nullable<Poco::Int64>, Poco::Nullable<std::string>>;
constexpr const char* kColumns
    = "id, patient_id, doctor_id, prescribed_by, status, issued_at, ends_at, notes,"
      " override_reason, warnings, renewal_of, cancelled_at, cancelled_by, cancel_reason";

using ItemRow = Poco::Tuple<Poco::Nullable<Poco::Int64>, std::string, Poco::Int64, std::string, std::string,
    std::string, std::string, std::string, std::string, std::string, Poco::Int64, Poco::Int64, Poco::Int64,
    Poco::Nullable<double>, Poco::Nullable<Poco::Int64>>;

using RenewalRow = Poco::Tuple<Poco::Int64, std::string, std::string, Poco::Int64, Poco::Int64,
    Poco::Nullable<Poco::Int64>, Poco::Nullable<std::string>, Poco::Nullable<Poco::Int64>>;

Poco::Dynamic::Var orNull(const Poco::Nullable<Poco::Int64>& v)
{
    return v.isNull() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(v.value());
}
Poco::Dynamic::Var orNull(const Poco::Nullable<std::string>& v)
{
    return v.isNull() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(v.value());
}
Poco::Dynamic::Var instantOrNull(const Poco::Nullable<Poco::Int64>& v)
{
    return v.isNull() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(clinic::formatRfc3339(v.value()));
}

Poco::JSON::Object::Ptr toJson(Poco::Data::Session& s, const Row& r, std::int64_t asOf)
{
    auto o = clinic::makeObject();
    Poco::Int64 id = r.get<0>();
    o->set("id", id);
    o->set("patient_id", r.get<1>());
    o->set("doctor_id", r.get<2>());
    o->set("prescribed_by", r.get<3>());
    o->set("status", statusAt(r.get<4>(), r.get<6>(), asOf));
    o->set("issued_at", clinic::formatRfc3339(r.get<5>()));
    o->set("ends_at", clinic::formatRfc3339(r.get<6>()));
    o->set("notes", r.get<7>());
    o->set("override_reason", orNull(r.get<8>()));
    Poco::JSON::Array::Ptr warnings = new Poco::JSON::Array;
    if (!r.get<9>().isNull() && !r.get<9>().value().empty()) {
        // Kept in a variable: a range-for over a temporary's pointee would outlive it.
        Poco::JSON::Array::Ptr stored
            = Poco::JSON::Parser().parse(r.get<9>().value()).extract<Poco::JSON::Array::Ptr>();
        for (const auto& w : *stored)
            warnings->add(w);
    }
    o->set("warnings_overridden", warnings);
    o->set("renewal_of", orNull(r.get<10>()));
    o->set("cancelled_at", instantOrNull(r.get<11>()));
    o->set("cancelled_by", orNull(r.get<12>()));
    o->set("cancel_reason", orNull(r.get<13>()));

    std::vector<ItemRow> items;
    s << "SELECT drug_id, drug_name, free_text, substance, atc, form, strength, dose, route, frequency,"
         " duration_days, quantity, refills, dose_mg, doses_per_day FROM prescriptions_items"
         " WHERE prescription_id = ? ORDER BY line_no",
        use(id), into(items), now;
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& i : items) {
        auto item = clinic::makeObject();
        item->set("drug_id", orNull(i.get<0>()));
        item->set("drug", i.get<1>());
        item->set("free_text", i.get<2>() != 0);
        item->set("substance", i.get<3>());
        item->set("atc", i.get<4>());
        item->set("form", i.get<5>());
        item->set("strength", i.get<6>());
        item->set("dose", i.get<7>());
        item->set("route", i.get<8>());
        item->set("frequency", i.get<9>());
        item->set("duration_days", i.get<10>());
        item->set("quantity", i.get<11>());
        item->set("refills", i.get<12>());
        item->set(
            "dose_mg", i.get<13>().isNull() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(i.get<13>().value()));
        item->set("doses_per_day", orNull(i.get<14>()));
        list->add(item);
    }
    o->set("items", list);

    std::vector<RenewalRow> renewals;
    s << "SELECT id, status, note, requested_at, requested_by, decided_at, reason, renewal_id"
         " FROM prescriptions_renewal_requests WHERE prescription_id = ? ORDER BY id",
        use(id), into(renewals), now;
    Poco::JSON::Array::Ptr requests = new Poco::JSON::Array;
    for (const auto& q : renewals) {
        auto req = clinic::makeObject();
        req->set("id", q.get<0>());
        req->set("prescription_id", id);
        req->set("status", q.get<1>());
        req->set("note", q.get<2>());
        req->set("requested_at", clinic::formatRfc3339(q.get<3>()));
        req->set("requested_by", q.get<4>());
        req->set("decided_at", instantOrNull(q.get<5>()));
        req->set("reason", orNull(q.get<6>()));
        req->set("renewal_id", orNull(q.get<7>()));
        requests->add(req);
    }
    o->set("renewal_requests", requests);
    return o;
}

} // namespace

std::string statusAt(const std::string& stored, std::int64_t endsAt, std::int64_t asOf)
{
    if (stored == "active" && endsAt <= asOf)
        return "completed";
    return stored;
}

Poco::JSON::Object::Ptr PrescriptionStore::one(std::int64_t id, std::int64_t asOf)
{
    Poco::Data::Session s = _db.session();
    Poco::Int64 key = id;
    std::vector<Row> rows;
    s << std::string("SELECT ") + kColumns + " FROM prescriptions_prescriptions WHERE id = ?", use(key),
        into(rows), now;
    if (rows.empty())
        return nullptr;
    return toJson(s, rows.front(), asOf);
}

std::vector<ListedPrescription> PrescriptionStore::list(const PrescriptionFilter& f, std::int64_t asOf)
{
    std::string sql = std::string("SELECT ") + kColumns + " FROM prescriptions_prescriptions WHERE id > ?";
    Poco::Int64 after = f.after, patient = f.patientId.value_or(0), doctor = f.doctorId.value_or(0),
                at = asOf, lim = static_cast<Poco::Int64>(f.limit + 1);
    Poco::Data::Session s = _db.session();
    Poco::Data::Statement st(s);
    if (f.patientId)
        sql += " AND patient_id = ?";
    if (f.doctorId)
        sql += " AND doctor_id = ?";
    if (f.status == std::optional<std::string>("active"))
        sql += " AND status = 'active' AND ends_at > ?";
    else if (f.status == std::optional<std::string>("completed"))
        sql += " AND status = 'active' AND ends_at <= ?";
    else if (f.status == std::optional<std::string>("cancelled"))
        sql += " AND status = 'cancelled'";
    sql += " ORDER BY id LIMIT ?";
    std::vector<Row> rows;
    st << sql, use(after);
    if (f.patientId)
        st, use(patient);
    if (f.doctorId)
        st, use(doctor);
    if (f.status && *f.status != "cancelled")
        st, use(at);
    st, use(lim), into(rows);
    st.execute();
    std::vector<ListedPrescription> out;
    for (const auto& r : rows)
        out.push_back({r.get<0>(), r.get<1>(), toJson(s, r, asOf)});
    return out;
}

Poco::JSON::Array::Ptr PrescriptionStore::ofPatient(std::int64_t patientId, std::int64_t asOf)
{
    Poco::JSON::Array::Ptr out = new Poco::JSON::Array;
    PrescriptionFilter f;
    f.patientId = patientId;
    f.limit = 500;
    for (;;) {
        auto page = list(f, asOf);
        const bool more = page.size() > f.limit;
        for (std::size_t i = 0; i < page.size() && i < f.limit; ++i)
            out->add(page[i].json);
        if (!more)
            return out;
        f.after = page[f.limit - 1].id;
    }
}

std::vector<ActiveItem> PrescriptionStore::activeItems(std::int64_t patientId, std::int64_t asOf)
{
    Poco::Data::Session s = _db.session();
    Poco::Int64 pid = patientId, at = asOf;
    std::vector<Poco::Tuple<Poco::Int64, std::string, std::string, std::string, Poco::Int64, Poco::Int64>>
        rows;
    s << "SELECT p.id, i.drug_name, i.substance, i.atc, p.issued_at, p.ends_at FROM "
         "prescriptions_prescriptions p"
         " JOIN prescriptions_items i ON i.prescription_id = p.id"
         " WHERE p.patient_id = ? AND p.status = 'active' AND p.ends_at > ? ORDER BY p.id, i.line_no",
        use(pid), use(at), into(rows), now;
    std::vector<ActiveItem> out;
    for (const auto& r : rows)
        out.push_back({r.get<0>(), r.get<1>(), r.get<2>(), r.get<3>(), r.get<4>(), r.get<5>()});
    return out;
}

std::optional<RenewalRequest> PrescriptionStore::renewal(std::int64_t id)
{
    Poco::Data::Session s = _db.session();
    Poco::Int64 key = id;
    std::vector<Poco::Tuple<Poco::Int64, Poco::Int64, Poco::Int64, std::string>> rows;
    s << "SELECT id, prescription_id, patient_id, status FROM prescriptions_renewal_requests WHERE id = ?",
        use(key), into(rows), now;
    if (rows.empty())
        return std::nullopt;
    const auto& r = rows.front();
    return RenewalRequest {r.get<0>(), r.get<1>(), r.get<2>(), r.get<3>()};
}

} // namespace prescriptions
