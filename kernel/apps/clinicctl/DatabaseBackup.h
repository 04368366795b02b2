#pragma once

#include <cstdint>
#include <string>

namespace clinic {

/// A consistent copy of a live SQLite database through SQLite's online backup
/// API: the daemon keeps writing while it runs, and the copy is one snapshot.
class DatabaseBackup {
public:
    struct Result {
        std::uint64_t bytes = 0;
        int pages = 0;
        int pageSize = 0;
    };

    /// Copies the database at source into target: through target.tmp (mode
    /// 0600), fsync, PRAGMA integrity_check on the copy, then an atomic rename
    /// and an fsync of the directory. Refuses an existing target unless force.
    /// Throws std::runtime_error naming what failed; leaves no .tmp behind.
    static Result run(const std::string& source, const std::string& target, bool force);
};

} // namespace clinic
