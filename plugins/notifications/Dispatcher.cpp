#include "Dispatcher.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include <Poco/Environment.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "clinic/scheduling/Appointments.h"

namespace notifications {

namespace {

std::int64_t realMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string makeOwner()
{
    std::random_device rd;
    return Poco::Environment::nodeName().substr(0, 40) + ":" + std::to_string(::getpid()) + ":"
        + std::to_string(rd() % 100000000);
}

const char* const kStatuses[] = {"queued", "sending", "sent", "failed", "skipped"};

} // namespace

Dispatcher::Dispatcher(clinic::Host& host, DispatchSettings settings, MailSettings mail, SmsSettings sms)
    : _host(host)
    , _settings(settings)
    , _mail(std::move(mail))
    , _sms(std::move(sms))
    , _owner(makeOwner())
{
    _total = &prometheus::BuildCounter()
                  .Name("clinicd_notifications_total")
                  .Help("Notifications by channel (email, sms, in_app) and outcome (sent, failed, skipped,"
                        " retried)")
                  .Register(host.metrics());
    _depth = &prometheus::BuildGauge()
                  .Name("clinicd_notifications_outbox_messages")
                  .Help("Outbox messages by status")
                  .Register(host.metrics());
    _oldest = &prometheus::BuildGauge()
                   .Name("clinicd_notifications_oldest_queued_seconds")
                   .Help("How long the oldest due, queued message has waited (0: none)")
                   .Register(host.metrics())
                   .Add({});
    for (const char* channel : {"email", "sms", "in_app"})
        for (const char* outcome : {"sent", "failed", "skipped", "retried"})
            _total->Add({{"channel", channel}, {"outcome", outcome}});
    for (const char* status : kStatuses)
        _depth->Add({{"status", status}});
}

Dispatcher::~Dispatcher()
{
    stop();
}

std::int64_t Dispatcher::clockMs() const
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(_host.clock().now().time_since_epoch())
        .count();
}

void Dispatcher::start()
{
    _running = true;
    for (int i = 0; i < std::max(1, _settings.senders); ++i)
        _threads.emplace_back([this, i] { run(i); });
}

void Dispatcher::stop()
{
    if (!_running.exchange(false))
        return;
    wake();
    for (auto& t : _threads)
        if (t.joinable())
            t.join();
    _threads.clear();
}

void Dispatcher::wake()
{
    {
        std::lock_guard<std::mutex> lock(_mutex);
        ++_wakes;
    }
    _wakeup.notify_all();
}

void Dispatcher::count(const std::string& channel, const std::string& outcome)
{
    _total->Add({{"channel", channel}, {"outcome", outcome}}).Increment();
}

void Dispatcher::run(int index)
{
    MailChannel mail(_mail);
    auto lastGauges = std::chrono::steady_clock::time_point();
    while (_running) {
        std::uint64_t seen;
        {
            std::lock_guard<std::mutex> lock(_mutex);
            seen = _wakes;
        }
        std::vector<OutboxRow> rows;
        try {
            if (index == 0 && std::chrono::steady_clock::now() - lastGauges > std::chrono::seconds(5)) {
                updateGauges();
                lastGauges = std::chrono::steady_clock::now();
            }
            rows = Outbox::claim(_host.database(), _owner, _settings.batch, clockMs(), realMs(),
                static_cast<std::int64_t>(_settings.leaseSeconds) * 1000, _settings.maxAttempts);
        } catch (const std::exception& e) {
            _host.logger().error(std::string("outbox: cannot claim messages: ") + e.what());
        }
        // Outcomes are recorded together, one transaction for the messages
        // sent since the last record, at most a second apart: a crash before
        // the record leaves them sending, to be sent again with the same
        // Message-ID, which the lease already allowed for the whole batch.
        std::vector<Outbox::Finished> finished;
        finished.reserve(rows.size());
        auto lastRecord = std::chrono::steady_clock::now();
        for (const auto& row : rows) {
            if (!_running)
                break; // the lease expires and another sender takes it
            Outcome outcome;
            try {
                outcome = deliver(row, mail);
            } catch (const std::exception& e) {
                outcome = {"queued", e.what(), "", 0};
            }
            if (outcome.status == "queued") {
                if (row.attempts >= _settings.maxAttempts) {
                    outcome.status = "failed";
                } else {
                    double delay = std::min(_settings.backoffMaxSeconds,
                        _settings.backoffBaseSeconds * std::pow(2.0, std::max(0, row.attempts - 1)));
                    outcome.dueAt = clockMs() + static_cast<std::int64_t>(std::llround(delay * 1000));
                }
            }
            if (outcome.dueAt == 0)
                outcome.dueAt = row.dueAt;
            Outbox::Finished f;
            f.claimed = &row;
            f.status = outcome.status;
            f.error = outcome.error;
            f.providerId = outcome.providerId;
            f.dueAt = outcome.dueAt;
            finished.push_back(std::move(f));
            if (std::chrono::steady_clock::now() - lastRecord >= std::chrono::seconds(1)) {
                record(finished);
                lastRecord = std::chrono::steady_clock::now();
            }
        }
        record(finished);
        mail.close();
        if (rows.size() < static_cast<std::size_t>(_settings.batch)) {
            std::unique_lock<std::mutex> lock(_mutex);
            _wakeup.wait_for(lock, std::chrono::seconds(1), [&] { return !_running || _wakes != seen; });
        }
    }
}

void Dispatcher::record(std::vector<Outbox::Finished>& finished)
{
    if (finished.empty())
        return;
    try {
        Outbox::finishAll(_host.database(), finished, _owner, clockMs());
    } catch (const std::exception& e) {
        // The leases expire and the messages are sent again, with the same Message-ID.
        _host.logger().error(
            "outbox: cannot record the outcome of %z message(s): %s", finished.size(), std::string(e.what()));
        finished.clear();
        return;
    }
    for (const auto& f : finished) {
        const OutboxRow& row = *f.claimed;
        if (!f.recorded) {
            _host.logger().warning("outbox message %Ld: lease lost before its outcome was recorded",
                static_cast<long long>(row.id));
            continue;
        }
        // A transient failure that will be tried again counts as retried.
        count(row.channel, f.status == "queued" ? "retried" : f.status);
        if (f.status == "failed")
            _host.logger().warning("outbox message %Ld (%s to %s) failed: %s", static_cast<long long>(row.id),
                row.channel, row.recipient, f.error);
    }
    finished.clear();
}

std::string staleReason(clinic::Host& host, clinic::Transaction* tx, const std::string& kind,
    std::int64_t appointmentId, std::int64_t appointmentStart)
{
    if (appointmentId <= 0)
        return "";
    auto lookup = host.services().find<clinic::scheduling::AppointmentLookup>(
        clinic::scheduling::kAppointmentLookupService);
    if (!lookup)
        throw std::runtime_error("the scheduling plugin's appointment lookup is not available");
    auto a = tx ? lookup->byId(*tx, appointmentId) : lookup->byId(appointmentId);
    if (!a)
        return "the appointment no longer exists";
    if (kind == "appointment.cancelled")
        return a->status == "cancelled" ? "" : "the appointment is no longer cancelled";
    if (a->status == "cancelled")
        return "the appointment was cancelled";
    if (a->status == "completed" || a->status == "no_show" || a->status == "checked_in")
        return "the appointment is already " + a->status;
    if (appointmentStart && a->startUtc != appointmentStart)
        return "the appointment was moved";
    return "";
}

std::string Dispatcher::obsolete(const OutboxRow& row)
{
    return staleReason(_host, nullptr, row.kind, row.appointmentId, row.appointmentStart);
}

Dispatcher::Outcome Dispatcher::deliver(const OutboxRow& row, MailChannel& mail)
{
    const std::string why = obsolete(row);
    if (!why.empty())
        return {"skipped", why, "", 0};
    try {
        if (row.channel == "email") {
            if (!mail.configured())
                return {"skipped", "no SMTP server configured", "", 0};
            mail.send({row.id, row.createdAt, row.recipient, row.subject, row.text, row.html});
            return {"sent", "", mail.messageId({row.id, row.createdAt, "", "", "", ""}), 0};
        }
        if (row.channel == "sms") {
            if (!_sms.configured())
                return {"skipped", "no SMS gateway configured", "", 0};
            return {"sent", "", _sms.send(row.id, row.recipient, row.text), 0};
        }
        return {"failed", "unknown channel " + row.channel, "", 0};
    } catch (const DeliveryError& e) {
        return {e.permanent() ? "failed" : "queued", e.what(), "", 0};
    }
}

void Dispatcher::updateGauges()
{
    std::int64_t oldestDue = 0;
    auto depth = Outbox::depth(_host.database(), oldestDue);
    for (const char* status : kStatuses)
        _depth->Add({{"status", status}}).Set(static_cast<double>(depth[status]));
    const std::int64_t waited = oldestDue ? clockMs() - oldestDue : 0;
    _oldest->Set(waited > 0 ? static_cast<double>(waited) / 1000.0 : 0.0);
}

} // namespace notifications
