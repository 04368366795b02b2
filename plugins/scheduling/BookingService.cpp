// scheduling.booking.v1: another plugin's booking runs POST
// /api/v1/appointments's own handler, as that plugin's caller, so nothing
// about a booking (the occupancy key, before_book, audit, events, reminders,
// metrics) can differ between the two ways in.

#include "BookingService.h"

#include <Poco/JSON/Parser.h>

#include "AppointmentBookImpl.h"
#include "clinic/scheduling/Booking.h"

namespace scheduling {

class AppointmentBookingImpl : public clinic::scheduling::AppointmentBooking {
public:
    explicit AppointmentBookingImpl(std::shared_ptr<AppointmentBook::Impl> book)
        : _book(std::move(book))
    {
    }

    std::int64_t book(const clinic::Request& by, const clinic::scheduling::BookingRequest& booking) override
    {
        auto body = clinic::makeObject();
        body->set("patient_id", booking.patientId);
        body->set("doctor_id", booking.doctorId);
        body->set("service_id", booking.serviceId);
        body->set("start", booking.start);
        if (!booking.notes.empty())
            body->set("notes", booking.notes);
        // The request the caller would have sent to the API: the same caller,
        // request id, client address and access reason for the audit row.
        Request req;
        req.method = "POST";
        req.path = "/api/v1/appointments";
        req.routePattern = "/api/v1/appointments";
        req.headers = by.headers;
        req.body = clinic::toJson(body);
        req.requestId = by.requestId;
        req.clientAddress = by.clientAddress;
        req.caller = by.caller;
        const Response res = _book->book(req);
        return Poco::JSON::Parser().parse(res.body).extract<Poco::JSON::Object::Ptr>()->getValue<Poco::Int64>(
            "id");
    }

private:
    std::shared_ptr<AppointmentBook::Impl> _book;
};

void publishBooking(clinic::Host& host, std::shared_ptr<AppointmentBook::Impl> book)
{
    host.services().publish<clinic::scheduling::AppointmentBooking>(
        clinic::scheduling::kAppointmentBookingService,
        std::make_shared<AppointmentBookingImpl>(std::move(book)));
}

} // namespace scheduling
