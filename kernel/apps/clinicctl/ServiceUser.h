#pragma once

#include <string>

namespace clinic {

/// clinicctl run as root works as the user the daemon runs as, so every file
/// it makes (the database, its journal, documents, keys, backups) is one the
/// daemon can write. That user is the owner of data.dir.
class ServiceUser {
public:
    /// The account the package creates and the unit runs clinicd as.
    static constexpr const char* kName = "clinicd";

    /// As root: drops to the owner of dataDir when that is not root, and
    /// returns a one-line note saying so. Refuses (throws std::runtime_error
    /// with what to do) when dataDir is the service account's home but is
    /// missing or owned by root, since files made there as root would lock
    /// the daemon out. Anything else (not root; a root-owned directory of
    /// one's own, as in a build tree or a test) runs as is and returns "".
    static std::string adopt(const std::string& dataDir);
};

} // namespace clinic
