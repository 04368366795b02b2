#include "db/DatabaseFault.h"

#include <cerrno>
#include <string>
#include <system_error>

#include <Poco/Data/DataException.h>
#include <Poco/Data/SQLite/SQLiteException.h>
#include <Poco/Exception.h>
#ifdef CLINICD_WITH_MYSQL
#include <Poco/Data/MySQL/MySQLException.h>
#endif

namespace clinic {

namespace {

bool textHas(const std::string& text, std::initializer_list<const char*> needles)
{
    for (const char* n : needles)
        if (text.find(n) != std::string::npos)
            return true;
    return false;
}

} // namespace

DatabaseFault databaseFaultOf(const std::exception& e)
{
    if (auto http = dynamic_cast<const HttpError*>(&e)) {
        if (http->code() == "DATABASE_UNAVAILABLE")
            return DatabaseFault::Unavailable;
        if (http->code() == "STORAGE_FULL")
            return DatabaseFault::StorageFull;
        return DatabaseFault::None;
    }
    if (auto sys = dynamic_cast<const std::system_error*>(&e))
        if (sys->code() == std::errc::no_space_on_device || sys->code().value() == EDQUOT)
            return DatabaseFault::StorageFull;
    if (dynamic_cast<const Poco::Data::SQLite::DatabaseFullException*>(&e))
        return DatabaseFault::StorageFull;
    const auto* pe = dynamic_cast<const Poco::Exception*>(&e);
    const std::string text = pe ? pe->displayText() : std::string(e.what());
    // SQLite reports ENOSPC as SQLITE_FULL, but a failed fsync or WAL
    // growth can surface as an I/O error that names the cause only in text;
    // Poco::File and streams say it in their own words.
    if (textHas(text, {"database or disk is full", "No space left on device", "Disk quota exceeded"}))
        return DatabaseFault::StorageFull;
    // POCO's own words when a pooled session cannot be opened (MariaDB
    // refused or timed out the connect or its handshake).
    if (dynamic_cast<const Poco::Data::SessionUnavailableException*>(&e)
        || dynamic_cast<const Poco::Data::ConnectionFailedException*>(&e))
        return DatabaseFault::Unavailable;
#ifdef CLINICD_WITH_MYSQL
    // Connect and transaction failures of the connector; a failed statement
    // tells the lost connection only in its text (POCO's code() is 0):
    // 2002/2003 cannot connect, 2006 gone away, 2013/2055 lost during a
    // query (also a read timeout), 1053 shutting down, 1927 killed.
    if (dynamic_cast<const Poco::Data::MySQL::ConnectionException*>(&e))
        return DatabaseFault::Unavailable;
    if (dynamic_cast<const Poco::Data::MySQL::MySQLException*>(&e)
        && textHas(text,
            {"gone away", "Lost connection", "Can't connect", "Connection was killed", "shutdown in progress",
                ": 2002", ": 2003", ": 2006", ": 2013", ": 2055", ": 1053", ": 1927"}))
        return DatabaseFault::Unavailable;
#endif
    return DatabaseFault::None;
}

HttpError faultAnswer(DatabaseFault fault)
{
    if (fault == DatabaseFault::StorageFull) {
        HttpError full(503, "STORAGE_FULL", "the server's disk is full; nothing was saved, try again later");
        full.headers().emplace_back("Retry-After", "30");
        return full;
    }
    HttpError gone(
        503, "DATABASE_UNAVAILABLE", "the database cannot be reached; nothing was saved, try again shortly");
    gone.headers().emplace_back("Retry-After", "2");
    return gone;
}

} // namespace clinic
