#include "auth/PasswordPolicy.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <sstream>
#include <unordered_set>

#include <Poco/String.h>

namespace clinic {

namespace {

const std::unordered_set<std::string>& commonPasswords()
{
    static const std::unordered_set<std::string> list = [] {
        static const char* text =
#include "CommonPasswords.inc"
            ;
        std::unordered_set<std::string> out;
        std::istringstream in(text);
        std::string line;
        while (std::getline(in, line)) {
            line = Poco::trim(line);
            if (!line.empty() && line[0] != '#')
                out.insert(Poco::toLower(line));
        }
        return out;
    }();
    return list;
}

/// Digits and symbols read as the letters they stand in for.
std::string unLeet(std::string s)
{
    for (char& c : s) {
        switch (c) {
        case '0':
            c = 'o';
            break;
        case '1':
            c = 'i';
            break;
        case '3':
            c = 'e';
            break;
        case '4':
            c = 'a';
            break;
        case '5':
            c = 's';
            break;
        case '7':
            c = 't';
            break;
        case '@':
            c = 'a';
            break;
        case '$':
            c = 's';
            break;
        default:
            break;
        }
    }
    return s;
}

bool isLetter(char c)
{
    // Bytes of multi-byte UTF-8 characters count as letters: names in
    // Romanian are words too.
    return std::isalpha(static_cast<unsigned char>(c)) || (static_cast<unsigned char>(c) & 0x80);
}

/// The password without the digits and symbols around its letters.
std::string core(const std::string& lower)
{
    auto first = std::find_if(lower.begin(), lower.end(), isLetter);
    auto last = std::find_if(lower.rbegin(), lower.rend(), isLetter).base();
    return first < last ? std::string(first, last) : std::string();
}

/// Steps along these rows (either way) are what a finger or a counter does.
bool adjacent(char a, char b)
{
    static const char* rows[]
        = {"0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890",
            "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p", "qazwsxedcrfvtgbyhnujmikolp", "!@#$%^&*()"};
    if (a == b)
        return true;
    for (const char* row : rows) {
        const std::string r(row);
        for (std::size_t i = 0; i + 1 < r.size(); ++i)
            if ((r[i] == a && r[i + 1] == b) || (r[i] == b && r[i + 1] == a))
                return true;
    }
    return false;
}

bool isWalk(const std::string& lower)
{
    if (lower.size() < 2)
        return true;
    std::size_t predictable = 0;
    for (std::size_t i = 0; i + 1 < lower.size(); ++i)
        predictable += adjacent(lower[i], lower[i + 1]);
    // Nearly every step along a row: "qwertyuiop", "0123456789", "1qaz2wsx3edc".
    return predictable * 10 >= (lower.size() - 1) * 8;
}

bool isRepeatedRun(const std::string& s)
{
    for (std::size_t unit = 1; unit <= 4 && unit * 2 <= s.size(); ++unit) {
        bool repeats = true;
        for (std::size_t i = unit; i < s.size() && repeats; ++i)
            repeats = s[i] == s[i % unit];
        if (repeats)
            return true;
    }
    return false;
}

/// The username's parts ("dr.ana-pop" -> dr, ana, pop), the names, whole.
std::vector<std::string> contextWords(const std::vector<std::string>& ownWords)
{
    std::vector<std::string> out;
    for (const auto& word : ownWords) {
        const std::string lower = Poco::toLower(Poco::trim(word));
        if (lower.size() >= 3)
            out.push_back(lower);
        std::string part;
        for (char c : lower + ".") {
            if (isLetter(c)) {
                part += c;
            } else {
                if (part.size() >= 3)
                    out.push_back(part);
                part.clear();
            }
        }
    }
    // Longest first, so "ana.pop" is taken out before "ana".
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
    return out;
}

} // namespace

std::string PasswordPolicy::guessable(const std::string& password, const std::vector<std::string>& ownWords)
{
    const std::string lower = Poco::toLower(password);
    const auto& common = commonPasswords();
    if (common.count(lower))
        return "the password is one of the most common passwords";
    const std::string stem = core(lower);
    if (!stem.empty() && (common.count(stem) || common.count(unLeet(stem)) || common.count(unLeet(lower))))
        return "the password is a common password with digits or symbols added";
    if (isWalk(lower))
        return "the password is a run along the keyboard, the alphabet or the digits";
    if (isRepeatedRun(lower))
        return "the password is a short run of characters repeated";

    // What is left once the account's own words are taken out must be a
    // password on its own: at least 6 characters that are not a walk.
    std::string rest = lower, readable = unLeet(lower);
    bool used = false;
    for (const auto& word : contextWords(ownWords)) {
        for (std::string* s : {&rest, &readable}) {
            std::size_t at;
            while ((at = s->find(word)) != std::string::npos) {
                s->erase(at, word.size());
                used = true;
            }
        }
        // Read backwards too: "nimda.toor".
        std::string reversed(word.rbegin(), word.rend());
        std::size_t at;
        while ((at = rest.find(reversed)) != std::string::npos) {
            rest.erase(at, reversed.size());
            used = true;
        }
    }
    if (used) {
        const std::string& shorter = readable.size() < rest.size() ? readable : rest;
        if (shorter.size() < 6 || isWalk(shorter) || isRepeatedRun(shorter))
            return "the password is built from the username or the person's name";
    }
    return "";
}

} // namespace clinic
