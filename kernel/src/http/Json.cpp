#include "clinic/Json.h"

#include <cmath>
#include <limits>
#include <sstream>

#include <Poco/JSON/Array.h>
#include <Poco/UTF8String.h>
#include <Poco/Unicode.h>
#include <Poco/UnicodeConverter.h>

#include "clinic/Http.h"

namespace clinic {

namespace {

bool validUtf8(const std::string& s)
{
    // Strict: no overlongs, no surrogates, nothing above U+10FFFF.
    std::size_t i = 0;
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    while (i < s.size()) {
        unsigned char c = p[i];
        std::size_t n = 0;
        unsigned cp = 0;
        if (c < 0x80) {
            ++i;
            continue;
        }
        if ((c & 0xE0) == 0xC0) {
            n = 1;
            cp = c & 0x1F;
            if (c < 0xC2)
                return false;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3;
            cp = c & 0x07;
            if (c > 0xF4)
                return false;
        } else
            return false;
        for (std::size_t k = 1; k <= n; ++k) {
            if (i + k >= s.size() || (p[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF))
            || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

/// C0 controls other than tab and line breaks, DEL, and the C1 controls
/// (U+0080..U+009F, UTF-8 C2 80..C2 9F): none belongs in a name or a note,
/// and some terminals act on them.
bool hasControlCharacters(const std::string& s)
{
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7F)
            return true;
        if (c == 0xC2 && i + 1 < s.size()) {
            auto next = static_cast<unsigned char>(s[i + 1]);
            if (next >= 0x80 && next <= 0x9F)
                return true;
        }
    }
    return false;
}

/// Line breaks, tabs, the byte-order mark, line/paragraph separators and
/// the bidirectional controls: what lets a name pass for another on screen.
bool hasLayoutCharacters(const std::string& s)
{
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == '\n' || c == '\r' || c == '\t')
            return true;
        if (c == 0xD8 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x9C)
            return true; // U+061C ARABIC LETTER MARK
        if (c == 0xE2 && i + 2 < s.size()) {
            const auto b1 = static_cast<unsigned char>(s[i + 1]), b2 = static_cast<unsigned char>(s[i + 2]);
            // U+200E, U+200F; U+2028..U+202E; U+2066..U+2069
            if (b1 == 0x80 && (b2 == 0x8E || b2 == 0x8F || (b2 >= 0xA8 && b2 <= 0xAE)))
                return true;
            if (b1 == 0x81 && b2 >= 0xA6 && b2 <= 0xA9)
                return true;
        }
        if (c == 0xEF && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xBB
            && static_cast<unsigned char>(s[i + 2]) == 0xBF)
            return true; // U+FEFF byte-order mark
    }
    return false;
}

std::size_t utf8Length(const std::string& s)
{
    std::size_t n = 0;
    for (unsigned char c : s)
        if ((c & 0xC0) != 0x80)
            ++n;
    return n;
}

} // namespace

FieldReader::FieldReader(Poco::JSON::Object::Ptr object)
    : _object(std::move(object))
{
}

bool FieldReader::has(const std::string& field) const
{
    return _object && _object->has(field) && !_object->isNull(field);
}

void FieldReader::fail(const std::string& field, const std::string& reason)
{
    _errors.emplace(field, reason); // the first reason for a field wins
}

std::optional<std::string> FieldReader::optionalString(
    const std::string& field, std::size_t minLen, std::size_t maxLen)
{
    if (!has(field))
        return std::nullopt;
    Poco::Dynamic::Var v = _object->get(field);
    if (!v.isString()) {
        fail(field, "must be a string");
        return std::nullopt;
    }
    std::string s = v.convert<std::string>();
    if (!validUtf8(s)) {
        fail(field, "must be valid UTF-8");
        return std::nullopt;
    }
    if (hasControlCharacters(s)) {
        fail(field, "must not contain control characters");
        return std::nullopt;
    }
    std::size_t len = utf8Length(s);
    if (len < minLen) {
        fail(field,
            minLen == 1 ? "must not be empty" : "must be at least " + std::to_string(minLen) + " characters");
        return std::nullopt;
    }
    if (len > maxLen) {
        fail(field, "must be at most " + std::to_string(maxLen) + " characters");
        return std::nullopt;
    }
    return s;
}

std::string FieldReader::requiredString(const std::string& field, std::size_t minLen, std::size_t maxLen)
{
    if (!has(field)) {
        fail(field, "is required");
        return {};
    }
    return optionalString(field, minLen, maxLen).value_or(std::string());
}

std::string FieldReader::requiredName(const std::string& field, std::size_t minLen, std::size_t maxLen)
{
    std::string name = requiredString(field, minLen, maxLen);
    if (hasLayoutCharacters(name)) {
        fail(field, "must not contain line breaks, tabs, byte-order marks or text-direction controls");
        return {};
    }
    return name;
}

std::optional<std::int64_t> FieldReader::optionalInt(
    const std::string& field, std::int64_t min, std::int64_t max)
{
    if (!has(field))
        return std::nullopt;
    Poco::Dynamic::Var v = _object->get(field);
    if (!v.isInteger() || v.isBoolean()) {
        fail(field, "must be a whole number");
        return std::nullopt;
    }
    std::int64_t n = 0;
    try {
        n = v.convert<std::int64_t>();
    } catch (const Poco::Exception&) {
        fail(field, "is out of range");
        return std::nullopt;
    }
    if (n < min || n > max) {
        fail(field, "must be from " + std::to_string(min) + " to " + std::to_string(max));
        return std::nullopt;
    }
    return n;
}

std::int64_t FieldReader::requiredInt(const std::string& field, std::int64_t min, std::int64_t max)
{
    if (!has(field)) {
        fail(field, "is required");
        return 0;
    }
    return optionalInt(field, min, max).value_or(0);
}

std::optional<double> FieldReader::optionalNumber(const std::string& field, double min, double max)
{
    if (!has(field))
        return std::nullopt;
    Poco::Dynamic::Var v = _object->get(field);
    if (!v.isNumeric() || v.isBoolean() || v.isString()) {
        fail(field, "must be a number");
        return std::nullopt;
    }
    double d = v.convert<double>();
    if (!std::isfinite(d) || d < min || d > max) {
        std::ostringstream range;
        range << "must be from " << min << " to " << max;
        fail(field, range.str());
        return std::nullopt;
    }
    return d;
}

double FieldReader::requiredNumber(const std::string& field, double min, double max)
{
    if (!has(field)) {
        fail(field, "is required");
        return 0;
    }
    return optionalNumber(field, min, max).value_or(0);
}

std::optional<bool> FieldReader::optionalBool(const std::string& field)
{
    if (!has(field))
        return std::nullopt;
    Poco::Dynamic::Var v = _object->get(field);
    if (!v.isBoolean()) {
        fail(field, "must be true or false");
        return std::nullopt;
    }
    return v.convert<bool>();
}

std::optional<std::vector<std::string>> FieldReader::optionalStringList(
    const std::string& field, std::size_t maxItems, std::size_t maxLen)
{
    if (!has(field))
        return std::nullopt;
    Poco::JSON::Array::Ptr array = _object->getArray(field);
    if (!array) {
        fail(field, "must be a list of strings");
        return std::nullopt;
    }
    if (array->size() > maxItems) {
        fail(field, "must have at most " + std::to_string(maxItems) + " items");
        return std::nullopt;
    }
    std::vector<std::string> out;
    for (std::size_t i = 0; i < array->size(); ++i) {
        Poco::Dynamic::Var v = array->get(static_cast<unsigned>(i));
        if (!v.isString()) {
            fail(field, "must be a list of strings");
            return std::nullopt;
        }
        std::string s = v.convert<std::string>();
        if (!validUtf8(s) || s.empty() || utf8Length(s) > maxLen) {
            fail(field,
                "items must be non-empty UTF-8 strings of at most " + std::to_string(maxLen) + " characters");
            return std::nullopt;
        }
        out.push_back(std::move(s));
    }
    return out;
}

void FieldReader::finish() const
{
    if (!_errors.empty())
        throw HttpError::validation(_errors);
}

PageRequest readPage(const Request& request, std::map<std::string, std::string>& errors)
{
    PageRequest page;
    if (auto limit = request.queryInt("limit", 1, 500, errors))
        page.limit = static_cast<std::size_t>(*limit);
    if (auto cursor = request.queryInt("cursor", 0, INT64_MAX, errors))
        page.cursor = *cursor;
    else if (errors.count("cursor"))
        errors["cursor"] = "is not a cursor this list gave out";
    return page;
}

PageRequest readPage(const Request& request)
{
    std::map<std::string, std::string> errors;
    PageRequest page = readPage(request, errors);
    if (!errors.empty())
        throw HttpError::validation(errors);
    return page;
}

Poco::JSON::Object::Ptr listPage(
    const Poco::JSON::Array::Ptr& items, const std::optional<std::string>& nextCursor)
{
    auto out = makeObject();
    out->set("items", items);
    if (nextCursor)
        out->set("next_cursor", *nextCursor);
    else
        out->set("next_cursor", Poco::Dynamic::Var());
    return out;
}

Poco::JSON::Object::Ptr listPage(
    const Poco::JSON::Array::Ptr& items, const std::optional<std::int64_t>& nextCursor)
{
    return listPage(
        items, nextCursor ? std::optional<std::string>(std::to_string(*nextCursor)) : std::nullopt);
}

std::string toJson(const Poco::JSON::Object::Ptr& object)
{
    std::ostringstream out;
    object->stringify(out);
    return out.str();
}

std::string toJson(const Poco::JSON::Array::Ptr& array)
{
    std::ostringstream out;
    array->stringify(out);
    return out.str();
}

Poco::JSON::Object::Ptr makeObject()
{
    return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

} // namespace clinic
