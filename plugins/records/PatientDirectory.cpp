#include "PatientDirectory.h"

#include <cctype>
#include <deque>
#include <functional>

#include <Poco/Data/Statement.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <Poco/String.h>
#include <Poco/Timestamp.h>
#include <Poco/Tuple.h>

#include "RecordChecks.h"
#include "clinic/Time.h"

using namespace Poco::Data::Keywords;

namespace records {

namespace {

const char* const kColumns
    = "id, first_name, last_name, birth_date, sex, phone, email, national_id, language,"
      " allergies, created_at, updated_at";

/// The smallest string greater than every string starting with prefix:
/// U+10FFFF sorts after any valid UTF-8 on both backends' binary collations.
std::string prefixEnd(const std::string& prefix)
{
    return prefix + "\xF4\x8F\xBF\xBF";
}

/// One records_patients row in kColumns order.
using PatientRow = Poco::Tuple<Poco::Int64, std::string, std::string, std::string, std::string, std::string,
    std::string, std::string, std::string, std::string, Poco::Int64, Poco::Int64>;

// Typed extraction into tuples rather than RecordSet: RecordSet's dynamic
// values over MariaDB TEXT columns are not dependable.
std::vector<Patient> patientsFrom(const std::vector<PatientRow>& rows)
{
    std::vector<Patient> out;
    for (const auto& r : rows) {
        Patient p;
        p.id = r.get<0>();
        p.firstName = r.get<1>();
        p.lastName = r.get<2>();
        p.birthDate = r.get<3>();
        p.sex = r.get<4>();
        p.phone = r.get<5>();
        p.email = r.get<6>();
        p.nationalId = r.get<7>();
        p.language = r.get<8>();
        auto list = Poco::JSON::Parser().parse(r.get<9>()).extract<Poco::JSON::Array::Ptr>();
        for (std::size_t i = 0; i < list->size(); ++i)
            p.allergies.push_back(list->getElement<std::string>(static_cast<unsigned>(i)));
        p.createdAt = r.get<10>();
        p.updatedAt = r.get<11>();
        out.push_back(std::move(p));
    }
    return out;
}

std::string allergiesJson(const std::vector<std::string>& allergies)
{
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& a : allergies)
        list->add(a);
    return clinic::toJson(list);
}

bool isPhone(const std::string& phone)
{
    std::size_t digits = 0;
    for (std::size_t i = 0; i < phone.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(phone[i]);
        if (std::isdigit(c))
            ++digits;
        else if (!(c == ' ' || c == '-' || c == '(' || c == ')' || c == '.' || (c == '+' && i == 0)))
            return false;
    }
    return digits >= 6 && digits <= 15;
}

} // namespace

std::string Patient::changedFields(const Patient& o) const
{
    std::string out;
    auto note = [&](bool differs, const char* name) {
        if (differs)
            out += (out.empty() ? "" : ", ") + std::string(name);
    };
    note(firstName != o.firstName, "first_name");
    note(lastName != o.lastName, "last_name");
    note(birthDate != o.birthDate, "birth_date");
    note(sex != o.sex, "sex");
    note(phone != o.phone, "phone");
    note(email != o.email, "email");
    note(nationalId != o.nationalId, "national_id");
    note(language != o.language, "language");
    note(allergies != o.allergies, "allergies");
    return out;
}

Poco::JSON::Object::Ptr Patient::toJson(bool clinical) const
{
    auto out = clinic::makeObject();
    out->set("id", static_cast<Poco::Int64>(id));
    out->set("first_name", firstName);
    out->set("last_name", lastName);
    out->set("birth_date", birthDate);
    out->set("sex", sex);
    out->set("phone", phone);
    if (email.empty())
        out->set("email", Poco::Dynamic::Var());
    else
        out->set("email", email);
    if (nationalId.empty())
        out->set("national_id", Poco::Dynamic::Var());
    else
        out->set("national_id", nationalId);
    out->set("language", language);
    if (clinical) {
        Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
        for (const auto& a : allergies)
            list->add(a);
        out->set("allergies", list);
    }
    out->set("created_at", formatRfc3339(createdAt));
    out->set("updated_at", formatRfc3339(updatedAt));
    return out;
}

PatientDirectory::PatientDirectory(clinic::Host& host)
    : _host(host)
{
}

std::int64_t PatientDirectory::nowSeconds() const
{
    return clinic::nowSeconds(_host.clock());
}

std::string PatientDirectory::today() const
{
    return formatRfc3339(nowSeconds()).substr(0, 10);
}

void PatientDirectory::read(
    clinic::FieldReader& in, const Poco::JSON::Object::Ptr& body, Patient& p, bool partial) const
{
    auto want = [&](const char* field) { return !partial || in.has(field); };
    if (want("first_name"))
        p.firstName = in.requiredName("first_name", 1, 100);
    if (want("last_name"))
        p.lastName = in.requiredName("last_name", 1, 100);
    if (want("birth_date")) {
        p.birthDate = in.requiredString("birth_date", 1, 10);
        if (!p.birthDate.empty())
            if (auto problem = birthDateProblem(p.birthDate, today()); !problem.empty())
                in.fail("birth_date", problem);
    }
    if (want("sex")) {
        p.sex = in.requiredString("sex", 1, 10);
        if (!p.sex.empty() && p.sex != "female" && p.sex != "male" && p.sex != "other" && p.sex != "unknown")
            in.fail("sex", "must be one of female, male, other, unknown");
    }
    if (want("phone")) {
        p.phone = in.requiredString("phone", 1, 40);
        if (!p.phone.empty() && !isPhone(p.phone))
            in.fail("phone", "is not a phone number (6 to 15 digits, optional leading +)");
    }
    if (in.has("email")) {
        if (body->isNull("email")) {
            p.email.clear();
        } else if (auto email = in.optionalString("email", 0, 254)) {
            p.email = *email;
            if (!p.email.empty() && !isEmail(p.email))
                in.fail("email", "is not an e-mail address");
        }
    }
    if (in.has("national_id")) {
        if (body->isNull("national_id")) {
            p.nationalId.clear();
        } else if (auto id = in.optionalString("national_id", 0, 32)) {
            p.nationalId = *id;
            // Thirteen digits is the Romanian CNP, whose checksum catches typos.
            bool digits = !p.nationalId.empty();
            for (char c : p.nationalId)
                digits = digits && std::isdigit(static_cast<unsigned char>(c));
            if (digits && p.nationalId.size() == 13 && !isRomanianCnp(p.nationalId))
                in.fail("national_id", "is not a valid CNP (check digit)");
            for (char c : p.nationalId)
                if (!std::isalnum(static_cast<unsigned char>(c))) {
                    in.fail("national_id", "may hold only letters and digits");
                    break;
                }
        }
    }
    if (in.has("language")) {
        if (auto language = in.optionalString("language", 2, 2)) {
            p.language = *language;
            if (p.language != "en" && p.language != "ro")
                in.fail("language", "must be \"en\" or \"ro\"");
        }
    }
    if (in.has("allergies"))
        if (auto allergies = in.optionalStringList("allergies", 100, 200))
            p.allergies = *allergies;
}

std::int64_t PatientDirectory::findDuplicate(clinic::Transaction& tx, const Patient& p) const
{
    // Held until tx ends: the check and the insert or update that follows
    // it are one step for every other writer of patient identities.
    if (tx.dialect() == clinic::Dialect::MySQL) {
        std::vector<Poco::Int64> locked;
        tx.session() << "SELECT id FROM records_identity_lock WHERE id = 1 FOR UPDATE", into(locked), now;
    }
    std::vector<Poco::Int64> ids;
    Poco::Int64 self = p.id; // 0 for a new record: no row has it
    if (!p.nationalId.empty()) {
        std::string nid = p.nationalId;
        tx.session() << "SELECT id FROM records_patients WHERE national_id = ? AND id <> ? ORDER BY id",
            use(nid), use(self), into(ids), limit(1), now;
        if (!ids.empty())
            return ids.front();
    }
    std::string first = nameKey(p.firstName), last = nameKey(p.lastName), birth = p.birthDate;
    tx.session() << "SELECT id FROM records_patients WHERE last_name_key = ? AND first_name_key = ?"
                    " AND birth_date = ? AND id <> ? ORDER BY id",
        use(last), use(first), use(birth), use(self), into(ids), limit(1), now;
    return ids.empty() ? 0 : ids.front();
}

std::int64_t PatientDirectory::insert(clinic::Transaction& tx, Patient& p) const
{
    p.createdAt = p.updatedAt = nowSeconds();
    std::string firstKey = nameKey(p.firstName), lastKey = nameKey(p.lastName),
                phoneDigits = phoneKey(p.phone);
    std::string allergies = allergiesJson(p.allergies);
    Poco::Int64 at = p.createdAt;
    tx.session() << "INSERT INTO records_patients (first_name, last_name, first_name_key, last_name_key,"
                    " birth_date, sex, phone, phone_key, email, national_id, language, allergies, created_at,"
                    " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        use(p.firstName), use(p.lastName), use(firstKey), use(lastKey), use(p.birthDate), use(p.sex),
        use(p.phone), use(phoneDigits), use(p.email), use(p.nationalId), use(p.language), use(allergies),
        use(at), use(at), now;
    p.id = tx.lastInsertId();
    // After commit only, so a subscriber never hears of a record that was rolled back.
    auto payload = clinic::makeObject();
    payload->set("patient_id", static_cast<Poco::Int64>(p.id));
    _host.events().publish(tx, clinic::Event {"patient.created", payload});
    return p.id;
}

void PatientDirectory::update(clinic::Transaction& tx, const Patient& p) const
{
    std::string firstKey = nameKey(p.firstName), lastKey = nameKey(p.lastName),
                phoneDigits = phoneKey(p.phone);
    std::string allergies = allergiesJson(p.allergies);
    Poco::Int64 at = p.updatedAt, id = p.id;
    std::string first = p.firstName, last = p.lastName, birth = p.birthDate, sex = p.sex, phone = p.phone,
                email = p.email, nid = p.nationalId, language = p.language;
    tx.session() << "UPDATE records_patients SET first_name = ?, last_name = ?, first_name_key = ?,"
                    " last_name_key = ?, birth_date = ?, sex = ?, phone = ?, phone_key = ?, email = ?,"
                    " national_id = ?, language = ?, allergies = ?, updated_at = ? WHERE id = ?",
        use(first), use(last), use(firstKey), use(lastKey), use(birth), use(sex), use(phone),
        use(phoneDigits), use(email), use(nid), use(language), use(allergies), use(at), use(id), now;
}

std::optional<Patient> PatientDirectory::find(std::int64_t id) const
{
    Poco::Data::Session s = _host.database().session();
    Poco::Int64 key = id;
    std::vector<PatientRow> rows;
    s << std::string("SELECT ") + kColumns + " FROM records_patients WHERE id = ?", use(key), into(rows), now;
    auto found = patientsFrom(rows);
    if (found.empty())
        return std::nullopt;
    return found.front();
}

std::optional<Patient> PatientDirectory::find(clinic::Transaction& tx, std::int64_t id) const
{
    Poco::Int64 key = id;
    std::vector<PatientRow> rows;
    tx.session() << std::string("SELECT ") + kColumns + " FROM records_patients WHERE id = ?", use(key),
        into(rows), now;
    auto found = patientsFrom(rows);
    if (found.empty())
        return std::nullopt;
    return found.front();
}

bool PatientDirectory::exists(std::int64_t id) const
{
    Poco::Data::Session s = _host.database().session();
    Poco::Int64 key = id, count = 0;
    s << "SELECT COUNT(*) FROM records_patients WHERE id = ?", use(key), into(count), now;
    return count > 0;
}

bool PatientDirectory::exists(clinic::Transaction& tx, std::int64_t patientId)
{
    Poco::Int64 key = patientId, count = 0;
    tx.session() << "SELECT COUNT(*) FROM records_patients WHERE id = ?", use(key), into(count), now;
    return count > 0;
}

Poco::JSON::Object::Ptr PatientDirectory::profile(std::int64_t patientId)
{
    auto p = find(patientId);
    if (!p)
        return nullptr;
    auto out = clinic::makeObject();
    out->set("id", static_cast<Poco::Int64>(p->id));
    out->set("first_name", p->firstName);
    out->set("last_name", p->lastName);
    out->set("birth_date", p->birthDate);
    out->set("sex", p->sex == "female" ? "F" : p->sex == "male" ? "M" : "X");
    out->set("language", p->language);
    out->set("email", p->email);
    out->set("phone", p->phone);
    Poco::JSON::Array::Ptr allergies = new Poco::JSON::Array;
    for (const auto& a : p->allergies)
        allergies->add(a);
    out->set("allergies", allergies);
    return out;
}

PatientPage PatientDirectory::search(
    const std::string& rawQuery, std::int64_t after, std::size_t pageSize) const
{
    // The statement is a UNION of fixed fragments, each a range or equality
    // on an indexed column; every value is bound. Ranges instead of LIKE,
    // because SQLite's case-insensitive LIKE cannot use a binary index.
    std::deque<std::string> strings;
    std::deque<Poco::Int64> ints;
    std::vector<std::function<void(Poco::Data::Statement&)>> binds;
    auto bindString = [&](std::string v) {
        strings.push_back(std::move(v));
        std::string& ref = strings.back();
        binds.push_back([&ref](Poco::Data::Statement& st) { st, use(ref); });
    };
    auto bindInt = [&](Poco::Int64 v) {
        ints.push_back(v);
        Poco::Int64& ref = ints.back();
        binds.push_back([&ref](Poco::Data::Statement& st) { st, use(ref); });
    };
    std::vector<std::string> branches;
    // The branches find ids only: a UNION of whole rows (with their TEXT
    // column) makes MariaDB build an on-disk temporary table per search.
    const std::string select = "SELECT id FROM records_patients WHERE ";
    auto range = [&](const char* column, const std::string& prefix) {
        bindString(prefix);
        bindString(prefixEnd(prefix));
        return std::string(column) + " >= ? AND " + column + " < ?";
    };
    // "id + 0": a bare "id > ?" lets both planners pick a primary-key range
    // scan (the whole table from the cursor on) over the search index.
    auto branch = [&](const std::string& condition) {
        branches.push_back(select + condition + " AND id + 0 > ?");
        bindInt(after);
    };

    std::string q = Poco::trim(rawQuery);
    std::string digits = phoneKey(q);
    bool phoneLike = !q.empty() && q.find_first_not_of("0123456789+-() .") == std::string::npos;
    if (q.empty()) {
        branches.push_back(select + "id > ?");
        bindInt(after);
    } else if (isCalendarDate(q)) {
        bindString(q);
        branch("birth_date = ?");
    } else if (phoneLike && digits.size() >= 3) {
        branch(range("phone_key", digits));
        if (q.find(' ') == std::string::npos) {
            bindString(q);
            branch("national_id = ?");
        }
    } else {
        const std::string key = nameKey(q);
        branch(range("last_name_key", key));
        branch(range("first_name_key", key));
        const auto space = key.find(' ');
        if (space != std::string::npos) {
            const std::string a = key.substr(0, space), b = key.substr(space + 1);
            branch(range("first_name_key", a) + " AND " + range("last_name_key", b));
            branch(range("last_name_key", a) + " AND " + range("first_name_key", b));
        }
        // Passports and other national ids are letters and digits.
        if (q.find(' ') == std::string::npos && q.find_first_of("0123456789") != std::string::npos) {
            bindString(q);
            branch("national_id = ?");
        }
    }
    std::string sql;
    for (const auto& b : branches)
        sql += (sql.empty() ? "" : " UNION ") + b;
    // MariaDB refuses LIMIT inside IN (...) unless it sits in a derived table.
    sql = std::string("SELECT ") + kColumns + " FROM records_patients WHERE id IN (SELECT id FROM (" + sql
        + " ORDER BY id LIMIT ?) hits) ORDER BY id";
    bindInt(static_cast<Poco::Int64>(pageSize + 1));

    Poco::Data::Session s = _host.database().session();
    Poco::Data::Statement st(s);
    st << sql;
    for (auto& bind : binds)
        bind(st);
    std::vector<PatientRow> rows;
    st, into(rows);
    st.execute();
    PatientPage page;
    page.items = patientsFrom(rows);
    if (page.items.size() > pageSize) {
        page.items.resize(pageSize);
        page.nextCursor = std::to_string(page.items.back().id);
    }
    return page;
}

std::int64_t PatientDirectory::createForRegistration(
    clinic::Transaction& tx, const Poco::JSON::Object::Ptr& fields)
{
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object(*fields);
    body->remove("force");
    clinic::FieldReader in(body);
    Patient p;
    read(in, body, p, false);
    // Anyone may register: a national id typed here would let a stranger
    // claim somebody else's (and block its owner). Reception records it
    // after seeing an identity document.
    if (in.has("national_id"))
        in.fail("national_id", "is recorded by the clinic's reception, not at self-registration");
    in.finish();
    // A record like this one may exist already, but saying so (409) would
    // tell anyone who asks that this person is the clinic's patient. The new
    // record stands apart, linked to nothing else; reception merges it.
    if (const auto existing = findDuplicate(tx, p))
        Poco::Logger::get("clinicd.records")
            .information(
                "self-registration: the new record may duplicate patient %?d; reception should check",
                static_cast<Poco::Int64>(existing));
    return insert(tx, p);
}

} // namespace records
