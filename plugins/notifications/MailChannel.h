#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

namespace Poco::Net {
class SecureSMTPClientSession;
}

namespace notifications {

/// Why a message did not leave: a transient error is retried with backoff,
/// a permanent one ends the message as failed.
class DeliveryError : public std::runtime_error {
public:
    DeliveryError(const std::string& what, bool permanent)
        : std::runtime_error(what)
        , _permanent(permanent)
    {
    }
    bool permanent() const { return _permanent; }

private:
    bool _permanent;
};

/// The SMTP server and how to talk to it (notifications.smtp.*).
struct MailSettings {
    std::string host; ///< empty: no SMTP server configured, e-mail is skipped
    int port = 25;
    /// The envelope sender and From header: "noreply@clinic.example" or
    /// "Clinica <noreply@clinic.example>".
    std::string from = "clinicd@localhost";
    std::string starttls = "auto"; ///< auto, required or off
    std::string user; ///< empty: no AUTH
    std::string password;
    std::string auth = "login"; ///< login or plain
    /// CA certificates to verify the server's (empty: the system's).
    std::string caFile;
    int timeoutSeconds = 30;
};

/// One e-mail as it leaves: the outbox row's id and creation time make its
/// Message-ID, so a resend after a crash carries the same one.
struct OutgoingMail {
    std::int64_t outboxId = 0;
    std::int64_t createdAtMs = 0;
    std::string to;
    std::string subject;
    std::string text;
    std::string html;
};

/// E-mail over SMTP (POCO Net and NetSSL). A connection is opened on the first
/// send and reused for the next ones until close() or an error, so a burst of
/// reminders does not pay a handshake each. Not thread-safe: one per sender.
class MailChannel {
public:
    explicit MailChannel(MailSettings settings);
    ~MailChannel();
    MailChannel(const MailChannel&) = delete;
    MailChannel& operator=(const MailChannel&) = delete;

    bool configured() const { return !_settings.host.empty(); }
    /// Hands the message to the server; throws DeliveryError.
    void send(const OutgoingMail& mail);
    void close();

    /// <outbox.ID.CREATED@DOMAIN>, DOMAIN from the sender's address.
    std::string messageId(const OutgoingMail& mail) const;
    /// The whole message (headers, a text and an HTML part), CRLF line ends.
    std::string compose(const OutgoingMail& mail) const;
    /// A header value as RFC 2047 encoded words when it is not plain ASCII.
    static std::string encodeHeader(const std::string& text);

private:
    void open();
    void authenticate();

    MailSettings _settings;
    std::unique_ptr<Poco::Net::SecureSMTPClientSession> _session;
};

} // namespace notifications
