// A test-only plugin that uses other plugins' services the way a real
// consumer would: through their public headers only, looked up when a
// request comes (so it starts, and answers clearly, when a provider is not
// loaded). Built into the build's plugin directory, never installed.
//
//   GET /api/v1/servicestest/notes[?id=N]        example.notes.v1
//   GET /api/v1/servicestest/appointments/{id}   scheduling.appointments.v1, byId
//   GET /api/v1/servicestest/patients/{id}/appointments
//       ?status=&from=&to=&limit=&after_start=&after_id=&in_tx=1
//                                                scheduling.appointments.v1, byPatient

#include <Poco/NumberParser.h>

#include "clinic/Host.h"
#include "clinic/Json.h"
#include "clinic/Plugin.h"
#include "clinic/example/Notes.h"
#include "clinic/scheduling/Appointments.h"

namespace {

using namespace clinic;
using clinic::scheduling::AppointmentSummary;

/// 200 {"service": name, "found": false, "detail": ...}: the consumer's
/// clear answer when the provider is not there.
Response missing(const std::string& service, const std::string& provider)
{
    auto out = makeObject();
    out->set("service", service);
    out->set("found", false);
    out->set("detail", service + " is not published: the " + provider + " plugin is not loaded");
    return Response::json(out);
}

std::optional<std::int64_t> number(const Request& req, const std::string& name)
{
    auto text = req.query(name);
    if (!text)
        return std::nullopt;
    Poco::Int64 value = 0;
    if (!Poco::NumberParser::tryParse64(*text, value))
        throw HttpError::validation({{name, "not an integer"}});
    return value;
}

Poco::JSON::Object::Ptr toJson(const AppointmentSummary& a)
{
    auto o = makeObject();
    o->set("id", static_cast<Poco::Int64>(a.id));
    o->set("patient_id", static_cast<Poco::Int64>(a.patientId));
    o->set("doctor_id", static_cast<Poco::Int64>(a.doctorId));
    o->set("service_id", static_cast<Poco::Int64>(a.serviceId));
    o->set("location_id", static_cast<Poco::Int64>(a.locationId));
    o->set("status", a.status);
    o->set("start_utc", static_cast<Poco::Int64>(a.startUtc));
    o->set("end_utc", static_cast<Poco::Int64>(a.endUtc));
    return o;
}

class ServicesTestPlugin : public Plugin {
public:
    std::string name() const override { return "servicestest"; }
    std::string version() const override { return "0.0.1"; }

    void start(Host& host) override
    {
        ServiceRegistry& services = host.services();
        Database& db = host.database();

        host.router().add({"GET", "/api/v1/servicestest/notes", Access::open(),
            [&services](Request& req) {
                auto notes = services.find<example::Notes>(example::kNotesService);
                if (!notes)
                    return missing(example::kNotesService, "example");
                auto out = makeObject();
                out->set("service", std::string(example::kNotesService));
                out->set("found", true);
                out->set("count", static_cast<Poco::Int64>(notes->count()));
                if (auto id = number(req, "id")) {
                    auto text = notes->text(*id);
                    out->set("text", text ? Poco::Dynamic::Var(*text) : Poco::Dynamic::Var());
                }
                return Response::json(out);
            },
            "test: what example.notes.v1 answers"});

        host.router().add({"GET", "/api/v1/servicestest/appointments/{id}", Access::open(),
            [&services](Request& req) {
                auto lookup
                    = services.find<scheduling::AppointmentLookup>(scheduling::kAppointmentLookupService);
                if (!lookup)
                    return missing(scheduling::kAppointmentLookupService, "scheduling");
                auto found = lookup->byId(req.idParam("id"));
                if (!found)
                    throw HttpError::notFound("no such appointment");
                return Response::json(toJson(*found));
            },
            "test: scheduling.appointments.v1 by id"});

        host.router().add({"GET", "/api/v1/servicestest/patients/{id}/appointments", Access::open(),
            [&services, &db](Request& req) {
                auto lookup
                    = services.find<scheduling::AppointmentLookup>(scheduling::kAppointmentLookupService);
                if (!lookup)
                    return missing(scheduling::kAppointmentLookupService, "scheduling");
                scheduling::AppointmentQuery query;
                query.patientId = req.idParam("id");
                query.status = req.query("status");
                query.fromUtc = number(req, "from");
                query.toUtc = number(req, "to");
                if (auto limit = number(req, "limit"))
                    query.limit = static_cast<std::size_t>(*limit);
                if (auto start = number(req, "after_start"))
                    query.after = scheduling::AppointmentCursor {*start, number(req, "after_id").value_or(0)};
                scheduling::AppointmentPage page;
                if (req.query("in_tx"))
                    db.transact([&](Transaction& tx) { page = lookup->byPatient(tx, query); });
                else
                    page = lookup->byPatient(query);
                Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
                for (const auto& a : page.items)
                    items->add(toJson(a));
                auto out = makeObject();
                out->set("items", items);
                if (page.next) {
                    auto next = makeObject();
                    next->set("after_start", static_cast<Poco::Int64>(page.next->startUtc));
                    next->set("after_id", static_cast<Poco::Int64>(page.next->id));
                    out->set("next", next);
                }
                return Response::json(out);
            },
            "test: scheduling.appointments.v1 by patient"});
    }
};

} // namespace

CLINIC_PLUGIN(ServicesTestPlugin)
