#include "DrugCatalogue.h"

#include <cctype>
#include <set>

#include <Poco/Data/Session.h>
#include <Poco/Tuple.h>
#include <Poco/UTF8String.h>
#include <Poco/UnicodeConverter.h>

#include "clinic/Json.h"

using namespace Poco::Data::Keywords;

namespace prescriptions {

namespace {

using DrugRow = Poco::Tuple<Poco::Int64, std::string, std::string, std::string, std::string, std::string,
    std::string, std::string>;
constexpr const char* kColumns = "id, code, name, substance, atc, form, strength, route";

Drug fromRow(const DrugRow& r)
{
    return Drug {
        r.get<0>(), r.get<1>(), r.get<2>(), r.get<3>(), r.get<4>(), r.get<5>(), r.get<6>(), r.get<7>()};
}

/// The folded form searches compare: lower case, so "Amox" finds "amoxicillin"
/// on MariaDB's binary collation as on SQLite.
std::string searchKey(const std::string& text)
{
    std::string key = Poco::UTF8::toLower(text);
    return key.size() > 191 ? key.substr(0, 191) : key;
}

bool validUtf8(const std::string& text)
{
    std::wstring ignored;
    try {
        Poco::UnicodeConverter::toUTF32(text, ignored);
    } catch (...) {
        return false;
    }
    // toUTF32 replaces bad sequences rather than throwing: compare lengths of a round trip.
    std::string back;
    Poco::UnicodeConverter::toUTF8(ignored, back);
    return back == text;
}

/// Splits one CSV record starting at pos; advances pos past its line end.
/// Fills error on an unterminated quote or text after a closing quote.
std::vector<std::string> readRecord(const std::string& text, std::size_t& pos, int& line, std::string& error)
{
    std::vector<std::string> fields(1);
    bool quoted = false, wasQuoted = false;
    while (pos < text.size()) {
        const char c = text[pos];
        if (quoted) {
            if (c == '"') {
                if (pos + 1 < text.size() && text[pos + 1] == '"') {
                    fields.back() += '"';
                    pos += 2;
                    continue;
                }
                quoted = false;
                ++pos;
                continue;
            }
            if (c == '\n')
                ++line;
            fields.back() += c;
            ++pos;
            continue;
        }
        if (c == '"') {
            if (!fields.back().empty() || wasQuoted) {
                error = "a quote inside an unquoted field";
                return {};
            }
            quoted = wasQuoted = true;
            ++pos;
            continue;
        }
        if (c == ',') {
            fields.emplace_back();
            wasQuoted = false;
            ++pos;
            continue;
        }
        if (c == '\r' || c == '\n') {
            if (c == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n')
                ++pos;
            ++pos;
            return fields;
        }
        if (wasQuoted) {
            error = "text after a closing quote";
            return {};
        }
        fields.back() += c;
        ++pos;
    }
    if (quoted)
        error = "a quoted field is not closed";
    return fields;
}

std::string trim(const std::string& s)
{
    const auto first = s.find_first_not_of(" \t"), last = s.find_last_not_of(" \t");
    return first == std::string::npos ? std::string() : s.substr(first, last - first + 1);
}

} // namespace

Poco::JSON::Object::Ptr Drug::toJson() const
{
    auto o = clinic::makeObject();
    o->set("id", static_cast<Poco::Int64>(id));
    o->set("code", code);
    o->set("name", name);
    o->set("substance", substance);
    o->set("atc", atc);
    o->set("form", form);
    o->set("strength", strength);
    o->set("route", route);
    return o;
}

bool Drug::sameAs(const Drug& o) const
{
    return code == o.code && name == o.name && substance == o.substance && atc == o.atc && form == o.form
        && strength == o.strength && route == o.route;
}

bool isAtcCode(const std::string& t)
{
    auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    return t.size() == 7 && upper(t[0]) && digit(t[1]) && digit(t[2]) && upper(t[3]) && upper(t[4])
        && digit(t[5]) && digit(t[6]);
}

std::vector<Drug> parseCatalogue(const std::string& text, CatalogueProblems& problems)
{
    std::vector<Drug> drugs;
    std::set<std::string> codes;
    std::size_t pos = 0;
    int line = 1;
    // A UTF-8 byte order mark, as spreadsheets write one.
    if (text.compare(0, 3, "\xEF\xBB\xBF") == 0)
        pos = 3;
    bool header = true;
    while (pos < text.size()) {
        const int first = line;
        std::string error;
        auto fields = readRecord(text, pos, line, error);
        ++line;
        auto bad = [&](const std::string& why) {
            problems.lines.push_back("line " + std::to_string(first) + ": " + why);
        };
        if (!error.empty()) {
            bad(error);
            break; // the rest of the file cannot be split reliably
        }
        if (fields.size() == 1 && trim(fields[0]).empty())
            continue; // a blank line
        if (header) {
            header = false;
            std::string got;
            for (const auto& f : fields)
                got += (got.empty() ? "" : ",") + trim(f);
            if (got != kCatalogueHeader)
                bad(std::string("the header must be ") + kCatalogueHeader);
            continue;
        }
        if (fields.size() != 7) {
            bad("expected 7 fields, found " + std::to_string(fields.size()));
            continue;
        }
        for (auto& f : fields)
            f = trim(f);
        Drug d {0, fields[0], fields[1], fields[2], fields[3], fields[4], fields[5], fields[6]};
        std::vector<std::string> why;
        if (d.code.empty() || d.code.size() > 64
            || d.code.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
                != std::string::npos)
            why.push_back("code must be 1 to 64 of A-Z a-z 0-9 . _ -");
        else if (!codes.insert(d.code).second)
            why.push_back("code " + d.code + " appears twice in the file");
        if (d.name.empty() || d.name.size() > 191)
            why.push_back("name must be 1 to 191 bytes");
        if (d.substance.empty() || d.substance.size() > 191)
            why.push_back("substance must be 1 to 191 bytes");
        if (!isAtcCode(d.atc))
            why.push_back("atc \"" + d.atc + "\" is not a level-5 ATC code (J01CA04)");
        for (const auto* f : {&d.form, &d.strength, &d.route})
            if (f->empty() || f->size() > 64) {
                why.push_back("form, strength and route must be 1 to 64 bytes");
                break;
            }
        for (const auto& f : fields)
            if (!validUtf8(f) || f.find_first_of(std::string("\0\t\n\r", 4)) != std::string::npos) {
                why.push_back("a field is not one line of UTF-8 text");
                break;
            }
        if (!why.empty()) {
            std::string all;
            for (const auto& w : why)
                all += (all.empty() ? "" : "; ") + w;
            bad(all);
            continue;
        }
        drugs.push_back(std::move(d));
    }
    if (header)
        problems.lines.push_back(
            "line 1: the file is empty (the header must be " + std::string(kCatalogueHeader) + ")");
    if (!problems.lines.empty())
        return {};
    return drugs;
}

ImportReport DrugCatalogue::import(const std::vector<Drug>& drugs)
{
    ImportReport report;
    _db.transact([&](clinic::Transaction& tx) {
        report = ImportReport {};
        Poco::Int64 at = _now();
        for (const auto& d : drugs) {
            std::string code = d.code;
            std::vector<DrugRow> rows;
            tx.session() << std::string("SELECT ") + kColumns + " FROM prescriptions_drugs WHERE code = ?",
                use(code), into(rows), now;
            std::string name = d.name, nameKey = searchKey(d.name), substance = d.substance,
                        substanceKey = searchKey(d.substance), atc = d.atc, form = d.form,
                        strength = d.strength, route = d.route;
            if (rows.empty()) {
                tx.session()
                    << "INSERT INTO prescriptions_drugs (code, name, name_key, substance, substance_key,"
                       " atc, form, strength, route, created_at, updated_at)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    use(code), use(name), use(nameKey), use(substance), use(substanceKey), use(atc),
                    use(form), use(strength), use(route), use(at), use(at), now;
                ++report.added;
            } else if (fromRow(rows.front()).sameAs(d)) {
                ++report.unchanged;
            } else {
                tx.session()
                    << "UPDATE prescriptions_drugs SET name = ?, name_key = ?, substance = ?,"
                       " substance_key = ?, atc = ?, form = ?, strength = ?, route = ?, updated_at = ?"
                       " WHERE code = ?",
                    use(name), use(nameKey), use(substance), use(substanceKey), use(atc), use(form),
                    use(strength), use(route), use(at), use(code), now;
                ++report.updated;
            }
        }
    });
    return report;
}

std::vector<Drug> DrugCatalogue::search(const std::string& q, std::int64_t after, std::size_t limit)
{
    std::string pattern;
    for (char c : searchKey(q)) {
        if (c == '%' || c == '_' || c == '!')
            pattern += '!';
        pattern += c;
    }
    pattern += '%';
    Poco::Int64 from = after, lim = static_cast<Poco::Int64>(limit);
    std::vector<DrugRow> rows;
    Poco::Data::Session s = _db.session();
    s << std::string("SELECT ") + kColumns
            + " FROM prescriptions_drugs WHERE id > ?"
              " AND (name_key LIKE ? ESCAPE '!' OR substance_key LIKE ? ESCAPE '!') ORDER BY id LIMIT ?",
        use(from), use(pattern), use(pattern), use(lim), into(rows), now;
    std::vector<Drug> out;
    for (const auto& r : rows)
        out.push_back(fromRow(r));
    return out;
}

std::map<std::int64_t, Drug> DrugCatalogue::byIds(const std::vector<std::int64_t>& ids)
{
    std::map<std::int64_t, Drug> out;
    Poco::Data::Session s = _db.session();
    for (std::int64_t id : ids) {
        if (out.count(id))
            continue;
        Poco::Int64 key = id;
        std::vector<DrugRow> rows;
        s << std::string("SELECT ") + kColumns + " FROM prescriptions_drugs WHERE id = ?", use(key),
            into(rows), now;
        if (!rows.empty())
            out[id] = fromRow(rows.front());
    }
    return out;
}

} // namespace prescriptions
