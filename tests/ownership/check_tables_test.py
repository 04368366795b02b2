#!/usr/bin/env python3
"""Proves check_tables.py fires: on the deliberately wrong fixture plugin
(fixture/nosy, which reads scheduling_appointments) it must fail naming the
file, the line and the table; on the tree alone it must pass having seen
the plugins' SQL."""

import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CHECKER = os.path.join(HERE, "check_tables.py")
FIXTURE = os.path.join(HERE, "fixture", "nosy")


def run(*args):
    return subprocess.run([sys.executable, CHECKER, "--root", ROOT, *args], capture_output=True, text=True)


def line_of(path, text):
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if text in line:
                return number
    raise AssertionError(text + " not in " + path)


class CheckTablesTest(unittest.TestCase):
    def test_a_plugin_reading_another_plugins_table_fails_naming_file_line_and_table(self):
        result = run("--plugin", "nosy=" + FIXTURE)
        self.assertEqual(1, result.returncode, result.stdout + result.stderr)
        source = os.path.join(FIXTURE, "NosyPlugin.cpp")
        expected = (f"{os.path.relpath(source, ROOT)}:{line_of(source, 'FROM scheduling_appointments')}: "
                    "plugin nosy uses table scheduling_appointments of plugin scheduling (after FROM)")
        self.assertIn(expected, result.stdout.splitlines())
        self.assertNotIn("nosy_marks of", result.stdout, "its own table is its own")

    def test_the_tree_passes_and_its_sql_was_read(self):
        result = run()
        self.assertEqual(0, result.returncode, result.stdout + result.stderr)
        summary = result.stdout.strip().splitlines()[-1]
        uses = int(summary.split("kernel table(s), ")[1].split(" ")[0])
        self.assertGreater(uses, 50, summary)


if __name__ == "__main__":
    unittest.main()
