#include "SmsGateway.h"

#include <cstdint>
#include <map>
#include <memory>
#include <sstream>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/JSONString.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>
#include <Poco/URI.h>
#include <Poco/UTF8String.h>

#include "MailChannel.h"
#include "Templates.h"

namespace notifications {

namespace {

/// GSM 03.38 basic alphabet, as Unicode code points (the Latin ones).
bool gsmBasic(char32_t c)
{
    static const std::u32string basic = U"@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
                                        U"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    return basic.find(c) != std::u32string::npos;
}

bool gsmExtension(char32_t c)
{
    static const std::u32string ext = U"^{}\\[~]|€\f";
    return ext.find(c) != std::u32string::npos;
}

std::u32string decode(const std::string& s)
{
    std::u32string out;
    for (std::size_t i = 0; i < s.size();) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
        char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
        for (int k = 1; k < len && i + k < s.size(); ++k)
            cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
        out += cp;
        i += len;
    }
    return out;
}

std::string jsonString(const std::string& s)
{
    std::ostringstream out;
    Poco::JSON::Stringifier::formatString(s, out, Poco::JSON_WRAP_STRINGS);
    return out.str();
}

} // namespace

int smsSegments(const std::string& utf8)
{
    const std::u32string text = decode(utf8);
    if (text.empty())
        return 0;
    std::size_t septets = 0;
    bool gsm = true;
    for (char32_t c : text) {
        if (gsmBasic(c))
            septets += 1;
        else if (gsmExtension(c))
            septets += 2;
        else {
            gsm = false;
            break;
        }
    }
    if (gsm)
        return septets <= 160 ? 1 : static_cast<int>((septets + 152) / 153);
    // UCS-2 counts UTF-16 code units: a character beyond the BMP takes two.
    std::size_t units = 0;
    for (char32_t c : text)
        units += c > 0xFFFF ? 2 : 1;
    return units <= 70 ? 1 : static_cast<int>((units + 66) / 67);
}

SmsGateway::SmsGateway(SmsSettings settings)
    : _settings(std::move(settings))
{
}

std::string SmsGateway::send(std::int64_t outboxId, const std::string& to, const std::string& text) const
{
    using namespace Poco::Net;
    std::map<std::string, std::string> fields {{"to", jsonString(to)}, {"text", jsonString(text)},
        {"from", jsonString(_settings.from)}, {"id", jsonString(std::to_string(outboxId))}};
    const std::string body = MessageTemplates::render(_settings.body, fields, false);
    int status = 0;
    std::string answer;
    try {
        Poco::URI uri(_settings.url);
        std::unique_ptr<HTTPClientSession> session;
        if (uri.getScheme() == "https")
            session = std::make_unique<HTTPSClientSession>(uri.getHost(), uri.getPort());
        else
            session = std::make_unique<HTTPClientSession>(uri.getHost(), uri.getPort());
        session->setTimeout(Poco::Timespan(_settings.timeoutSeconds, 0));
        HTTPRequest request(_settings.method, uri.getPathAndQuery(), HTTPRequest::HTTP_1_1);
        request.setContentType(_settings.contentType);
        request.setContentLength(static_cast<std::streamsize>(body.size()));
        auto colon = _settings.authHeader.find(':');
        if (colon != std::string::npos)
            request.set(Poco::trim(_settings.authHeader.substr(0, colon)),
                Poco::trim(_settings.authHeader.substr(colon + 1)));
        session->sendRequest(request) << body;
        HTTPResponse response;
        std::istream& in = session->receiveResponse(response);
        Poco::StreamCopier::copyToString(in, answer);
        status = static_cast<int>(response.getStatus());
    } catch (const Poco::Exception& e) {
        throw DeliveryError("SMS gateway: " + e.displayText(), false);
    }
    if (status >= 500 || status == 429 || status == 408)
        throw DeliveryError("SMS gateway answered " + std::to_string(status), false);
    if (status >= 400)
        throw DeliveryError(
            "SMS gateway refused the message: " + std::to_string(status) + " " + answer.substr(0, 200), true);
    if (status < 200 || status >= 300)
        throw DeliveryError("SMS gateway answered " + std::to_string(status), false);
    try {
        Poco::JSON::Parser parser;
        auto json = parser.parse(answer).extract<Poco::JSON::Object::Ptr>();
        for (const char* key : {"id", "message_id", "sid"})
            if (json->has(key))
                return json->get(key).toString();
    } catch (const std::exception&) {
        // Not JSON: the message left, only its id is unknown.
    }
    return "";
}

} // namespace notifications
