// The notifications plugin: every confirmation, reminder and offer the other
// plugins queue becomes outbox rows (e-mail, SMS, in-app) in the patient's
// language, sent once by the senders, with what happened kept per message.

#include <fstream>
#include <memory>
#include <sstream>

#include <Poco/File.h>
#include <Poco/String.h>

#include "Dispatcher.h"
#include "Notices.h"
#include "NotificationRoutes.h"
#include "Outbox.h"
#include "SmsWebhook.h"
#include "clinic/Host.h"
#include "clinic/Plugin.h"

namespace {

/// A secret kept in a file (password, auth header, webhook secret), without
/// the trailing line break editors add.
std::string readSecret(const std::string& path, const std::string& key)
{
    if (path.empty())
        return "";
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error(key + ": cannot read " + path);
    std::ostringstream out;
    out << in.rdbuf();
    std::string s = out.str();
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r'))
        s.pop_back();
    return s;
}

class NotificationsPlugin : public clinic::Plugin {
public:
    std::string name() const override { return "notifications"; }
    std::string version() const override { return "1.0.0"; }
    std::vector<std::string> dependencies() const override { return {"records"}; }
    std::vector<std::string> urlPrefixes() const override
    {
        return {"/api/v1/notifications", "/api/v1/notification-preferences", "/api/v1/outbox"};
    }
    std::vector<clinic::Migration> migrations() const override { return notifications::Outbox::migrations(); }

    void start(clinic::Host& host) override
    {
        const auto& c = host.config();
        notifications::MailSettings mail;
        mail.host = c.getString("notifications.smtp.host", "");
        mail.port = c.getInt("notifications.smtp.port", 25);
        mail.from = c.getString("notifications.smtp.from", "clinicd@localhost");
        mail.starttls = c.getString("notifications.smtp.starttls", "auto");
        if (mail.starttls != "auto" && mail.starttls != "required" && mail.starttls != "off")
            throw std::invalid_argument("notifications.smtp.starttls must be auto, required or off");
        mail.user = c.getString("notifications.smtp.user", "");
        mail.password = readSecret(
            c.getString("notifications.smtp.password_file", ""), "notifications.smtp.password_file");
        mail.auth = c.getString("notifications.smtp.auth", "login");
        if (mail.auth != "login" && mail.auth != "plain")
            throw std::invalid_argument("notifications.smtp.auth must be login or plain");
        mail.caFile = c.getString("notifications.smtp.ca_file", "");
        mail.timeoutSeconds = c.getInt("notifications.smtp.timeout_seconds", 30);

        notifications::SmsSettings sms;
        sms.url = c.getString("notifications.sms.url", "");
        sms.method = c.getString("notifications.sms.method", "POST");
        sms.authHeader = readSecret(
            c.getString("notifications.sms.auth_header_file", ""), "notifications.sms.auth_header_file");
        sms.body = c.getString("notifications.sms.body", sms.body);
        sms.contentType = c.getString("notifications.sms.content_type", sms.contentType);
        sms.from = c.getString("notifications.sms.from", "");
        sms.timeoutSeconds = c.getInt("notifications.sms.timeout_seconds", 10);

        notifications::DispatchSettings dispatch;
        dispatch.senders = c.getInt("notifications.senders", 2);
        dispatch.batch = c.getInt("notifications.batch", 20);
        dispatch.leaseSeconds = c.getInt("notifications.lease_seconds", 60);
        dispatch.maxAttempts = c.getInt("notifications.max_attempts", 6);
        dispatch.backoffBaseSeconds = c.getDouble("notifications.backoff_seconds", 30);
        if (dispatch.senders < 1 || dispatch.batch < 1 || dispatch.leaseSeconds < 1
            || dispatch.maxAttempts < 1)
            throw std::invalid_argument(
                "notifications.senders, .batch, .lease_seconds and .max_attempts must be positive");

        notifications::NoticeWriter::Settings notices;
        notices.timezone = c.getString("notifications.timezone", notices.timezone);
        notices.quietHours = c.getString("notifications.quiet_hours", notices.quietHours);
        notices.quietMarginMinutes
            = c.getInt("notifications.quiet_hours_margin_minutes", notices.quietMarginMinutes);
        if (notices.quietMarginMinutes < 0)
            throw std::invalid_argument("notifications.quiet_hours_margin_minutes must not be negative");
        notices.clinicName = c.getString("notifications.clinic_name", notices.clinicName);
        notices.defaultLanguage = c.getString("notifications.default_language", notices.defaultLanguage);

        std::string shipped = Poco::File(NOTIFICATIONS_TEMPLATES_INSTALLED).exists()
            ? NOTIFICATIONS_TEMPLATES_INSTALLED
            : NOTIFICATIONS_TEMPLATES_SOURCE;
        notifications::MessageTemplates templates(
            c.getString("notifications.templates_dir", "/etc/clinicd/notifications/templates"), shipped);

        const std::string webhookSecret = readSecret(c.getString("notifications.sms.webhook_secret_file", ""),
            "notifications.sms.webhook_secret_file");

        _dispatcher = std::make_unique<notifications::Dispatcher>(host, dispatch, mail, sms);
        _notices = std::make_unique<notifications::NoticeWriter>(host, templates, notices, *_dispatcher);
        _notices->registerHandlers();
        notifications::addInboxRoutes(host);
        notifications::addOutboxRoutes(host, *_dispatcher);
        notifications::addSmsWebhook(host, webhookSecret);
        if (mail.host.empty())
            host.logger().information(
                "no SMTP server configured (notifications.smtp.host): e-mail is skipped");
        _dispatcher->start();
    }

    void stop() override
    {
        if (_dispatcher)
            _dispatcher->stop();
    }

private:
    std::unique_ptr<notifications::Dispatcher> _dispatcher;
    std::unique_ptr<notifications::NoticeWriter> _notices;
};

} // namespace

CLINIC_PLUGIN(NotificationsPlugin)
