#pragma once

#include <string>
#include <vector>

namespace clinic {

/// Which passwords clinicd refuses, beyond length and encoding: the ones a
/// guessing tool tries first. A password is refused when it is
///  - on the shipped list (data/passwords/common.txt, compiled in), or one of
///    its words with digits and symbols around it ("password12", "Dragon1!"),
///    look-alike digits read as letters ("p4ssw0rd");
///  - a walk along the keyboard, the alphabet or the digits ("qwertyuiop",
///    "0123456789", "9876543210"), or a short run repeated ("abcabcabca");
///  - built from the account's own words: the username or its parts, the
///    person's names, with little else added ("ana.pop1", "Ionescu2026!").
class PasswordPolicy {
public:
    /// Why password is too guessable for someone with these words (username,
    /// names), or "" if it is not.
    static std::string guessable(const std::string& password, const std::vector<std::string>& ownWords);
};

} // namespace clinic
