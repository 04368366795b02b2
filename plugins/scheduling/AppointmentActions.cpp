// scheduling.appointment_actions.v1: a patient's confirm or cancel that
// arrives outside the HTTP API runs the API's own handlers, as that patient.

#include "AppointmentActions.h"

#include "AppointmentBookImpl.h"
#include "clinic/scheduling/AppointmentActions.h"

namespace scheduling {

class AppointmentActionsImpl : public clinic::scheduling::AppointmentActions {
public:
    explicit AppointmentActionsImpl(std::shared_ptr<AppointmentBook::Impl> book)
        : _book(std::move(book))
    {
    }

    clinic::scheduling::ActionResult confirmByPatient(
        std::int64_t appointmentId, const std::string& via) override
    {
        return act(appointmentId, via, "confirm", "",
            [this](Request& req) { return _book->transition(req, "confirmed"); });
    }

    clinic::scheduling::ActionResult cancelByPatient(
        std::int64_t appointmentId, const std::string& reason, const std::string& via) override
    {
        auto body = clinic::makeObject();
        body->set("reason", reason);
        return act(appointmentId, via, "cancel", clinic::toJson(body),
            [this](Request& req) { return _book->cancel(req); });
    }

private:
    template<class Fn>
    clinic::scheduling::ActionResult act(
        std::int64_t appointmentId, const std::string& via, const std::string& what, std::string body, Fn fn)
    {
        clinic::scheduling::ActionResult out;
        auto s = _book->host().database().session();
        auto a = _book->findAppointment(s, appointmentId);
        if (!a) {
            out.errorCode = "NOT_FOUND";
            out.message = "no such appointment";
            return out;
        }
        // The request the patient would have sent, made by the patient.
        Request req;
        req.method = "POST";
        req.path = "/api/v1/appointments/" + std::to_string(appointmentId) + "/" + what;
        req.routePattern = "/api/v1/appointments/{id}/" + what;
        req.pathParams["id"] = std::to_string(appointmentId);
        req.body = std::move(body);
        req.requestId = via + "-reply";
        req.clientAddress = via;
        req.caller.authenticated = true;
        req.caller.role = "patient";
        req.caller.username = via;
        req.caller.patientId = a->patientId;
        try {
            fn(req);
            out.done = true;
        } catch (const HttpError& e) {
            out.errorCode = e.code();
            out.message = e.what();
        }
        auto after = _book->findAppointment(s, appointmentId);
        out.status = after ? after->status : a->status;
        return out;
    }

    std::shared_ptr<AppointmentBook::Impl> _book;
};

std::shared_ptr<clinic::scheduling::AppointmentActions> makeAppointmentActions(
    std::shared_ptr<AppointmentBook::Impl> book)
{
    return std::make_shared<AppointmentActionsImpl>(std::move(book));
}

} // namespace scheduling
