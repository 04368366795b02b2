#include "auth/IdentityMigrations.h"

#include <Poco/Data/Session.h>

#include "clinic/Database.h"

using namespace Poco::Data::Keywords;

namespace clinic {

std::vector<Migration> identityMigrations()
{
    // One CREATE TABLE per version: MariaDB commits DDL implicitly, so a step
    // that fails half way must not leave a table the retry would trip over.
    return {
        // A session is one login's refresh-token family; revoking it ends the
        // access tokens that name it on their next request. Instants: seconds, UTC.
        Migration(3, "sessions",
            {"CREATE TABLE sessions (id VARCHAR(64) NOT NULL PRIMARY KEY, user_id BIGINT NOT NULL,"
             " created_at BIGINT NOT NULL, last_used_at BIGINT NOT NULL, revoked_at BIGINT NULL,"
             " revoked_reason VARCHAR(64) NULL)${TABLE}",
                "CREATE INDEX sessions_user ON sessions (user_id)"}),
        // Only the SHA-256 of a refresh token is kept: a database dump gives
        // nobody a usable token.
        Migration(4, "refresh tokens",
            {"CREATE TABLE refresh_tokens (id ${PK}, session_id VARCHAR(64) NOT NULL,"
             " token_hash CHAR(64) NOT NULL UNIQUE, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL,"
             " used_at BIGINT NULL)${TABLE}",
                "CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id)"}),
        // In the database so daemons sharing it share the count.
        Migration(5, "login failures",
            {"CREATE TABLE login_failures (id ${PK}, subject VARCHAR(128) NOT NULL, at BIGINT NOT "
             "NULL)${TABLE}",
                "CREATE INDEX login_failures_subject_at ON login_failures (subject, at)"}),
        // Instants in microseconds, UTC, so events of one request keep their order.
        Migration(6, "audit log",
            {"CREATE TABLE audit_log (id ${PK}, at BIGINT NOT NULL, actor_id BIGINT NULL,"
             " actor_username VARCHAR(64) NOT NULL DEFAULT '', actor_role VARCHAR(16) NOT NULL DEFAULT '',"
             " action VARCHAR(64) NOT NULL, object_type VARCHAR(32) NOT NULL DEFAULT '',"
             " object_id VARCHAR(64) NOT NULL DEFAULT '', patient_id BIGINT NULL,"
             " request_id VARCHAR(64) NOT NULL DEFAULT '', client_address VARCHAR(64) NOT NULL DEFAULT '',"
             " outcome VARCHAR(16) NOT NULL DEFAULT 'ok', reason VARCHAR(255) NOT NULL DEFAULT '')${TABLE}",
                "CREATE INDEX audit_log_patient_at ON audit_log (patient_id, at)",
                "CREATE INDEX audit_log_actor_at ON audit_log (actor_id, at)",
                "CREATE INDEX audit_log_at ON audit_log (at)"}),
        // Append-only in the database itself, not just in the code: an UPDATE
        // or DELETE on audit_log aborts on both backends. (On MariaDB with
        // binary logging, creating triggers needs the TRIGGER privilege and
        // log_bin_trust_function_creators=1 or SUPER.)
        Migration(7, "audit log is append-only", {},
            [](Transaction& tx) {
                if (tx.dialect() == Dialect::SQLite) {
                    tx.session() << "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
                                    " BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
                        now;
                    tx.session() << "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
                                    " BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
                        now;
                } else {
                    tx.session()
                        << "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log FOR EACH ROW"
                           " SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit_log is append-only'",
                        now;
                    tx.session()
                        << "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log FOR EACH ROW"
                           " SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit_log is append-only'",
                        now;
                }
            }),
    };
}

} // namespace clinic
