#include "PatientSearchService.h"

#include <algorithm>

#include <Poco/Data/Session.h>
#include <Poco/Tuple.h>

#include "RecordChecks.h"

using namespace Poco::Data::Keywords;

namespace records {

namespace {

using clinic::records::PatientCard;
using clinic::records::PatientCardPage;
using clinic::records::PatientFilter;

using CardRow = Poco::Tuple<Poco::Int64, std::string, std::string, std::string, std::string, std::string,
    std::string, std::string, std::string>;

class CardSearch : public clinic::records::PatientSearch {
public:
    explicit CardSearch(clinic::Database& db)
        : _db(db)
    {
    }

    PatientCardPage search(const PatientFilter& f) override
    {
        const std::size_t limit = std::clamp<std::size_t>(f.limit, 1, clinic::records::kMaxPatientPage);
        // Every condition is always bound and switched off by a flag: the
        // statement text is fixed. Names compare as key ranges (as ?q= does)
        // so a prefix uses the name indexes on both backends.
        auto flag = [](bool unset) -> Poco::Int64 { return unset ? 1 : 0; };
        Poco::Int64 anyId = flag(!f.id), id = f.id.value_or(0);
        Poco::Int64 anyNational = flag(!f.nationalId);
        std::string national = f.nationalId.value_or("");
        Poco::Int64 anyName = flag(!f.name);
        std::string key = f.name ? nameKey(*f.name) : std::string();
        // U+10FFFF sorts after any valid UTF-8 on both backends' binary collations.
        std::string keyEnd = key + "\xF4\x8F\xBF\xBF";
        Poco::Int64 anyFrom = flag(!f.bornFrom), anyTo = flag(!f.bornTo);
        std::string from = f.bornFrom.value_or(""), to = f.bornTo.value_or("");
        Poco::Int64 after = f.afterId, fetch = static_cast<Poco::Int64>(limit) + 1;
        std::vector<CardRow> rows;
        auto s = _db.session();
        s << "SELECT id, first_name, last_name, birth_date, sex, phone, email, national_id, language"
             " FROM records_patients WHERE (? = 1 OR id = ?) AND (? = 1 OR national_id = ?)"
             " AND (? = 1 OR (first_name_key >= ? AND first_name_key < ?)"
             " OR (last_name_key >= ? AND last_name_key < ?))"
             " AND (? = 1 OR birth_date >= ?) AND (? = 1 OR birth_date <= ?) AND id > ?"
             " ORDER BY id LIMIT ?",
            use(anyId), use(id), use(anyNational), use(national), use(anyName), use(key), use(keyEnd),
            use(key), use(keyEnd), use(anyFrom), use(from), use(anyTo), use(to), use(after), use(fetch),
            into(rows), now;
        PatientCardPage page;
        for (std::size_t i = 0; i < rows.size() && i < limit; ++i) {
            const auto& r = rows[i];
            page.items.push_back(PatientCard {r.get<0>(), r.get<1>(), r.get<2>(), r.get<3>(), r.get<4>(),
                r.get<5>(), r.get<6>(), r.get<7>(), r.get<8>()});
        }
        if (rows.size() > limit)
            page.next = page.items.back().id;
        return page;
    }

private:
    clinic::Database& _db;
};

} // namespace

std::shared_ptr<clinic::records::PatientSearch> makePatientSearch(clinic::Database& db)
{
    return std::make_shared<CardSearch>(db);
}

} // namespace records
