#pragma once

#include <cstdint>
#include <ostream>
#include <string>

namespace clinic {

/// What a clinic loses with its server: the database, the uploaded documents
/// and the key that signs access tokens. A backup is one directory:
///
///     MANIFEST       what is inside and where it came from (text, key=value)
///     clinicd.db     the SQLite database (online backup API, integrity-checked)
///     documents/     the uploaded documents (content-addressed, immutable)
///     jwt.key        the token signing key (mode 0600)
///
/// On MariaDB the database is not in it (mariadb-dump makes that part; the
/// MANIFEST and the command's output say so).
struct DataPaths {
    std::string dataDir;
    bool sqlite = true;
    std::string databasePath; ///< SQLite only
    std::string mariadbName; ///< MariaDB only: for the mariadb-dump hint
    std::string keyPath; ///< auth.jwt_secret_file, else data.dir/jwt.key
    std::string documentsDir() const { return dataDir + "/documents"; }
};

class DataBackup {
public:
    /// Writes the backup directory target (through target.tmp and a rename;
    /// --force replaces an existing one). The database is copied first and
    /// the documents after it, so every document the copied database names
    /// is in the copy. Reports on out; throws std::runtime_error on failure,
    /// leaving no partial target.
    static void backup(const DataPaths& paths, const std::string& target, bool force, std::ostream& out);

    /// Puts a backup in place of the live data. The caller holds the data
    /// directory's lock (no daemon runs). Every part is first copied beside
    /// its live counterpart and checked (PRAGMA integrity_check on the
    /// database); only then are the live files renamed aside to
    /// NAME.pre-restore-STAMP and the copies renamed in. A failure before
    /// the renames changes nothing; one during them puts the old files back.
    static void restore(const DataPaths& paths, const std::string& source, std::ostream& out);
};

} // namespace clinic
