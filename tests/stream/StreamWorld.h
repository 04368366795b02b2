#pragma once

// A clinic for the stream suites: the real clinicd with records and
// scheduling, its accounts, two patients, and a doctor who works every day,
// so each test can book fresh slots without colliding with another's.

#include <cstdint>
#include <memory>
#include <string>

#include "ClinicFixture.h"
#include "StreamClient.h"

namespace clinic::test {

/// January 2027 starts the daemon's clock: slots are fixed dates.
Daemon::Options streamDaemonOptions();

class StreamWorld {
public:
    explicit StreamWorld(ClinicFixture::Options options);

    ClinicFixture& clinic() { return *_clinic; }
    /// The second patient (not the "patient" account's).
    std::int64_t otherPatient() const { return _otherPatient; }
    /// The patient record behind the "patient" account.
    std::int64_t patientAccountRecord() const { return _clinic->patient(); }
    std::int64_t doctor() const { return _doctor; }
    std::int64_t service() const { return _service; }

    /// The next free 15-minute slot's start (RFC 3339, Bucharest).
    std::string nextSlot();
    /// POST /api/v1/appointments as the receptionist (through daemon d's
    /// client when given); the new appointment's id.
    std::int64_t book(std::int64_t patient, const std::string& notes = "", HttpClient* via = nullptr);
    /// The change-log id of the booking of appointment (0 if none).
    std::int64_t changeIdOfBooking(std::int64_t appointment);

private:
    std::unique_ptr<ClinicFixture> _clinic;
    std::int64_t _otherPatient = 0;
    std::int64_t _doctor = 0;
    std::int64_t _service = 0;
    int _nextSlot = 0;
};

/// The ids of the events that carry one, in arrival order.
std::vector<std::int64_t> idsOf(const std::vector<StreamEvent>& events);
/// data.appointment_id of each appointment.booked event, in arrival order.
std::vector<std::int64_t> bookedAppointments(const std::vector<StreamEvent>& events);

} // namespace clinic::test
