#!/usr/bin/python3
"""The README's configuration table and the programs' --help agree: every
setting of every program's table (the services' jm_config tables, the CLI
commands' Settings sections) is named in the README's table, and every
--option the table names is one some program's --help lists.

    tests/integration/test_readme_settings.py [NAME-FILTER...]

Prints "ok NAME" or "FAIL NAME: why" per test and "N passed, N failed".
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check  # noqa: E402

runner = harness.Runner(timeout=60)
# every services/<name>/ but the CLI, and every command `jobmatch --help` lists
SERVICES = sorted(name for name in os.listdir(os.path.join(harness.ROOT, "services"))
                  if name != "jobmatch"
                  and os.path.exists(os.path.join(harness.ROOT, "services", name, "main.c")))


def cli_commands():
    text = help_text("jobmatch").split("\nCommands:\n", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in text.splitlines() if re.match(r"^  [a-z]", line)]

OPTION = re.compile(r"--([a-z0-9][a-z0-9-]*)")
# rows every jm_config program prints besides its table
NOT_SETTINGS = {"config", "help", "version"}


def help_text(*argv):
    run = subprocess.run([harness.binary(argv[0])] + list(argv[1:]) + ["--help"],
                         capture_output=True, text=True, timeout=20)
    check(run.returncode == 0, "%s --help exited %d: %s" % (" ".join(argv), run.returncode, run.stderr))
    return run.stdout


def option_rows(text):
    """The --names that start help rows ("  --name ..." or "  -h, --name")."""
    names = set()
    for line in text.splitlines():
        match = re.match(r"^  (?:-[a-zA-Z], )?--([a-z0-9][a-z0-9-]*)", line)
        if match:
            names.add(match.group(1))
    return names


def settings():
    """{program: set of settings}: a service's whole table, a CLI command's
    Settings section."""
    found = {}
    for service in SERVICES:
        found[service] = option_rows(help_text(service)) - NOT_SETTINGS
    for command in cli_commands():
        text = help_text("jobmatch", command)
        section = text.split("\nSettings", 1)[1].split("\n\n", 1)[0] if "\nSettings" in text else ""
        found["jobmatch " + command] = option_rows(section)
    return found


def every_option():
    """Every --name any program's help lists, options and settings."""
    names = set()
    for service in SERVICES:
        names |= option_rows(help_text(service))
    names |= option_rows(help_text("jobmatch"))
    for command in cli_commands():
        names |= option_rows(help_text("jobmatch", command))
    return names


def readme_table():
    """The --names of the README's configuration table (its setting column)."""
    with open(os.path.join(harness.ROOT, "README.md"), encoding="utf-8") as readme:
        text = readme.read()
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in section.splitlines():
        cells = line.split("|")
        if line.startswith("|") and len(cells) > 3:
            names |= set(OPTION.findall(cells[2]))
    return names


@runner.test
def every_setting_in_readme():
    documented = readme_table()
    missing = sorted("%s --%s" % (program, name) for program, names in settings().items()
                     for name in names if name not in documented)
    check(not missing, "settings missing from the README's configuration table: %s" % ", ".join(missing))


@runner.test
def every_readme_option_exists():
    known = every_option()
    unknown = sorted(name for name in readme_table() if name not in known)
    check(not unknown, "the README's configuration table names options no --help lists: %s"
          % ", ".join("--" + name for name in unknown))


if __name__ == "__main__":
    runner.main()
