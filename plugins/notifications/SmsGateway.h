#pragma once

#include <cstdint>
#include <string>

namespace notifications {

/// How many SMS parts a text takes. GSM-7 when every character is in the
/// GSM 03.38 alphabet (extension characters such as € count twice): 160 in
/// one part, 153 per part beyond. Otherwise UCS-2, where Romanian ș and ț
/// (comma below) land: 70 in one part, 67 per part beyond.
int smsSegments(const std::string& utf8);

/// The generic HTTP gateway (notifications.sms.*): a request per message to
/// url, with the auth header read from a file and the body from a template
/// ({{to}}, {{text}}, {{from}}, {{id}} as JSON strings). The gateway's answer
/// names the message: the first of "id", "message_id", "sid" in its JSON.
struct SmsSettings {
    std::string url; ///< empty: no gateway configured, SMS is skipped
    std::string method = "POST";
    std::string authHeader; ///< "Authorization: Bearer ..." as read from the file
    std::string body = R"({"to":{{to}},"text":{{text}},"from":{{from}},"reference":{{id}}})";
    std::string contentType = "application/json";
    std::string from;
    int timeoutSeconds = 10;
};

class SmsGateway {
public:
    explicit SmsGateway(SmsSettings settings);
    bool configured() const { return !_settings.url.empty(); }
    /// Hands the text to the gateway; the provider's id. Throws DeliveryError:
    /// permanent on 4xx, transient on 5xx, a refused connection or a timeout.
    std::string send(std::int64_t outboxId, const std::string& to, const std::string& text) const;

private:
    SmsSettings _settings;
};

} // namespace notifications
