#include "Notices.h"

#include <chrono>
#include <cstdio>
#include <stdexcept>

#include <Poco/Data/Statement.h>
#include <date/date.h>
#include <date/tz.h>

#include "Dispatcher.h"
#include "Outbox.h"
#include "SmsGateway.h"
#include "SmsWebhook.h"
#include "clinic/Time.h"
#include "clinic/records/PatientRegistry.h"
#include "clinic/scheduling/Doctors.h"
#include "clinic/scheduling/Locations.h"

using namespace Poco::Data::Keywords;

namespace notifications {

namespace {

int minuteOfDay(const std::string& hhmm)
{
    int h = -1, m = -1;
    char tail = 0;
    if (std::sscanf(hhmm.c_str(), "%2d:%2d%c", &h, &m, &tail) != 2 || h < 0 || h > 23 || m < 0 || m > 59)
        throw std::invalid_argument("notifications.quiet_hours: \"" + hhmm + "\" is not HH:MM");
    return h * 60 + m;
}

std::string text(const Poco::JSON::Object::Ptr& o, const std::string& key)
{
    return o && o->has(key) && !o->isNull(key) ? o->get(key).toString() : std::string();
}

std::int64_t integer(const Poco::JSON::Object::Ptr& o, const std::string& key)
{
    if (!o || !o->has(key) || o->isNull(key))
        return 0;
    return o->get(key).convert<Poco::Int64>();
}

} // namespace

Preferences patientPreferences(clinic::Transaction& tx, std::int64_t patientId)
{
    Preferences p;
    Poco::Int64 patient = patientId;
    std::vector<int> email, sms, inApp;
    std::vector<std::string> language;
    tx.session() << "SELECT email, sms, in_app, language FROM notifications_preferences WHERE patient_id = ?"
                    " ORDER BY updated_at DESC, user_id",
        use(patient), into(email), into(sms), into(inApp), into(language), limit(1), now;
    if (!email.empty()) {
        p.email = email.front() != 0;
        p.sms = sms.front() != 0;
        p.inApp = inApp.front() != 0;
        p.language = language.front();
    }
    return p;
}

QuietHours::QuietHours(const std::string& spec, std::int64_t marginSeconds)
    : _marginSeconds(marginSeconds)
{
    if (spec.empty() || spec == "off")
        return;
    auto dash = spec.find('-');
    if (dash == std::string::npos)
        throw std::invalid_argument("notifications.quiet_hours: \"" + spec + "\" is not HH:MM-HH:MM");
    _startMinute = minuteOfDay(spec.substr(0, dash));
    _endMinute = minuteOfDay(spec.substr(dash + 1));
}

std::int64_t QuietHours::release(
    std::int64_t dueSec, std::int64_t deadlineSec, const date::time_zone* zone) const
{
    if (_startMinute < 0 || _startMinute == _endMinute)
        return dueSec;
    using namespace std::chrono;
    const auto local = zone->to_local(date::sys_seconds(seconds(dueSec)));
    const auto day = date::floor<date::days>(local);
    const int minute = static_cast<int>(duration_cast<minutes>(local - day).count());
    const bool wraps = _startMinute > _endMinute; // 21:00-08:00 spans midnight
    const bool quiet = wraps ? (minute >= _startMinute || minute < _endMinute)
                             : (minute >= _startMinute && minute < _endMinute);
    if (!quiet)
        return dueSec;
    auto endDay = day;
    if (wraps && minute >= _startMinute)
        endDay += date::days(1);
    // Local wall-clock arithmetic, so a night with a DST change still ends at
    // 08:00 local; an end inside a spring gap resolves to the later instant.
    const auto end = zone->to_sys(date::local_seconds(endDay) + minutes(_endMinute), date::choose::latest);
    const std::int64_t endSec = end.time_since_epoch().count();
    if (deadlineSec > 0 && endSec > deadlineSec - _marginSeconds)
        return dueSec; // held for the morning it would come too late to help: send now
    return endSec;
}

NoticeWriter::NoticeWriter(
    clinic::Host& host, MessageTemplates templates, Settings settings, Dispatcher& dispatcher)
    : _host(host)
    , _templates(std::move(templates))
    , _settings(std::move(settings))
    , _dispatcher(dispatcher)
    , _zone(date::locate_zone(_settings.timezone))
    , _quiet(_settings.quietHours, static_cast<std::int64_t>(_settings.quietMarginMinutes) * 60)
{
}

void NoticeWriter::registerHandlers()
{
    auto bind = [this](void (NoticeWriter::*fn)(const clinic::Job&, clinic::Transaction&)) {
        return [this, fn](const clinic::Job& job, clinic::Transaction& tx) { (this->*fn)(job, tx); };
    };
    _host.jobs().registerHandler("appointment.notice", bind(&NoticeWriter::appointmentNotice));
    _host.jobs().registerHandler("appointment.reminder", bind(&NoticeWriter::appointmentReminder));
    _host.jobs().registerHandler("waitlist.offer", bind(&NoticeWriter::waitlistOffer));
    _host.jobs().registerHandler("prescription.notice", bind(&NoticeWriter::prescriptionNotice));
}

void NoticeWriter::addTimes(std::map<std::string, std::string>& fields, std::int64_t startUtc,
    const std::string& language, const date::time_zone* zone)
{
    using namespace std::chrono;
    const auto local = zone->to_local(date::sys_seconds(seconds(startUtc)));
    fields["date"] = date::format(language == "ro" ? "%d.%m.%Y" : "%Y-%m-%d", local);
    fields["time"] = date::format("%H:%M", local);
}

const date::time_zone* NoticeWriter::zoneOf(clinic::Transaction& tx, std::int64_t locationId)
{
    if (locationId <= 0)
        return _zone;
    auto directory = _host.services().find<clinic::scheduling::LocationDirectory>(
        clinic::scheduling::kLocationDirectoryService);
    if (!directory)
        return _zone;
    auto location = directory->location(tx, locationId);
    if (!location || location->timezone.empty())
        return _zone;
    try {
        return date::locate_zone(location->timezone);
    } catch (const std::exception& e) {
        _host.logger().warning("location %Ld: time zone \"%s\" unknown here (%s); using %s",
            static_cast<long long>(locationId), location->timezone, std::string(e.what()),
            _settings.timezone);
        return _zone;
    }
}

std::int64_t NoticeWriter::doctorLocation(std::int64_t doctorId)
{
    if (doctorId <= 0)
        return 0;
    auto directory = _host.services().find<clinic::scheduling::DoctorDirectory>(
        clinic::scheduling::kDoctorDirectoryService);
    if (!directory)
        return 0;
    auto doctor = directory->doctor(doctorId);
    return doctor ? doctor->locationId : 0;
}

void NoticeWriter::appointmentNotice(const clinic::Job& job, clinic::Transaction& tx)
{
    const std::string what = text(job.payload, "notice");
    if (what != "booked" && what != "cancelled" && what != "rescheduled")
        throw std::invalid_argument("appointment.notice: unknown notice \"" + what + "\"");
    Notice n;
    n.kind = "appointment." + what;
    n.patientId = integer(job.payload, "patient_id");
    n.appointmentId = integer(job.payload, "appointment_id");
    n.appointmentStart = integer(job.payload, "start_utc");
    n.locationId = integer(job.payload, "location_id");
    n.channels = {"email", "in_app"};
    write(job, tx, std::move(n));
}

void NoticeWriter::appointmentReminder(const clinic::Job& job, clinic::Transaction& tx)
{
    Notice n;
    n.kind = "appointment.reminder";
    n.patientId = integer(job.payload, "patient_id");
    n.appointmentId = integer(job.payload, "appointment_id");
    n.appointmentStart = integer(job.payload, "start_utc");
    n.locationId = integer(job.payload, "location_id");
    const std::string channel = text(job.payload, "channel");
    n.channels = {channel == "sms" ? "sms" : "email"};
    write(job, tx, std::move(n));
}

void NoticeWriter::waitlistOffer(const clinic::Job& job, clinic::Transaction& tx)
{
    Notice n;
    n.kind = "waitlist.offer";
    n.patientId = integer(job.payload, "patient_id");
    n.appointmentStart = integer(job.payload, "start_utc");
    n.locationId = doctorLocation(integer(job.payload, "doctor_id"));
    n.fields["waitlist_id"] = std::to_string(integer(job.payload, "waitlist_id"));
    n.channels = {"email", "in_app"};
    write(job, tx, std::move(n));
}

void NoticeWriter::prescriptionNotice(const clinic::Job& job, clinic::Transaction& tx)
{
    const std::string what = text(job.payload, "what");
    if (what != "issued" && what != "cancelled" && what != "renewal_approved" && what != "renewal_declined")
        throw std::invalid_argument("prescription.notice: unknown what \"" + what + "\"");
    Notice n;
    n.kind = "prescription." + what;
    n.patientId = integer(job.payload, "patient_id");
    n.fields["prescription_id"] = std::to_string(integer(job.payload, "prescription_id"));
    n.fields["summary"] = text(job.payload, "summary");
    n.fields["doctor_name"] = text(job.payload, "doctor_name");
    n.channels = {"email", "in_app"};
    write(job, tx, std::move(n));
}

void NoticeWriter::write(const clinic::Job& job, clinic::Transaction& tx, Notice n)
{
    if (n.patientId <= 0)
        throw std::invalid_argument(job.kind + ": the payload names no patient_id");
    auto registry
        = _host.services().find<clinic::records::PatientRegistry>(clinic::records::kPatientRegistryService);
    if (!registry)
        throw std::runtime_error("the records plugin's patient registry is not available");
    auto patient = registry->profile(n.patientId);
    const Preferences prefs = patientPreferences(tx, n.patientId);
    std::string language = prefs.language.empty() ? text(patient, "language") : prefs.language;
    if (language != "en" && language != "ro")
        language = _settings.defaultLanguage;

    n.fields["patient_first_name"] = text(patient, "first_name");
    n.fields["patient_last_name"] = text(patient, "last_name");
    n.fields["clinic_name"] = _settings.clinicName;
    if (n.appointmentId)
        n.fields["appointment_id"] = std::to_string(n.appointmentId);
    const date::time_zone* zone = zoneOf(tx, n.locationId);
    if (n.appointmentStart)
        addTimes(n.fields, n.appointmentStart, language, zone);

    // A message already pointless when written (the appointment cancelled or
    // moved before this job ran) is written as skipped, so the outbox says why.
    std::string stale = patient ? "" : "no patient record " + std::to_string(n.patientId);
    if (stale.empty())
        stale = staleReason(_host, &tx, n.kind, n.appointmentId, n.appointmentStart);

    const std::int64_t nowMs
        = std::chrono::duration_cast<std::chrono::milliseconds>(_host.clock().now().time_since_epoch())
              .count();
    std::vector<std::pair<std::string, std::string>> counted; // channel, outcome
    for (const auto& channel : n.channels) {
        OutboxRow row;
        row.dedupKey = "job:" + std::to_string(job.id) + ":" + channel;
        row.kind = n.kind;
        row.channel = channel;
        row.language = language;
        row.patientId = n.patientId;
        row.appointmentId = n.appointmentId;
        row.appointmentStart = n.appointmentStart;
        row.dueAt = nowMs;
        row.createdAt = nowMs;
        std::string skip = stale;
        if (channel == "email") {
            const auto m = _templates.email(n.kind, language, n.fields);
            row.subject = m.subject;
            row.text = m.text;
            row.html = m.html;
            row.recipient = text(patient, "email");
            if (skip.empty() && !prefs.email)
                skip = "e-mail is turned off in the patient's preferences";
            if (skip.empty() && row.recipient.empty())
                skip = "the patient has no e-mail address";
        } else if (channel == "sms") {
            const auto m = _templates.sms(n.kind, language, n.fields);
            row.subject = m.subject;
            row.text = m.text;
            row.segments = smsSegments(m.text);
            row.recipient = normalizePhone(text(patient, "phone"));
            if (skip.empty() && !prefs.sms)
                skip = "SMS is turned off in the patient's preferences";
            if (skip.empty() && row.recipient.empty())
                skip = "the patient has no phone number";
            const std::int64_t due = _quiet.release(nowMs / 1000, n.appointmentStart, zone);
            if (due * 1000 > nowMs)
                row.dueAt = due * 1000;
        } else {
            const auto m = _templates.email(n.kind, language, n.fields);
            row.subject = m.subject;
            row.text = m.text;
            row.recipient = "patient:" + std::to_string(n.patientId);
            if (skip.empty() && !prefs.inApp)
                skip = "in-app notifications are turned off in the patient's preferences";
            if (skip.empty()) {
                // In-app is delivered by being written: the inbox row commits with the job.
                std::string key = row.dedupKey, kind = n.kind, subject = m.subject, body = m.text;
                Poco::Int64 patientId = n.patientId, at = nowMs;
                tx.session() << (tx.dialect() == clinic::Dialect::SQLite ? "INSERT OR IGNORE"
                                                                         : "INSERT IGNORE")
                        + std::string(" INTO notifications_inbox (dedup_key, patient_id, kind, subject, body,"
                                      " created_at) VALUES (?, ?, ?, ?, ?, ?)"),
                    use(key), use(patientId), use(kind), use(subject), use(body), use(at), now;
                row.status = "sent";
                row.sentAt = nowMs;
            }
        }
        if (!skip.empty()) {
            row.status = "skipped";
            row.lastError = skip;
        }
        if (Outbox::add(tx, row) && row.status != "queued")
            counted.emplace_back(channel, row.status);
    }
    tx.afterCommit([this, counted] {
        for (const auto& [channel, outcome] : counted)
            _dispatcher.count(channel, outcome);
        _dispatcher.wake();
    });
}

} // namespace notifications
