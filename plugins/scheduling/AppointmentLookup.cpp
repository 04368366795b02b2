#include "AppointmentLookup.h"

#include <algorithm>
#include <stdexcept>

#include <Poco/Data/Statement.h>
#include <Poco/Tuple.h>

using namespace Poco::Data::Keywords;

namespace scheduling {

namespace {

using clinic::scheduling::AppointmentCursor;
using clinic::scheduling::AppointmentPage;
using clinic::scheduling::AppointmentQuery;
using clinic::scheduling::AppointmentSummary;

using SummaryRow = Poco::Tuple<Poco::Int64, Poco::Int64, Poco::Int64, Poco::Int64, Poco::Int64, std::string,
    Poco::Int64, Poco::Int64>;

const char* const kColumns
    = "SELECT id, patient_id, doctor_id, service_id, location_id, status, start_utc, end_utc"
      " FROM scheduling_appointments";

AppointmentSummary summaryOf(const SummaryRow& r)
{
    AppointmentSummary a;
    a.id = r.get<0>();
    a.patientId = r.get<1>();
    a.doctorId = r.get<2>();
    a.serviceId = r.get<3>();
    a.locationId = r.get<4>();
    a.status = r.get<5>();
    a.startUtc = r.get<6>();
    a.endUtc = r.get<7>();
    return a;
}

std::optional<AppointmentSummary> readById(Poco::Data::Session& s, std::int64_t appointmentId)
{
    std::vector<SummaryRow> rows;
    Poco::Int64 id = appointmentId;
    s << std::string(kColumns) + " WHERE id = ?", use(id), into(rows), now;
    if (rows.empty())
        return std::nullopt;
    return summaryOf(rows.front());
}

AppointmentPage readByPatient(Poco::Data::Session& s, const AppointmentQuery& query)
{
    if (query.patientId <= 0)
        throw std::invalid_argument("appointment lookup: patientId must be positive");
    if (query.limit == 0)
        throw std::invalid_argument("appointment lookup: limit must be at least 1");
    const std::size_t limit = std::min(query.limit, clinic::scheduling::kMaxAppointmentPage);

    // Every optional condition is always bound, switched off by a flag, so
    // the statement text is fixed and nothing is concatenated from input.
    Poco::Int64 patient = query.patientId;
    Poco::Int64 anyStatus = query.status ? 0 : 1;
    std::string status = query.status.value_or("");
    Poco::Int64 from = query.fromUtc.value_or(0), anyFrom = query.fromUtc ? 0 : 1;
    Poco::Int64 to = query.toUtc.value_or(0), anyTo = query.toUtc ? 0 : 1;
    Poco::Int64 afterStart = query.after ? query.after->startUtc : 0;
    Poco::Int64 afterId = query.after ? query.after->id : 0, first = query.after ? 0 : 1;
    Poco::Int64 fetch = static_cast<Poco::Int64>(limit) + 1;
    std::vector<SummaryRow> rows;
    s << std::string(kColumns)
            + " WHERE patient_id = ? AND (? = 1 OR status = ?) AND (? = 1 OR start_utc >= ?)"
              " AND (? = 1 OR start_utc < ?)"
              " AND (? = 1 OR start_utc > ? OR (start_utc = ? AND id > ?))"
              " ORDER BY start_utc, id LIMIT ?",
        use(patient), use(anyStatus), use(status), use(anyFrom), use(from), use(anyTo), use(to), use(first),
        use(afterStart), use(afterStart), use(afterId), use(fetch), into(rows), now;

    AppointmentPage page;
    for (std::size_t i = 0; i < rows.size() && i < limit; ++i)
        page.items.push_back(summaryOf(rows[i]));
    if (rows.size() > limit)
        page.next = AppointmentCursor {page.items.back().startUtc, page.items.back().id};
    return page;
}

class Lookup : public clinic::scheduling::AppointmentLookup {
public:
    explicit Lookup(clinic::Database& db)
        : _db(db)
    {
    }

    std::optional<AppointmentSummary> byId(std::int64_t appointmentId) override
    {
        auto s = _db.session();
        return readById(s, appointmentId);
    }
    std::optional<AppointmentSummary> byId(clinic::Transaction& tx, std::int64_t appointmentId) override
    {
        return readById(tx.session(), appointmentId);
    }
    AppointmentPage byPatient(const AppointmentQuery& query) override
    {
        auto s = _db.session();
        return readByPatient(s, query);
    }
    AppointmentPage byPatient(clinic::Transaction& tx, const AppointmentQuery& query) override
    {
        return readByPatient(tx.session(), query);
    }

private:
    clinic::Database& _db;
};

} // namespace

std::shared_ptr<clinic::scheduling::AppointmentLookup> makeAppointmentLookup(clinic::Database& db)
{
    return std::make_shared<Lookup>(db);
}

namespace {

class DoctorCards : public clinic::scheduling::DoctorDirectory {
public:
    explicit DoctorCards(clinic::Database& db)
        : _db(db)
    {
    }

    std::optional<clinic::scheduling::DoctorCard> doctor(std::int64_t doctorId) override
    {
        Poco::Data::Session s = _db.session();
        Poco::Int64 id = doctorId;
        std::vector<Poco::Tuple<std::string, std::string, Poco::Int64, std::string, std::string, std::string,
            std::string>>
            rows;
        s << "SELECT d.name, d.specialty, d.location_id, l.name, l.address, l.city, l.phone"
             " FROM scheduling_doctors d JOIN scheduling_locations l ON l.id = d.location_id WHERE d.id = ?",
            use(id), into(rows), now;
        if (rows.empty())
            return std::nullopt;
        const auto& r = rows.front();
        return clinic::scheduling::DoctorCard {
            doctorId, r.get<0>(), r.get<1>(), r.get<2>(), r.get<3>(), r.get<4>(), r.get<5>(), r.get<6>()};
    }

private:
    clinic::Database& _db;
};

class DoctorDirectoryAccounts : public clinic::DoctorAccounts {
public:
    bool exists(clinic::Transaction& tx, std::int64_t doctorId) override
    {
        Poco::Int64 id = doctorId, count = 0;
        tx.session() << "SELECT COUNT(*) FROM scheduling_doctors WHERE id = ?", use(id), into(count), now;
        return count > 0;
    }
};

} // namespace

std::shared_ptr<clinic::scheduling::DoctorDirectory> makeDoctorDirectory(clinic::Database& db)
{
    return std::make_shared<DoctorCards>(db);
}

std::shared_ptr<clinic::DoctorAccounts> makeDoctorAccounts()
{
    return std::make_shared<DoctorDirectoryAccounts>();
}

} // namespace scheduling
