#include "NoteStore.h"

#include <vector>

#include <Poco/Data/Session.h>

using namespace Poco::Data::Keywords;

namespace example {

namespace {

class NoteStore : public clinic::example::Notes {
public:
    explicit NoteStore(clinic::Database& db)
        : _db(db)
    {
    }

    std::int64_t count() override
    {
        Poco::Int64 n = 0;
        auto s = _db.session();
        s << "SELECT COUNT(*) FROM example_notes", into(n), now;
        return n;
    }

    std::optional<std::string> text(std::int64_t noteId) override
    {
        Poco::Int64 id = noteId;
        std::vector<std::string> found;
        auto s = _db.session();
        s << "SELECT text FROM example_notes WHERE id = ?", use(id), into(found), now;
        if (found.empty())
            return std::nullopt;
        return found.front();
    }

private:
    clinic::Database& _db;
};

} // namespace

std::shared_ptr<clinic::example::Notes> makeNoteStore(clinic::Database& db)
{
    return std::make_shared<NoteStore>(db);
}

} // namespace example
