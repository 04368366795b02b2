#pragma once

#include <string>

namespace clinic {

/// Escapes text for an HTML element or a quoted attribute value: the five
/// characters that could end either (&, <, >, ", '). Letters, printed
/// prescriptions and e-mail bodies put patient-entered text into HTML, and a
/// name like `<script>` must arrive as text.
inline std::string escapeHtml(const std::string& text)
{
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&#39;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

} // namespace clinic
