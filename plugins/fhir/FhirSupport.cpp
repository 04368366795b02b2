#include "FhirSupport.h"

#include <cctype>
#include <cstdio>

#include <Poco/URI.h>

#include "clinic/Json.h"
#include "clinic/Time.h"

namespace fhir {

namespace {

bool isLeap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int daysIn(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && isLeap(y) ? 29 : days[m - 1];
}

/// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
std::int64_t daysFromCivil(int y, int m, int d)
{
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy
        = (153 * static_cast<unsigned>(m + (m > 2 ? -3 : 9)) + 2) / 5 + static_cast<unsigned>(d) - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::string civilText(std::int64_t days)
{
    days += 719468;
    const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(days - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y + (m <= 2)), m, d);
    return buf;
}

bool digits(const std::string& s, std::size_t at, std::size_t n)
{
    if (at + n > s.size())
        return false;
    for (std::size_t i = at; i < at + n; ++i)
        if (!std::isdigit(static_cast<unsigned char>(s[i])))
            return false;
    return true;
}

/// The period a FHIR date or dateTime value names, in days or seconds:
/// [lo, hi). Days for a value without a time.
struct Period {
    std::int64_t lo = 0, hi = 0;
    bool instant = false;
};

std::optional<Period> periodOf(const std::string& v)
{
    if (v.size() == 4 && digits(v, 0, 4)) {
        const int y = std::stoi(v);
        if (y < 1900)
            return std::nullopt;
        return Period {daysFromCivil(y, 1, 1), daysFromCivil(y + 1, 1, 1), false};
    }
    if (v.size() == 7 && digits(v, 0, 4) && v[4] == '-' && digits(v, 5, 2)) {
        const int y = std::stoi(v.substr(0, 4)), m = std::stoi(v.substr(5, 2));
        if (y < 1900 || m < 1 || m > 12)
            return std::nullopt;
        return Period {daysFromCivil(y, m, 1), daysFromCivil(y, m, 1) + daysIn(y, m), false};
    }
    if (v.size() == 10 && digits(v, 0, 4) && v[4] == '-' && digits(v, 5, 2) && v[7] == '-'
        && digits(v, 8, 2)) {
        const int y = std::stoi(v.substr(0, 4)), m = std::stoi(v.substr(5, 2)), d = std::stoi(v.substr(8, 2));
        if (y < 1900 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m))
            return std::nullopt;
        const std::int64_t day = daysFromCivil(y, m, d);
        return Period {day, day + 1, false};
    }
    if (auto at = clinic::parseRfc3339(v))
        return Period {*at, *at + 1, true};
    return std::nullopt;
}

/// The prefix of a search value ("ge", ...) and the rest; "eq" when none.
std::pair<std::string, std::string> prefixed(const std::string& value)
{
    static const std::set<std::string> prefixes = {"eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"};
    if (value.size() > 2 && prefixes.count(value.substr(0, 2)))
        return {value.substr(0, 2), value.substr(2)};
    return {"eq", value};
}

/// [lo, hi) narrowed by a prefix, open ends as nullopt.
std::pair<std::optional<std::int64_t>, std::optional<std::int64_t>> bounds(
    const std::string& name, const std::string& prefix, const Period& p)
{
    if (prefix == "eq")
        return {p.lo, p.hi};
    if (prefix == "ge")
        return {p.lo, std::nullopt};
    if (prefix == "gt")
        return {p.hi, std::nullopt};
    if (prefix == "le")
        return {std::nullopt, p.hi};
    if (prefix == "lt")
        return {std::nullopt, p.lo};
    throw badRequest(
        "INVALID_PARAMETER", name + ": the prefix " + prefix + " is not supported (eq, ge, gt, le, lt)");
}

const char* issueCode(const clinic::HttpError& e)
{
    switch (e.status()) {
    case 400:
        return e.code() == "MALFORMED_JSON" ? "structure" : "invalid";
    case 401:
        return "login";
    case 403:
        return "forbidden";
    case 404:
        return "not-found";
    case 405:
        return "not-supported";
    case 409:
    case 412:
        return "conflict";
    case 413:
        return "too-long";
    case 422:
        return e.code() == "VALIDATION_FAILED" ? "invalid" : "business-rule";
    case 429:
        return "throttled";
    case 503:
        return "transient";
    default:
        return e.status() >= 500 ? "exception" : "processing";
    }
}

Poco::JSON::Object::Ptr issue(const clinic::HttpError& e, const std::string& diagnostics)
{
    auto details = clinic::makeObject();
    details->set("text", e.code());
    auto out = clinic::makeObject();
    out->set("severity", e.status() >= 500 ? "fatal" : "error");
    out->set("code", issueCode(e));
    out->set("details", details);
    out->set("diagnostics", diagnostics);
    return out;
}

} // namespace

clinic::Response resourceAnswer(const Poco::JSON::Object::Ptr& resource, int status)
{
    return clinic::Response::text(
        clinic::toJson(resource), std::string(kFhirJson) + "; charset=utf-8", status);
}

Poco::JSON::Object::Ptr operationOutcome(const clinic::HttpError& error)
{
    Poco::JSON::Array::Ptr issues = new Poco::JSON::Array;
    auto details = error.details();
    auto fields = details ? details->getObject("fields") : nullptr;
    if (fields && fields->size() > 0) {
        for (const auto& [field, reason] : *fields)
            issues->add(issue(error, field + ": " + reason.toString()));
    } else {
        std::string text = error.what();
        if (details && details->has("reason") && details->getValue<std::string>("reason") != text)
            text += ": " + details->getValue<std::string>("reason");
        issues->add(issue(error, text));
    }
    auto out = clinic::makeObject();
    out->set("resourceType", "OperationOutcome");
    out->set("issue", issues);
    return out;
}

clinic::Response renderError(const clinic::HttpError& error, const clinic::Request& request)
{
    (void)request;
    return resourceAnswer(operationOutcome(error), error.status());
}

clinic::HttpError badRequest(const std::string& code, const std::string& message)
{
    return clinic::HttpError(400, code, message);
}

void InstantRange::narrow(const InstantRange& other)
{
    if (other.from && (!from || *other.from > *from))
        from = other.from;
    if (other.to && (!to || *other.to < *to))
        to = other.to;
}

std::string dateOfDay(std::int64_t days)
{
    return civilText(days);
}

InstantRange dateSearch(const std::string& name, const std::string& value)
{
    const auto [prefix, rest] = prefixed(value);
    auto p = periodOf(rest);
    if (!p)
        throw badRequest("INVALID_PARAMETER",
            name + ": \"" + rest
                + "\" is not a date or instant that exists (YYYY, YYYY-MM, YYYY-MM-DD or"
                  " YYYY-MM-DDThh:mm:ss with an offset)");
    if (!p->instant) {
        p->lo *= 86400;
        p->hi *= 86400;
    }
    auto [from, to] = bounds(name, prefix, *p);
    return InstantRange {from, to};
}

DateBounds birthDateSearch(const std::string& value)
{
    const auto [prefix, rest] = prefixed(value);
    auto p = periodOf(rest);
    if (!p || p->instant)
        throw badRequest("INVALID_PARAMETER",
            "birthdate: \"" + rest + "\" is not a date that exists (YYYY, YYYY-MM or YYYY-MM-DD)");
    auto [from, to] = bounds("birthdate", prefix, *p);
    DateBounds out;
    if (from)
        out.from = civilText(*from);
    if (to)
        out.to = civilText(*to - 1);
    return out;
}

std::optional<std::int64_t> positiveId(const std::string& text)
{
    if (text.empty() || text.size() > 18)
        return std::nullopt;
    for (char c : text)
        if (!std::isdigit(static_cast<unsigned char>(c)))
            return std::nullopt;
    const std::int64_t id = std::stoll(text);
    return id > 0 ? std::optional<std::int64_t>(id) : std::nullopt;
}

std::optional<std::int64_t> referenceId(const std::string& text, const std::string& type)
{
    const std::string prefix = type + "/";
    if (text.compare(0, prefix.size(), prefix) == 0)
        return positiveId(text.substr(prefix.size()));
    return positiveId(text);
}

SearchParameters::SearchParameters(const clinic::Request& request, const std::set<std::string>& supported)
    : _request(request)
{
    // Parameters every search takes: paging, the format FHIR clients add and
    // the access reason the audit keeps.
    static const std::set<std::string> common = {"_count", "_cursor", "_format", "reason"};
    for (const auto& [name, value] : request.queryParams) {
        if (!supported.count(name) && !common.count(name))
            throw badRequest("UNKNOWN_PARAMETER", "the search parameter " + name + " is not supported here");
        if (value.empty())
            throw badRequest("INVALID_PARAMETER", name + " has no value");
    }
    if (auto format = one("_format");
        format && *format != "json" && *format != kFhirJson && *format != "application/json")
        throw badRequest("INVALID_PARAMETER", "_format: only JSON is served");
    if (auto count = one("_count")) {
        auto n = positiveId(*count);
        if (!n || *n > 500)
            throw badRequest("INVALID_PARAMETER", "_count must be a whole number from 1 to 500");
        _count = static_cast<std::size_t>(*n);
    }
}

std::vector<std::string> SearchParameters::all(const std::string& name) const
{
    std::vector<std::string> out;
    auto [first, last] = _request.queryParams.equal_range(name);
    for (auto it = first; it != last; ++it)
        out.push_back(it->second);
    return out;
}

std::optional<std::string> SearchParameters::one(const std::string& name) const
{
    auto values = all(name);
    if (values.empty())
        return std::nullopt;
    if (values.size() > 1)
        throw badRequest("INVALID_PARAMETER", name + " may be given only once");
    return values.front();
}

std::optional<std::int64_t> SearchParameters::reference(
    const std::string& name, const std::string& type) const
{
    auto value = one(name);
    if (!value)
        return std::nullopt;
    auto id = referenceId(*value, type);
    if (!id)
        throw badRequest("INVALID_PARAMETER", name + ": \"" + *value + "\" is not a " + type + " reference");
    return id;
}

std::string baseUrl(const clinic::Request& request, const std::string& configured)
{
    if (!configured.empty())
        return configured;
    std::string host = request.header("host").value_or("localhost");
    // Only what a host name and port may hold: the value goes into links.
    for (char c : host)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '['
                || c == ']'))
            return std::string("http://localhost") + kBasePath;
    return "http://" + host + kBasePath;
}

std::string queryWithout(const clinic::Request& request, const std::string& skip)
{
    std::string out;
    for (const auto& [name, value] : request.queryParams) {
        if (name == skip)
            continue;
        std::string n, v;
        Poco::URI::encode(name, "!#$&'()*+,/:;=?@[] ", n);
        Poco::URI::encode(value, "!#$&'()*+,/:;=?@[] ", v);
        out += (out.empty() ? "" : "&") + n + "=" + v;
    }
    return out;
}

Poco::JSON::Object::Ptr searchset(const clinic::Request& request, const std::string& base,
    const std::string& type, const std::vector<Poco::JSON::Object::Ptr>& resources,
    const std::optional<std::string>& nextCursor)
{
    const std::string query = queryWithout(request, "_cursor");
    const std::string url = base + "/" + type;
    Poco::JSON::Array::Ptr links = new Poco::JSON::Array;
    auto link = [&](const std::string& relation, const std::string& href) {
        auto l = clinic::makeObject();
        l->set("relation", relation);
        l->set("url", href);
        links->add(l);
    };
    auto withCursor = [&](const std::string& cursor) {
        std::string encoded;
        Poco::URI::encode(cursor, "!#$&'()*+,/:;=?@[] ", encoded);
        return url + "?" + query + (query.empty() ? "" : "&") + "_cursor=" + encoded;
    };
    auto cursor = request.query("_cursor");
    link("self", cursor ? withCursor(*cursor) : url + (query.empty() ? "" : "?" + query));
    if (nextCursor)
        link("next", withCursor(*nextCursor));
    Poco::JSON::Array::Ptr entries = new Poco::JSON::Array;
    for (const auto& r : resources) {
        auto search = clinic::makeObject();
        search->set("mode", "match");
        auto entry = clinic::makeObject();
        entry->set("fullUrl",
            base + "/" + r->getValue<std::string>("resourceType") + "/" + r->getValue<std::string>("id"));
        entry->set("resource", r);
        entry->set("search", search);
        entries->add(entry);
    }
    auto out = clinic::makeObject();
    out->set("resourceType", "Bundle");
    out->set("type", "searchset");
    out->set("link", links);
    out->set("entry", entries);
    return out;
}

} // namespace fhir
