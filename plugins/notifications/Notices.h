#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "Templates.h"
#include "clinic/Host.h"

namespace date {
class time_zone;
}

namespace notifications {

class Dispatcher;

/// What a user chose (notifications_preferences); the defaults when no row.
struct Preferences {
    bool email = true;
    bool sms = true;
    bool inApp = true;
    std::string language; ///< empty: the patient record's
};

/// Reads the preferences of the user linked to a patient record, in tx.
Preferences patientPreferences(clinic::Transaction& tx, std::int64_t patientId);

/// SMS quiet hours (notifications.quiet_hours, "21:00-08:00"), read as wall
/// clock time at the appointment's location.
class QuietHours {
public:
    /// marginSeconds: how long before the appointment a message held for
    /// the morning must still arrive to be of use.
    QuietHours(const std::string& spec, std::int64_t marginSeconds);
    /// When a message due at dueSec may go, in zone: dueSec outside the
    /// quiet hours, else their end; but dueSec (at once) when their end
    /// would leave less than the margin before deadlineSec (the appointment
    /// it is about, 0: none), since a reminder held past that is useless.
    std::int64_t release(std::int64_t dueSec, std::int64_t deadlineSec, const date::time_zone* zone) const;

private:
    int _startMinute = -1; ///< -1: no quiet hours
    int _endMinute = -1;
    std::int64_t _marginSeconds = 0;
};

/// Turns the jobs other plugins queue (appointment.notice,
/// appointment.reminder, waitlist.offer, prescription.notice) into outbox
/// rows: one per channel, rendered in the patient's language, in the job's
/// own transaction, so a job run twice writes them once.
class NoticeWriter {
public:
    struct Settings {
        std::string timezone = "Europe/Bucharest";
        std::string quietHours = "21:00-08:00";
        int quietMarginMinutes = 60;
        std::string clinicName = "clinicd";
        std::string defaultLanguage = "en";
    };

    NoticeWriter(clinic::Host& host, MessageTemplates templates, Settings settings, Dispatcher& dispatcher);
    void registerHandlers();

private:
    /// One message to the patient, over channels.
    struct Notice {
        std::string kind;
        std::int64_t patientId = 0;
        std::int64_t appointmentId = 0;
        std::int64_t appointmentStart = 0; ///< UTC seconds; also the SMS quiet-hours deadline
        std::int64_t locationId = 0; ///< whose time zone the message's times are in
        std::map<std::string, std::string> fields;
        std::vector<std::string> channels;
    };

    void appointmentNotice(const clinic::Job& job, clinic::Transaction& tx);
    void appointmentReminder(const clinic::Job& job, clinic::Transaction& tx);
    void waitlistOffer(const clinic::Job& job, clinic::Transaction& tx);
    void prescriptionNotice(const clinic::Job& job, clinic::Transaction& tx);
    void write(const clinic::Job& job, clinic::Transaction& tx, Notice notice);
    void addTimes(std::map<std::string, std::string>& fields, std::int64_t startUtc,
        const std::string& language, const date::time_zone* zone);
    /// The location's IANA zone (scheduling.locations.v1), else
    /// notifications.timezone when the location, its zone or scheduling is unknown.
    const date::time_zone* zoneOf(clinic::Transaction& tx, std::int64_t locationId);
    /// The location a doctor belongs to (scheduling.doctors.v1), 0 if unknown.
    std::int64_t doctorLocation(std::int64_t doctorId);

    clinic::Host& _host;
    MessageTemplates _templates;
    Settings _settings;
    Dispatcher& _dispatcher;
    const date::time_zone* _zone;
    QuietHours _quiet;
};

} // namespace notifications
