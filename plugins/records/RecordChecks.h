#pragma once

// The format and plausibility checks of medical-record fields: pure
// functions, so the API and the registration service judge input alike.

#include <cstdint>
#include <optional>
#include <string>

#include "clinic/Html.h"
#include "clinic/Time.h"

namespace records {

/// A real calendar date YYYY-MM-DD between 1900-01-01 and today (given as
/// YYYY-MM-DD); an empty string if it is fine, else why not.
std::string birthDateProblem(const std::string& date, const std::string& today);

/// True for a syntactically valid YYYY-MM-DD date that exists in the calendar.
bool isCalendarDate(const std::string& date);

/// A plausible e-mail address: one @, a local part, a dotted domain, no spaces.
bool isEmail(const std::string& email);

/// A Romanian CNP: 13 digits, a valid sex/century digit and checksum.
bool isRomanianCnp(const std::string& cnp);

/// An ICD-10 code: a letter, two digits, optionally a dot and 1-4 more
/// characters (J06.9, I10, E11.65, S72.001A).
bool isIcd10Code(const std::string& code);

/// Instants are the SDK's, so records and the other plugins read and write
/// them alike (an offset required, "2026-12-01T07:30:00Z" out).
using clinic::formatRfc3339;
using clinic::parseRfc3339;

/// The search key of a name: lower-cased, diacritics folded to ASCII where
/// known (ă -> a, ș -> s, é -> e, ß -> ss), whitespace collapsed.
std::string nameKey(const std::string& name);

/// The digits of a phone number, for search ("+40 721-000 111" -> "40721000111").
std::string phoneKey(const std::string& phone);

/// A filename safe to keep as metadata and to echo in Content-Disposition:
/// the last path component only, ASCII letters, digits and ._- kept, the
/// rest '_', no leading dots, at most 120 characters; "document" if nothing is left.
std::string safeFilename(const std::string& name);

/// The stored type of a document from its first bytes ("application/pdf",
/// "image/png", "image/jpeg"), or empty for anything else.
std::string sniffDocumentType(const std::string& content);

using clinic::escapeHtml;

/// Lower-case hex SHA-256 of data.
std::string sha256Hex(const std::string& data);

} // namespace records
