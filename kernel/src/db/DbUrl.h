#pragma once

#include <string>

#include "clinic/Database.h"

namespace clinic {

/// A parsed db.url: sqlite:/path/file.db or mysql://user:pass@host:port/db.
struct DbUrl {
    Dialect dialect = Dialect::SQLite;
    std::string path; ///< SQLite file
    std::string host, user, password, database;
    int port = 3306;

    /// Throws std::invalid_argument with a message fit for the operator.
    static DbUrl parse(const std::string& url);
    /// The Poco::Data connection string for this URL.
    std::string connectionString() const;
    /// The URL with its password replaced by ****.
    static std::string redact(const std::string& url);
};

} // namespace clinic
