#include "clinic/Schema.h"

#include <cmath>
#include <stdexcept>

#include <Poco/JSON/Array.h>

#include "clinic/Json.h"

namespace clinic {

namespace {

/// Bounds print as integers where they are whole, so an integer's minimum
/// reads 1 and not 1.0.
void setBound(Poco::JSON::Object::Ptr& o, const char* key, double value)
{
    if (std::floor(value) == value && std::fabs(value) < 9.0e15)
        o->set(key, static_cast<Poco::Int64>(value));
    else
        o->set(key, value);
}

} // namespace

Schema Schema::string(std::size_t minLength, std::size_t maxLength)
{
    Schema s;
    s._type = "string";
    if (minLength > 0)
        s._minLength = minLength;
    if (maxLength > 0)
        s._maxLength = maxLength;
    return s;
}

Schema Schema::enumOf(std::vector<std::string> values)
{
    Schema s;
    s._type = "string";
    s._enum = std::move(values);
    return s;
}

Schema Schema::oneOf(std::vector<Schema> alternatives)
{
    Schema s;
    s._alternatives = std::move(alternatives);
    return s;
}

Schema Schema::date()
{
    Schema s = string();
    s._format = "date";
    return s;
}

Schema Schema::dateTime()
{
    Schema s = string();
    s._format = "date-time";
    return s;
}

Schema Schema::integer()
{
    Schema s;
    s._type = "integer";
    return s;
}

Schema Schema::integer(std::int64_t minimum, std::int64_t maximum)
{
    Schema s = integer();
    s._minimum = static_cast<double>(minimum);
    s._maximum = static_cast<double>(maximum);
    return s;
}

Schema Schema::id()
{
    Schema s = integer();
    s._minimum = 1;
    return s;
}

Schema Schema::number()
{
    Schema s;
    s._type = "number";
    return s;
}

Schema Schema::number(double minimum, double maximum)
{
    Schema s = number();
    s._minimum = minimum;
    s._maximum = maximum;
    return s;
}

Schema Schema::boolean()
{
    Schema s;
    s._type = "boolean";
    return s;
}

Schema Schema::array(const Schema& items)
{
    Schema s;
    s._type = "array";
    s._items = std::make_shared<const Schema>(items);
    return s;
}

Schema Schema::object()
{
    Schema s;
    s._type = "object";
    return s;
}

Schema Schema::binary()
{
    Schema s = string();
    s._format = "binary";
    return s;
}

Schema& Schema::describe(std::string description)
{
    _description = std::move(description);
    return *this;
}

Schema& Schema::format(std::string format)
{
    _format = std::move(format);
    return *this;
}

Schema& Schema::minLength(std::size_t n)
{
    _minLength = n;
    return *this;
}

Schema& Schema::maxLength(std::size_t n)
{
    _maxLength = n;
    return *this;
}

Schema& Schema::minimum(double n)
{
    _minimum = n;
    return *this;
}

Schema& Schema::maximum(double n)
{
    _maximum = n;
    return *this;
}

Schema& Schema::maxItems(std::size_t n)
{
    _maxItems = n;
    return *this;
}

Schema& Schema::nullable()
{
    _nullable = true;
    return *this;
}

Schema& Schema::required(const std::string& name, const Schema& field)
{
    optional(name, field);
    _required.push_back(name);
    return *this;
}

Schema& Schema::optional(const std::string& name, const Schema& field)
{
    if (_type != "object")
        throw std::logic_error("schema field " + name + " declared on a " + _type + ", not an object");
    for (const auto& f : _fields)
        if (f.first == name)
            throw std::logic_error("schema field " + name + " declared twice");
    _fields.emplace_back(name, field);
    return *this;
}

Schema& Schema::additional(const Schema& values)
{
    _additional = std::make_shared<const Schema>(values);
    return *this;
}

Poco::JSON::Object::Ptr Schema::toJson() const
{
    auto o = makeObject();
    if (!_type.empty())
        o->set("type", _type);
    if (!_format.empty())
        o->set("format", _format);
    if (!_description.empty())
        o->set("description", _description);
    if (!_enum.empty()) {
        Poco::JSON::Array::Ptr values = new Poco::JSON::Array;
        for (const auto& v : _enum)
            values->add(v);
        o->set("enum", values);
    }
    if (_minLength)
        o->set("minLength", static_cast<Poco::UInt64>(*_minLength));
    if (_maxLength)
        o->set("maxLength", static_cast<Poco::UInt64>(*_maxLength));
    if (_minimum)
        setBound(o, "minimum", *_minimum);
    if (_maximum)
        setBound(o, "maximum", *_maximum);
    if (_items)
        o->set("items", _items->toJson());
    if (_maxItems)
        o->set("maxItems", static_cast<Poco::UInt64>(*_maxItems));
    if (_type == "object") {
        auto properties = makeObject();
        for (const auto& [name, field] : _fields)
            properties->set(name, field.toJson());
        o->set("properties", properties);
        if (!_required.empty()) {
            Poco::JSON::Array::Ptr required = new Poco::JSON::Array;
            for (const auto& name : _required)
                required->add(name);
            o->set("required", required);
        }
        if (_additional)
            o->set("additionalProperties", _additional->toJson());
    }
    if (!_alternatives.empty()) {
        Poco::JSON::Array::Ptr alternatives = new Poco::JSON::Array;
        for (const auto& a : _alternatives)
            alternatives->add(a.toJson());
        o->set("oneOf", alternatives);
    }
    if (_nullable)
        o->set("nullable", true);
    return o;
}

Schema listOf(const Schema& item)
{
    return Schema::object()
        .required("items", Schema::array(item))
        .required("next_cursor",
            Schema::string().nullable().describe("null on the last page; else ?cursor= for the next one"));
}

} // namespace clinic
