#pragma once

// What the files of AppointmentBook::Impl share: the appointment row, the
// answers several parts give alike, and the class itself. Internal to the
// scheduling plugin; Appointments.h is its face.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <Poco/Data/Session.h>
#include <Poco/JSON/Object.h>
#include <Poco/Tuple.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include "Appointments.h"
#include "Directory.h"
#include "DirectoryCache.h"
#include "SchedulingRules.h"
#include "TimeZone.h"
#include "clinic/Access.h"
#include "clinic/Host.h"
#include "clinic/Jobs.h"
#include "clinic/Json.h"
#include "clinic/Rules.h"
#include "clinic/records/PatientRegistry.h"

namespace scheduling {

using clinic::HttpError;
using clinic::PatientData;
using clinic::Request;
using clinic::Response;

/// Statuses that hold their time (have occupancy rows).
inline const std::set<std::string> kActive = {"pending", "confirmed", "checked_in"};

/// "YYYY-MM-DDTHH:MM:SS" of a local wall-clock time (seconds since the epoch
/// read as local).
std::string naiveLocal(std::int64_t local);
std::string dateText(std::int64_t day);
HttpError ruleRejected(const std::string& rule, const std::string& reason);
HttpError slotTaken(std::int64_t doctorId, const std::string& start);

// id, series_id, patient_id, doctor_id, service_id, location_id, start_utc,
// end_utc, status, notes, sequence, price_minor, currency, fee_minor,
// cancel_reason, created_at, updated_at
using ApptRow = Poco::Tuple<Poco::Int64, Poco::Int64, Poco::Int64, Poco::Int64, Poco::Int64, Poco::Int64,
    Poco::Int64, Poco::Int64, std::string, std::string, Poco::Int64, Poco::Int64, std::string, Poco::Int64,
    std::string, Poco::Int64, Poco::Int64>;
inline const char* const kApptColumns
    = "id, series_id, patient_id, doctor_id, service_id, location_id, start_utc,"
      " end_utc, status, notes, sequence, price_minor, currency, fee_minor,"
      " cancel_reason, created_at, updated_at";

struct Appointment {
    Poco::Int64 id = 0, seriesId = 0, patientId = 0, doctorId = 0, serviceId = 0, locationId = 0;
    Poco::Int64 startUtc = 0, endUtc = 0;
    std::string status = "pending", notes;
    Poco::Int64 sequence = 0, priceMinor = 0;
    std::string currency;
    Poco::Int64 feeMinor = 0;
    std::string cancelReason;
    Poco::Int64 createdAt = 0, updatedAt = 0;
    static Appointment from(const ApptRow& r)
    {
        Appointment a;
        a.id = r.get<0>();
        a.seriesId = r.get<1>();
        a.patientId = r.get<2>();
        a.doctorId = r.get<3>();
        a.serviceId = r.get<4>();
        a.locationId = r.get<5>();
        a.startUtc = r.get<6>();
        a.endUtc = r.get<7>();
        a.status = r.get<8>();
        a.notes = r.get<9>();
        a.sequence = r.get<10>();
        a.priceMinor = r.get<11>();
        a.currency = r.get<12>();
        a.feeMinor = r.get<13>();
        a.cancelReason = r.get<14>();
        a.createdAt = r.get<15>();
        a.updatedAt = r.get<16>();
        return a;
    }

    bool active() const { return kActive.count(status) > 0; }
};

class AppointmentBook::Impl : public clinic::CareRelationships {
public:
    explicit Impl(clinic::Host& host)
        : _host(host)
    {
    }

    void start();
    clinic::Host& host() { return _host; }
    Poco::JSON::Object::Ptr patientContext(std::int64_t patientId, std::optional<std::int64_t> atUtc);

    /// What ctx.patient needs, read once: the ctx without the age, the birth
    /// day and the zone whose date the age is taken on.
    struct PatientFacts {
        Poco::JSON::Object::Ptr ctx; ///< null: no such patient
        std::optional<std::int64_t> born;
        std::shared_ptr<const TimeZone> zone;
    };
    PatientFacts patientFacts(std::int64_t patientId);
    /// ctx.patient with the age at that instant.
    Poco::JSON::Object::Ptr patientAt(const PatientFacts& facts, std::optional<std::int64_t> atUtc);
    int slotMinutes(const BookingFacts& facts);
    int slotMinutes(const Poco::JSON::Object::Ptr& ctx, const Service& service);
    bool isPatientOf(std::int64_t doctorId, std::int64_t patientId) const override;
    DirectoryCache& directory() { return _directory; }

private:
    // scheduling.appointment_actions.v1 runs the patient's own confirm and cancel.
    friend class AppointmentActionsImpl;
    // scheduling.booking.v1 books through the API's own handler.
    friend class AppointmentBookingImpl;

    clinic::Host& _host;
    std::shared_ptr<clinic::records::PatientRegistry> _patients;
    prometheus::Counter* _created = nullptr;
    prometheus::Counter* _slotTaken = nullptr;
    prometheus::Counter* _ruleRejected = nullptr;
    prometheus::Counter* _invalid = nullptr;
    prometheus::Counter* _cancelled = nullptr;
    prometheus::Counter* _noShows = nullptr;
    prometheus::Gauge* _waiting = nullptr;
    std::vector<Reminder> _defaultReminders;
    std::int64_t _horizonDays = 366;
    std::int64_t nowSeconds() const;

    // ---- reading ------------------------------------------------------------

    std::optional<Appointment> findAppointment(
        Poco::Data::Session& s, Poco::Int64 id, bool forUpdate = false);
    std::shared_ptr<const TimeZone> zoneOf(Poco::Data::Session& s, Poco::Int64 locationId);

    /// The zone the clinic's dates are read in when no doctor says otherwise:
    /// that of its first location.
    std::shared_ptr<const TimeZone> clinicZone(Poco::Data::Session& s);
    Poco::JSON::Object::Ptr toJson(Poco::Data::Session& s, const Appointment& a);

    /// The caller may see (and act on) this appointment's patient. Another
    /// patient's appointment is 404, as if it did not exist.
    void requireAccess(Request& req, const Appointment& a, const std::string& action);

    /// The appointment for an {id} route, checked for access; 404 otherwise.
    Appointment loadFor(Request& req, const std::string& action);
    void audit(clinic::Transaction& tx, Request& req, const std::string& action, const Appointment& a);
    Poco::JSON::Object::Ptr eventPayload(const Appointment& a);

    // ---- placing a booking ----------------------------------------------------

    /// What a requested start resolves to, or why it cannot be booked.
    struct Placement {
        std::string error; ///< the reason, when it cannot be booked
        std::string errorCode = "VALIDATION_FAILED"; ///< or RULE_REJECTED
        Location location;
        std::shared_ptr<const TimeZone> zone;
        std::int64_t start = 0, end = 0;
        Poco::JSON::Object::Ptr ctx; ///< the booking ctx the rules saw (for the reminders plan)
    };

    /// Everything but the occupancy: working hours at some location, the
    /// slot length, the period's end, holidays, time off, the horizon and
    /// the before_book rule.
    Placement place(Poco::Data::Session& s, Request& req, const Doctor& doctor, const Service& service,
        const std::vector<Period>& hours, Poco::JSON::Object::Ptr patient, std::int64_t start,
        std::int64_t nowUtc, std::map<Poco::Int64, Location>& locations);
    clinic::RuleHelpers helpers();

    /// Writes the occupancy of [start, end) for the doctor in one
    /// statement (all rows or none); false if any cell is taken.
    bool occupy(clinic::Transaction& tx, Poco::Int64 doctorId, Poco::Int64 appointmentId, std::int64_t start,
        std::int64_t end);
    void release(clinic::Transaction& tx, Poco::Int64 appointmentId);

    /// Inserts the appointment row; a.id is set.
    void insertRow(clinic::Transaction& tx, Appointment& a, Poco::Int64 by);

    /// The reminder jobs and the booking notice for a committed-with-tx
    /// appointment. Keyed by appointment and sequence, so a rescheduled
    /// appointment gets its own set; a job finds its appointment moved or
    /// cancelled (sequence or status changed) and does nothing.
    /// The reminders rule's plan for a booking ctx, asked before the write
    /// transaction so the script does not run while the database is locked.
    std::vector<Reminder> reminderPlan(const Poco::JSON::Object::Ptr& ctx);
    void scheduleNotices(clinic::Transaction& tx, const Appointment& a, const std::string& what,
        const std::vector<Reminder>& reminders = {});

    // ---- the automatic no-show (NoShow.cpp) -----------------------------------

    /// The no_show_after rule's minutes after the start for a booking ctx
    /// (asked before the write transaction); none: never automatically.
    std::optional<int> noShowPlan(Poco::JSON::Object::Ptr ctx, const Appointment& a);
    /// Queues the appointment's no-show job for its current start and
    /// records when it is due (no_show_at), in tx. Keyed by appointment and
    /// start, so a moved appointment gets a job for its new start and the
    /// old one finds the start changed and does nothing.
    void scheduleNoShow(clinic::Transaction& tx, const Appointment& a, std::optional<int> minutes);
    /// The job: marks the appointment no_show through changeStatus if it is
    /// still pending or confirmed at the start the job was made for.
    void runNoShow(const clinic::Job& job, clinic::Transaction& tx);
    /// Plans the no-show of open appointments that have none (those booked
    /// before the automatic no-show existed), in batches.
    void planMissingNoShows();
    void queueNoShowPlanning(clinic::Transaction& tx, std::int64_t fromId, std::chrono::seconds after);
    void runNoShowPlanning(const clinic::Job& job, clinic::Transaction& tx);

    /// Offers a freed [start, end) of a doctor to the first matching
    /// waitlist entry, in tx.
    void offerFreedSlot(clinic::Transaction& tx, const Appointment& a);
    void refreshWaiting();

    // ---- handlers -------------------------------------------------------------

    struct BookingInput {
        Poco::Int64 patientId = 0, doctorId = 0, serviceId = 0;
        std::int64_t start = 0;
        std::string startText, notes;
        Poco::JSON::Object::Ptr recurrence;
    };
    std::int64_t readStart(clinic::FieldReader& in, const std::string& field, std::string& text);
    Response book(Request& req);
    Response bookSeries(Request& req, const BookingInput& in, const Doctor& doctor, const Service& service);
    Response list(Request& req);
    Response get(Request& req);
    Response ics(Request& req);
    Response doctorFeed(Request& req);
    Response transition(Request& req, const std::string& to);
    /// The status change itself, in tx, on a row read for update: the
    /// guarded UPDATE, the freed cells of a no-show, the audit row and the
    /// event. False (nothing written) when the row's status is no longer
    /// a.status.
    bool changeStatus(
        clinic::Transaction& tx, Request& req, Appointment& a, const std::string& to, std::int64_t nowUtc);
    Response cancel(Request& req);
    Response reschedule(Request& req);
    Response listWaitlist(Request& req);
    Response addWaitlist(Request& req);
    Response removeWaitlist(Request& req);
    Response dashboard(Request& req);
    /// GET /api/v1/doctors/{id}/stats (DoctorStats.cpp).
    Response doctorStats(Request& req);
    Response monthly(Request& req);
    std::string calendarText(
        Poco::Data::Session& s, const std::vector<Appointment>& items, const std::string& name);

    DirectoryCache _directory;
    std::mutex _zonesMutex;
    std::map<Poco::Int64, std::shared_ptr<const TimeZone>> _zones;
    std::atomic<Poco::Int64> _firstLocation {0};
};

} // namespace scheduling
