#include "MailChannel.h"

#include <ctime>
#include <sstream>

#include <Poco/Base64Encoder.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SecureSMTPClientSession.h>

namespace notifications {

namespace {

std::string base64(const std::string& data, int lineLength)
{
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(lineLength);
    encoder << data;
    encoder.close();
    std::string raw = out.str(), crlf;
    // The encoder breaks lines with LF; a message's lines end in CRLF.
    for (char c : raw) {
        if (c == '\n')
            crlf += '\r';
        crlf += c;
    }
    return crlf;
}

bool plainAscii(const std::string& text)
{
    for (unsigned char c : text)
        if (c >= 0x80 || c == '\r' || c == '\n')
            return false;
    return true;
}

std::string address(const std::string& from)
{
    auto open = from.find('<');
    auto close = from.find('>', open == std::string::npos ? 0 : open);
    if (open == std::string::npos || close == std::string::npos)
        return from;
    return from.substr(open + 1, close - open - 1);
}

std::string rfc5322Date()
{
    char buf[64];
    std::time_t t = std::time(nullptr);
    std::tm tm {};
    gmtime_r(&t, &tm);
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    return buf;
}

/// POCO's session with TCP_NODELAY on its socket. SMTP is a dialogue of
/// short lines: with Nagle's algorithm a command written while the previous
/// one is unacknowledged waits for the server's delayed ACK (tens of
/// milliseconds), several times per message.
class SmtpSession : public Poco::Net::SecureSMTPClientSession {
public:
    using Poco::Net::SecureSMTPClientSession::SecureSMTPClientSession;
    void setNoDelay() { socket().setNoDelay(true); }
};

} // namespace

MailChannel::MailChannel(MailSettings settings)
    : _settings(std::move(settings))
{
}

MailChannel::~MailChannel()
{
    close();
}

std::string MailChannel::encodeHeader(const std::string& text)
{
    if (plainAscii(text))
        return text;
    // Encoded words of at most 75 characters (RFC 2047 section 2), each
    // holding whole UTF-8 characters: 45 bytes make 60 base64 characters.
    std::string out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = std::min(text.size(), pos + 45);
        while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
            --end;
        if (!out.empty())
            out += "\r\n ";
        out += "=?UTF-8?B?" + base64(text.substr(pos, end - pos), 0) + "?=";
        pos = end;
    }
    return out;
}

std::string MailChannel::messageId(const OutgoingMail& mail) const
{
    std::string from = address(_settings.from);
    auto at = from.find('@');
    std::string domain = at == std::string::npos ? "clinicd.localdomain" : from.substr(at + 1);
    return "<outbox." + std::to_string(mail.outboxId) + "." + std::to_string(mail.createdAtMs) + "@" + domain
        + ">";
}

std::string MailChannel::compose(const OutgoingMail& mail) const
{
    const std::string boundary = "=_clinicd_" + std::to_string(mail.outboxId) + "_alt";
    std::string m;
    m += "From: " + _settings.from + "\r\n";
    m += "To: " + mail.to + "\r\n";
    m += "Subject: " + encodeHeader(mail.subject) + "\r\n";
    m += "Date: " + rfc5322Date() + "\r\n";
    m += "Message-ID: " + messageId(mail) + "\r\n";
    m += "MIME-Version: 1.0\r\n";
    m += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n";
    auto part = [&](const std::string& type, const std::string& body) {
        m += "--" + boundary + "\r\n";
        m += "Content-Type: " + type + "; charset=UTF-8\r\n";
        m += "Content-Transfer-Encoding: base64\r\n\r\n";
        m += base64(body, 76) + "\r\n";
    };
    part("text/plain", mail.text);
    part("text/html", mail.html);
    m += "--" + boundary + "--\r\n";
    return m;
}

void MailChannel::open()
{
    using namespace Poco::Net;
    try {
        auto session
            = std::make_unique<SmtpSession>(_settings.host, static_cast<Poco::UInt16>(_settings.port));
        session->setNoDelay();
        _session = std::move(session);
        _session->setTimeout(Poco::Timespan(_settings.timeoutSeconds, 0));
        _session->login();
        if (_settings.starttls != "off") {
            Context::Ptr context = new Context(Context::CLIENT_USE, "", "", _settings.caFile,
                Context::VERIFY_RELAXED, 9, _settings.caFile.empty());
            if (_session->startTLS(context))
                _session->login(); // EHLO again, over TLS
            else if (_settings.starttls == "required")
                throw DeliveryError("the SMTP server does not offer STARTTLS, which is required", true);
        }
        if (!_settings.user.empty())
            authenticate();
    } catch (...) {
        _session.reset();
        throw;
    }
}

void MailChannel::authenticate()
{
    // Done here rather than by POCO's login(AUTH_LOGIN, ...), which expects
    // the server's challenges to read exactly "Username:" and "Password:";
    // servers word them as they like, and the answers do not depend on them.
    auto step = [this](const std::string& command, int expected) {
        std::string response;
        const int status = _session->sendCommand(command, response);
        if (status != expected)
            throw Poco::Net::SMTPException("authentication refused", response, status);
    };
    if (_settings.auth == "plain") {
        step("AUTH PLAIN "
                + base64(
                    std::string(1, '\0') + _settings.user + std::string(1, '\0') + _settings.password, 0),
            235);
        return;
    }
    step("AUTH LOGIN", 334);
    step(base64(_settings.user, 0), 334);
    step(base64(_settings.password, 0), 235);
}

void MailChannel::send(const OutgoingMail& mail)
{
    using namespace Poco::Net;
    if (mail.to.empty() || mail.to.find_first_of("\r\n<>") != std::string::npos)
        throw DeliveryError("not an e-mail address: " + mail.to, true);
    try {
        if (!_session)
            open();
        _session->sendAddresses(address(_settings.from), {mail.to});
        _session->sendData();
        std::istringstream body(compose(mail));
        _session->sendMessage(body);
    } catch (const DeliveryError&) {
        close();
        throw;
    } catch (const SMTPException& e) {
        // The server's reply code: 5xx is final, 4xx (and anything odd) may pass later.
        close();
        throw DeliveryError("SMTP " + e.displayText(), e.code() >= 500 && e.code() < 600);
    } catch (const Poco::Exception& e) {
        close(); // refused, timed out, TLS: the next try opens a new connection
        throw DeliveryError(e.displayText(), false);
    } catch (const std::exception& e) {
        close();
        throw DeliveryError(e.what(), false);
    }
}

void MailChannel::close()
{
    if (!_session)
        return;
    try {
        _session->close(); // QUIT
    } catch (...) {
        // The connection is going anyway.
    }
    _session.reset();
}

} // namespace notifications
