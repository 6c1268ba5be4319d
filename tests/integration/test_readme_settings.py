#!/usr/bin/python3
"""The README's configuration table and the programs' --help agree: every
setting of every program's table (the services' jm_config tables, the CLI
commands' Settings sections and the CLI's Global settings) is named in the
README's table, every CLI setting on a row that names its variable too, and
every --option the table names is one some program's --help lists, and
every `jobmatch COMMAND ... --option` the README shows is one that
command's --help lists.

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


def section(text, title):
    """The help rows under a line starting with title, to the blank line."""
    marker = "\n" + title
    return text.split(marker, 1)[1].split("\n\n", 1)[0] if marker in text else ""


def cli_sections():
    """{program: the Settings rows of its --help}: each CLI command's own,
    and "jobmatch" for the global settings every command takes."""
    found = {"jobmatch": section(help_text("jobmatch"), "Global settings")}
    for command in cli_commands():
        found["jobmatch " + command] = section(help_text("jobmatch", command), "Settings")
    return found


def settings():
    """{program: set of settings}: a service's whole table, a CLI command's
    Settings section, the CLI's Global settings."""
    found = {}
    for service in SERVICES:
        found[service] = option_rows(help_text(service)) - NOT_SETTINGS
    for program, rows in cli_sections().items():
        found[program] = option_rows(rows) - NOT_SETTINGS
    return found


def variables(rows):
    """{setting: its variable} from help rows: "--name ..." then "(default
    ..., env JOBMATCH_NAME)" on the row or the next line."""
    found, name = {}, None
    for line in rows.splitlines():
        match = re.match(r"^  (?:-[a-zA-Z], )?--([a-z0-9][a-z0-9-]*)", line)
        if match:
            name = match.group(1)
        env = re.search(r"\benv (JOBMATCH_[A-Z0-9_]+)\)", line)
        if env and name:
            found[name] = env.group(1)
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


def readme_rows():
    """The rows of the README's configuration table, as lists of cells."""
    with open(os.path.join(harness.ROOT, "README.md"), encoding="utf-8") as readme:
        text = readme.read()
    table = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    return [line.split("|") for line in table.splitlines()
            if line.startswith("|") and len(line.split("|")) > 3]


def readme_table():
    """The --names of the README's configuration table (its setting column)."""
    names = set()
    for cells in readme_rows():
        names |= set(OPTION.findall(cells[2]))
    return names


@runner.test
def every_setting_in_readme():
    documented = readme_table()
    missing = sorted("%s --%s" % (program, name) for program, names in settings().items()
                     for name in names if name not in documented)
    check(not missing, "settings missing from the README's configuration table: %s" % ", ".join(missing))


@runner.test
def every_cli_variable_in_readme():
    """Each CLI setting's row (program CLI or all) names its variable, the
    one --help prints: one name per variable, in both places."""
    rows = [cells for cells in readme_rows() if re.search(r"\b(CLI|all)\b", cells[1])]
    missing = []
    for program, rows_text in cli_sections().items():
        found = variables(rows_text)
        check(set(found) == option_rows(rows_text) - NOT_SETTINGS,
              "%s: a setting without its variable in --help: %s" % (program, rows_text))
        for name, variable in sorted(found.items()):
            if not any(name in OPTION.findall(cells[2]) and variable in "|".join(cells) for cells in rows):
                missing.append("%s --%s (%s)" % (program, name, variable))
    check(not missing, "CLI settings whose README row (program CLI or all) does not name the "
          "setting and its variable: %s" % ", ".join(missing))


@runner.test
def every_readme_option_exists():
    known = every_option()
    unknown = sorted(name for name in readme_table() if name not in known)
    check(not unknown, "the README's configuration table names options no --help lists: %s"
          % ", ".join("--" + name for name in unknown))


def readme_cli_usages():
    """[(command words, options)] of each `jobmatch COMMAND ... --option`
    the README shows: "jobs list" and ["offline"] for `jobmatch jobs list
    --offline`."""
    with open(os.path.join(harness.ROOT, "README.md"), encoding="utf-8") as readme:
        text = readme.read()
    found = []
    for span in re.findall(r"`(jobmatch [a-z][^`]*)`", text):
        words = span.split()[1:]
        command = []
        for word in words:
            if not re.match(r"^[a-z][a-z-]*$", word):
                break
            command.append(word)
        options = OPTION.findall(span)
        if options:
            found.append((command, options))
    return found


@runner.test
def every_cli_option_the_readme_shows_exists():
    """`jobmatch COMMAND [--option]` in the README: each option is one that
    the command's --help lists (an option, a setting or a global one)."""
    usages = readme_cli_usages()
    check(len(usages) >= 5, "README: too few `jobmatch COMMAND --option` spans found: %r" % usages)
    unknown = []
    for command, options in usages:
        rows = option_rows(help_text("jobmatch", *command))
        unknown += ["jobmatch %s --%s" % (" ".join(command), name) for name in options if name not in rows]
    check(not unknown, "the README shows CLI options the command's --help does not list: %s"
          % ", ".join(unknown))


if __name__ == "__main__":
    runner.main()
