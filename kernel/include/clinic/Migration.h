#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace clinic {

class Transaction;

/// One versioned schema step of a plugin (or of the kernel).
///
/// Statements are plain SQL written to run on SQLite and MariaDB alike, with
/// these tokens replaced per backend before they run:
///   ${PK}       an auto-increment 64-bit primary key column type
///   ${TABLE}    table options (InnoDB, utf8mb4, binary collation on MariaDB)
///   ${LONGTEXT} text of at most 65,535 bytes (TEXT on both backends)
///   ${BLOB}     binary of at most 65,535 bytes
/// The 64 KiB cap is deliberate: POCO 1.11's MySQL binding allocates each
/// column's declared maximum per fetched row, so LONGTEXT asks for 4 GiB.
/// Validate lengths before writing; keep large content (documents) in files.
/// Keys and indexed strings must be VARCHAR(n) with n <= 191.
/// Instants are BIGINT seconds (or microseconds, say which) since the epoch, UTC.
///
/// Each migration runs in one transaction with the row that records it. On
/// MariaDB, DDL commits implicitly, so keep one CREATE per step where a
/// half-applied step would matter.
struct Migration {
    Migration(int version, std::string description, std::vector<std::string> statements,
        std::function<void(Transaction&)> apply = nullptr)
        : version(version)
        , description(std::move(description))
        , statements(std::move(statements))
        , apply(std::move(apply))
    {
    }

    int version = 0;
    std::string description;
    std::vector<std::string> statements;
    /// Optional code step, run after the statements in the same transaction.
    std::function<void(Transaction&)> apply;
};

} // namespace clinic
