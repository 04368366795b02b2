#!/usr/bin/env python3
"""Checks that each plugin's SQL names only its own tables.

A plugin owns the tables its migrations create (CREATE TABLE in the sources
under plugins/<name>/, and ALTER TABLE ... RENAME TO); the kernel owns those
created under kernel/src/. Every SQL string of a plugin's sources (not its
tests/) is then
read for the table after FROM, JOIN, INTO, UPDATE and TABLE: naming a table
another plugin (or the kernel) owns is a failure, reported as
file:line: plugin P uses table T of OWNER (after KEYWORD). Exit status 1 if
there is any, 0 otherwise.

Only string literals are read (adjacent literals joined, as the compiler
does), so comments and identifiers in code do not count. Keywords are
matched in upper case, the way the project writes SQL.

Usage: check_tables.py [--root DIR] [--plugin NAME=DIR ...]
  --root    the source tree (default: two levels above this script)
  --plugin  check DIR as one more plugin called NAME (e.g. a fixture)
"""

import argparse
import os
import re
import sys

SOURCE_SUFFIXES = (".cpp", ".cc", ".h", ".hpp")
# A C++ string literal (not raw), with escapes.
LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
# Between two literals the compiler joins: only white space.
JOINABLE = re.compile(r"^\s*$")
CREATED = re.compile(r"\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_]*)")
RENAMED = re.compile(r"\bALTER\s+TABLE\s+[A-Za-z_][A-Za-z0-9_]*\s+RENAME\s+TO\s+([A-Za-z_][A-Za-z0-9_]*)")
USED = re.compile(r"\b(FROM|JOIN|INTO|UPDATE|TABLE)\s+([A-Za-z_][A-Za-z0-9_]*)")


def sources(directory):
    """A plugin's own sources: not its tests/ (which may inspect any table
    to check what the plugin did) nor its bench/."""
    for base, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if d not in ("tests", "bench"))
        for name in sorted(files):
            if name.endswith(SOURCE_SUFFIXES):
                yield os.path.join(base, name)


def sql_strings(path):
    """Yields (text, line_of) for each run of adjacent string literals:
    line_of(offset) is the 1-based line of an offset into text."""
    with open(path, encoding="utf-8", errors="replace") as f:
        code = f.read()
    # Comments out, keeping line breaks so line numbers hold. Strings are
    # skipped over so a "//" inside one is not taken for a comment.
    out = []
    i = 0
    while i < len(code):
        if code.startswith("//", i):
            j = code.find("\n", i)
            i = len(code) if j < 0 else j
        elif code.startswith("/*", i):
            j = code.find("*/", i + 2)
            j = len(code) if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", code[i:j]))
            i = j
        elif code[i] == '"':
            m = LITERAL.match(code, i)
            j = m.end() if m else i + 1
            out.append(code[i:j])
            i = j
        elif code[i] == "'":
            m = re.compile(r"'(?:[^'\\\n]|\\.)*'").match(code, i)
            j = m.end() if m else i + 1
            out.append(code[i:j])
            i = j
        else:
            out.append(code[i])
            i += 1
    code = "".join(out)

    run, starts, end = [], [], None
    for m in LITERAL.finditer(code):
        if run and not JOINABLE.match(code[end : m.start()]):
            yield _joined(run, starts, code)
            run, starts = [], []
        run.append(m.group(1))
        starts.append(m.start())
        end = m.end()
    if run:
        yield _joined(run, starts, code)


def _joined(parts, starts, code):
    text = ""
    offsets = []  # (offset into text, line)
    for part, start in zip(parts, starts):
        offsets.append((len(text), code.count("\n", 0, start) + 1))
        text += part

    def line_of(offset):
        line = offsets[0][1]
        for at, ln in offsets:
            if at <= offset:
                line = ln
        return line

    return text, line_of


def tables_created(directory):
    found = set()
    for path in sources(directory):
        for text, _ in sql_strings(path):
            found.update(CREATED.findall(text))
            found.update(RENAMED.findall(text))
    return found


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    parser.add_argument("--plugin", action="append", default=[], metavar="NAME=DIR")
    args = parser.parse_args(argv)

    plugins = {}
    plugins_dir = os.path.join(args.root, "plugins")
    for name in sorted(os.listdir(plugins_dir)):
        if os.path.isfile(os.path.join(plugins_dir, name, "CMakeLists.txt")):
            plugins[name] = os.path.join(plugins_dir, name)
    for spec in args.plugin:
        name, _, directory = spec.partition("=")
        if not name or not directory:
            parser.error("--plugin wants NAME=DIR, not " + spec)
        plugins[name] = directory

    owner = {table: "the kernel" for table in tables_created(os.path.join(args.root, "kernel", "src"))}
    for name, directory in plugins.items():
        for table in tables_created(directory):
            if table in owner:
                print(f"table {table} is created by both plugin {name} and {owner[table]}")
                return 1
            owner[table] = "plugin " + name

    problems = []
    checked = 0
    for name, directory in plugins.items():
        for path in sources(directory):
            shown = os.path.relpath(path, args.root) if path.startswith(args.root) else path
            for text, line_of in sql_strings(path):
                for m in USED.finditer(text):
                    table = m.group(2)
                    checked += table in owner
                    if table in owner and owner[table] != "plugin " + name:
                        problems.append(
                            f"{shown}:{line_of(m.start(2))}: plugin {name} uses table {table} of {owner[table]}"
                            f" (after {m.group(1)})"
                        )
    for p in problems:
        print(p)
    mine = sum(1 for o in owner.values() if o != "the kernel")
    print(f"{len(plugins)} plugin(s), {mine} plugin table(s), {len(owner) - mine} kernel table(s), "
          f"{checked} use(s) of a known table: {len(problems)} of another owner's")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
