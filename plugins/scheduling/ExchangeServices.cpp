#include "ExchangeServices.h"

#include <algorithm>
#include <map>
#include <stdexcept>

#include <Poco/Data/Session.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Tuple.h>

#include "clinic/Time.h"
#include "clinic/scheduling/AppointmentSearch.h"
#include "clinic/scheduling/ClinicDirectory.h"
#include "clinic/scheduling/FreeSlots.h"

using namespace Poco::Data::Keywords;

namespace scheduling {

namespace {

using namespace clinic::scheduling;

class WholeDirectory : public ClinicDirectory {
public:
    explicit WholeDirectory(clinic::Database& db)
        : _db(db)
    {
    }

    std::vector<LocationEntry> locations() override
    {
        std::vector<Poco::Tuple<Poco::Int64, std::string, std::string, std::string, std::string, std::string,
            std::string>>
            rows;
        auto s = _db.session();
        s << "SELECT id, name, address, city, county, timezone, phone FROM scheduling_locations ORDER BY id",
            into(rows), now;
        std::vector<LocationEntry> out;
        for (const auto& r : rows)
            out.push_back(
                {r.get<0>(), r.get<1>(), r.get<2>(), r.get<3>(), r.get<4>(), r.get<5>(), r.get<6>()});
        return out;
    }

    std::vector<ServiceEntry> services() override
    {
        std::vector<Poco::Tuple<Poco::Int64, std::string, std::string, Poco::Int64, Poco::Int64, std::string>>
            rows;
        auto s = _db.session();
        s << "SELECT id, name, department, duration_min, price_minor, currency FROM scheduling_services"
             " ORDER BY id",
            into(rows), now;
        std::vector<ServiceEntry> out;
        for (const auto& r : rows)
            out.push_back({r.get<0>(), r.get<1>(), r.get<2>(), r.get<3>(), r.get<4>(), r.get<5>()});
        return out;
    }

    std::vector<DoctorEntry> doctors() override
    {
        std::vector<Poco::Tuple<Poco::Int64, std::string, std::string, Poco::Int64>> rows;
        std::vector<Poco::Tuple<Poco::Int64, Poco::Int64>> links;
        auto s = _db.session();
        s << "SELECT id, name, specialty, location_id FROM scheduling_doctors ORDER BY id", into(rows), now;
        s << "SELECT doctor_id, service_id FROM scheduling_doctor_services ORDER BY doctor_id, service_id",
            into(links), now;
        std::map<Poco::Int64, std::vector<std::int64_t>> offered;
        for (const auto& l : links)
            offered[l.get<0>()].push_back(l.get<1>());
        std::vector<DoctorEntry> out;
        for (const auto& r : rows)
            out.push_back({r.get<0>(), r.get<1>(), r.get<2>(), r.get<3>(), offered[r.get<0>()]});
        return out;
    }

private:
    clinic::Database& _db;
};

class AvailabilitySlots : public FreeSlots {
public:
    explicit AvailabilitySlots(std::function<clinic::Response(clinic::Request&)> availability)
        : _availability(std::move(availability))
    {
    }

    std::vector<FreeSlot> find(const clinic::Request& by, const SlotQuery& query) override
    {
        // The request the caller would have sent to GET /api/v1/availability.
        clinic::Request req;
        req.method = "GET";
        req.path = "/api/v1/availability";
        req.routePattern = "/api/v1/availability";
        req.headers = by.headers;
        req.requestId = by.requestId;
        req.clientAddress = by.clientAddress;
        req.caller = by.caller;
        req.queryParams.emplace("doctor_id", std::to_string(query.doctorId));
        req.queryParams.emplace("service_id", std::to_string(query.serviceId));
        req.queryParams.emplace("from", query.fromDate);
        req.queryParams.emplace("to", query.toDate);
        const clinic::Response res = _availability(req);
        auto items
            = Poco::JSON::Parser().parse(res.body).extract<Poco::JSON::Object::Ptr>()->getArray("items");
        std::vector<FreeSlot> out;
        for (std::size_t i = 0; items && i < items->size(); ++i) {
            auto o = items->getObject(static_cast<unsigned>(i));
            auto start = clinic::parseRfc3339(o->getValue<std::string>("start"));
            auto end = clinic::parseRfc3339(o->getValue<std::string>("end"));
            if (!start || !end)
                throw std::runtime_error("availability answered an instant that does not parse");
            out.push_back({*start, *end, o->getValue<Poco::Int64>("doctor_id"),
                o->getValue<Poco::Int64>("location_id")});
        }
        return out;
    }

private:
    std::function<clinic::Response(clinic::Request&)> _availability;
};

using SummaryRow = Poco::Tuple<Poco::Int64, Poco::Int64, Poco::Int64, Poco::Int64, Poco::Int64, std::string,
    Poco::Int64, Poco::Int64>;

class Search : public AppointmentSearch {
public:
    explicit Search(clinic::Database& db)
        : _db(db)
    {
    }

    AppointmentPage search(const AppointmentFilter& f) override
    {
        if (f.limit == 0)
            throw std::invalid_argument("appointment search: limit must be at least 1");
        if (f.statuses.size() > kMaxFilterStatuses)
            throw std::invalid_argument("appointment search: too many statuses");
        const std::size_t limit = std::min(f.limit, kMaxAppointmentPage);
        // Every condition is always bound and switched off by a flag, so the
        // statement text is fixed and nothing is concatenated from input.
        auto flag = [](bool unset) -> Poco::Int64 { return unset ? 1 : 0; };
        Poco::Int64 anyId = flag(!f.id), id = f.id.value_or(0);
        Poco::Int64 anyPatient = flag(!f.patientId), patient = f.patientId.value_or(0);
        Poco::Int64 anyDoctor = flag(!f.doctorId), doctor = f.doctorId.value_or(0);
        Poco::Int64 anyLocation = flag(!f.locationId), location = f.locationId.value_or(0);
        Poco::Int64 anyStatus = flag(f.statuses.empty());
        std::vector<std::string> statuses = f.statuses;
        statuses.resize(kMaxFilterStatuses, f.statuses.empty() ? std::string() : f.statuses.front());
        Poco::Int64 anyFrom = flag(!f.fromUtc), from = f.fromUtc.value_or(0);
        Poco::Int64 anyTo = flag(!f.toUtc), to = f.toUtc.value_or(0);
        Poco::Int64 first = flag(!f.after), afterStart = f.after ? f.after->startUtc : 0,
                    afterId = f.after ? f.after->id : 0;
        Poco::Int64 fetch = static_cast<Poco::Int64>(limit) + 1;
        std::vector<SummaryRow> rows;
        auto s = _db.session();
        s << "SELECT id, patient_id, doctor_id, service_id, location_id, status, start_utc, end_utc"
             " FROM scheduling_appointments WHERE (? = 1 OR id = ?) AND (? = 1 OR patient_id = ?)"
             " AND (? = 1 OR doctor_id = ?) AND (? = 1 OR location_id = ?)"
             " AND (? = 1 OR status IN (?, ?, ?, ?, ?, ?))"
             " AND (? = 1 OR start_utc >= ?) AND (? = 1 OR start_utc < ?)"
             " AND (? = 1 OR start_utc > ? OR (start_utc = ? AND id > ?))"
             " ORDER BY start_utc, id LIMIT ?",
            use(anyId), use(id), use(anyPatient), use(patient), use(anyDoctor), use(doctor), use(anyLocation),
            use(location), use(anyStatus), use(statuses[0]), use(statuses[1]), use(statuses[2]),
            use(statuses[3]), use(statuses[4]), use(statuses[5]), use(anyFrom), use(from), use(anyTo),
            use(to), use(first), use(afterStart), use(afterStart), use(afterId), use(fetch), into(rows), now;
        AppointmentPage page;
        for (std::size_t i = 0; i < rows.size() && i < limit; ++i) {
            const auto& r = rows[i];
            AppointmentSummary a;
            a.id = r.get<0>();
            a.patientId = r.get<1>();
            a.doctorId = r.get<2>();
            a.serviceId = r.get<3>();
            a.locationId = r.get<4>();
            a.status = r.get<5>();
            a.startUtc = r.get<6>();
            a.endUtc = r.get<7>();
            page.items.push_back(a);
        }
        if (rows.size() > limit)
            page.next = AppointmentCursor {page.items.back().startUtc, page.items.back().id};
        return page;
    }

private:
    clinic::Database& _db;
};

} // namespace

void publishExchangeServices(
    clinic::Host& host, std::function<clinic::Response(clinic::Request&)> availability)
{
    host.services().publish<ClinicDirectory>(
        kClinicDirectoryService, std::make_shared<WholeDirectory>(host.database()));
    host.services().publish<FreeSlots>(
        kFreeSlotsService, std::make_shared<AvailabilitySlots>(std::move(availability)));
    host.services().publish<AppointmentSearch>(
        kAppointmentSearchService, std::make_shared<Search>(host.database()));
}

} // namespace scheduling
