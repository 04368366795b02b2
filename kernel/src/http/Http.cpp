#include "clinic/Http.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include <Poco/Exception.h>
#include <Poco/JSON/JSONException.h>
#include <Poco/JSON/Parser.h>
#include <Poco/TextIterator.h>
#include <Poco/UTF8Encoding.h>

#include "clinic/Json.h"

namespace clinic {

namespace {

bool isUtf8(const std::string& text)
{
    Poco::UTF8Encoding utf8;
    for (Poco::TextIterator it(text, utf8), end(text); it != end; ++it)
        if (*it < 0)
            return false;
    return true;
}

/// Poco 1.11's parser refuses a bare scalar ("text", 12, null) at the top
/// level, which RFC 8259 allows: tell such a body apart from broken JSON.
bool isJsonScalar(const std::string& body)
{
    try {
        Poco::JSON::Parser parser;
        auto wrapped = parser.parse("[" + body + "]").extract<Poco::JSON::Array::Ptr>();
        return wrapped && wrapped->size() == 1;
    } catch (const std::exception&) {
        return false;
    }
}

} // namespace

const std::string& Request::param(const std::string& name) const
{
    auto it = pathParams.find(name);
    if (it == pathParams.end())
        throw std::logic_error("route " + routePattern + " has no parameter " + name);
    return it->second;
}

std::int64_t Request::idParam(const std::string& name) const
{
    const std::string& text = param(name);
    if (text.empty() || text.size() > 18 || !std::all_of(text.begin(), text.end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c));
        }))
        throw HttpError::notFound("no such " + name);
    std::int64_t id = std::stoll(text);
    if (id <= 0)
        throw HttpError::notFound("no such " + name);
    return id;
}

std::optional<std::string> Request::query(const std::string& name) const
{
    auto it = queryParams.find(name);
    if (it == queryParams.end())
        return std::nullopt;
    return it->second;
}

std::optional<std::int64_t> Request::queryInt(const std::string& name, std::int64_t min, std::int64_t max,
    std::map<std::string, std::string>& errors) const
{
    auto text = query(name);
    if (!text)
        return std::nullopt;
    // 18 digits always fit an int64; a longer number is out of any range we take.
    const bool digits = !text->empty() && text->size() <= 18
        && std::all_of(text->begin(), text->end(), [](char c) { return c >= '0' && c <= '9'; });
    const std::int64_t value = digits ? std::stoll(*text) : 0;
    if (!digits || value < min || value > max) {
        errors[name] = max >= 999999999999999999LL
            ? "must be a whole number of at least " + std::to_string(min)
            : "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max);
        return std::nullopt;
    }
    return value;
}

std::optional<std::int64_t> Request::queryInt(
    const std::string& name, std::int64_t min, std::int64_t max) const
{
    std::map<std::string, std::string> errors;
    auto value = queryInt(name, min, max, errors);
    if (!errors.empty())
        throw HttpError::validation(errors);
    return value;
}

std::optional<std::string> Request::header(const std::string& name) const
{
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
        [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto it = headers.find(lower);
    if (it == headers.end())
        return std::nullopt;
    return it->second;
}

Poco::JSON::Object::Ptr Request::jsonObject() const
{
    Poco::Dynamic::Var parsed;
    try {
        Poco::JSON::Parser parser;
        parsed = parser.parse(body);
    } catch (const std::exception&) {
        // Poco's parser refuses both of these as malformed, but a client
        // sent well-formed JSON with a bad value: that is a 422.
        if (!isUtf8(body))
            throw HttpError::validation({{"body", "must be valid UTF-8"}});
        if (isJsonScalar(body))
            throw HttpError::validation({{"body", "must be a JSON object"}});
        throw HttpError(400, "MALFORMED_JSON", "the request body is not valid JSON");
    }
    if (parsed.type() != typeid(Poco::JSON::Object::Ptr))
        throw HttpError::validation({{"body", "must be a JSON object"}});
    return parsed.extract<Poco::JSON::Object::Ptr>();
}

Response Response::json(const Poco::JSON::Object::Ptr& object, int status)
{
    Response r;
    r.status = status;
    r.body = toJson(object);
    return r;
}

Response Response::json(const Poco::JSON::Array::Ptr& array, int status)
{
    Response r;
    r.status = status;
    r.body = toJson(array);
    return r;
}

Response Response::text(std::string body, std::string contentType, int status)
{
    Response r;
    r.status = status;
    r.body = std::move(body);
    r.contentType = std::move(contentType);
    return r;
}

Response Response::noContent()
{
    Response r;
    r.status = 204;
    r.contentType.clear();
    return r;
}

Response Response::stream(std::function<void(std::shared_ptr<EventStream>)> onOpen)
{
    Response r;
    r.contentType = "text/event-stream; charset=utf-8";
    r.onStream = std::move(onOpen);
    return r;
}

HttpError::HttpError(
    int status, std::string code, const std::string& message, Poco::JSON::Object::Ptr details)
    : std::runtime_error(message)
    , _status(status)
    , _code(std::move(code))
    , _details(std::move(details))
{
}

HttpError HttpError::notFound(const std::string& what)
{
    return HttpError(404, "NOT_FOUND", what);
}

HttpError HttpError::forbidden(const std::string& message)
{
    return HttpError(403, "FORBIDDEN", message);
}

HttpError HttpError::conflict(const std::string& message, Poco::JSON::Object::Ptr details)
{
    return HttpError(409, "CONFLICT", message, std::move(details));
}

HttpError HttpError::validation(const std::map<std::string, std::string>& fields)
{
    auto details = makeObject();
    auto list = makeObject();
    std::string names;
    for (const auto& [field, reason] : fields) {
        list->set(field, reason);
        names += (names.empty() ? "" : ", ") + field;
    }
    details->set("fields", list);
    return HttpError(422, "VALIDATION_FAILED", "invalid fields: " + names, details);
}

} // namespace clinic
