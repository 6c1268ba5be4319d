#!/usr/bin/python3
"""common/ reads top-down: each file sits in a layer folder, includes only
its own layer and those below it, and no two modules include each other.

The layers, lowest first, are the Makefile's LAYERS line (util wire engine
store).  A module is a header and the files named after it: jm_store.h,
jm_store.c, jm_store_calls.c and jm_store_internal.h are one module (the
longest name with a header of its own), jm_store_config.h would be another.
Module A depends on module B when a file of A includes a header of B; the
dependencies must form no cycle.  A private header (*_internal.h) is included
only by files of its own layer.  Failures name file:line of each include.

Calls are checked too, among the files of common/ and among those of each
services/<name>/: a file calling a function another file defines depends on
it, and no two files may depend on each other (the gateway's files call
only those below them, as gateway_internal.h lists them).  Circles not
broken yet are allowed inside the folders KNOWN_CIRCLES names, with who
breaks them; an entry whose folder has no circle left fails until it is
taken off.

    tests/integration/test_layers.py [NAME-FILTER...]

Prints "ok NAME" or "FAIL NAME: why" per test and "N passed, N failed".
"""
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check  # noqa: E402

runner = harness.Runner(timeout=60)
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
# A function definition in the house style: the return type on the line
# above, the name at the start of its line; static ones are the file's own.
DEFINITION = re.compile(r"^([^\n]*)\n([a-z_][a-z0-9_]*)\s*\(", re.M)
IDENTIFIER = re.compile(r"\b[a-z_][a-z0-9_]*\b")
# Folders whose files still call each other in a circle, and who breaks it
# (none: a new circle fails the test)
KNOWN_CIRCLES = {
}


def layer_order(root):
    """The Makefile's LAYERS, lowest first."""
    with open(os.path.join(root, "Makefile"), encoding="utf-8") as makefile:
        for line in makefile:
            match = re.match(r"^LAYERS\s*:=\s*(.+)$", line)
            if match:
                return match.group(1).split()
    raise harness.TestFailure("Makefile: no LAYERS := line")


class Tree:
    """Every .c/.h file of root/common: its layer, module and includes."""

    def __init__(self, root):
        self.root = root
        self.layers = layer_order(root)
        self.misplaced = []         # files outside a known layer folder
        self.layer_of = {}          # header name -> layer
        self.files = []             # (path relative to root, layer)
        for folder, _, names in sorted(os.walk(os.path.join(root, "common"))):
            for name in sorted(names):
                if not name.endswith((".c", ".h")):
                    continue
                path = os.path.relpath(os.path.join(folder, name), root)
                parts = path.split(os.sep)
                if len(parts) != 3 or parts[1] not in self.layers:
                    self.misplaced.append(path)
                    continue
                self.files.append((path, parts[1]))
                if name.endswith(".h"):
                    self.layer_of[name] = parts[1]

    def module(self, name):
        """The module a file belongs to: its longest name with a header."""
        stem = name[:-2]
        while stem:
            if stem + ".h" in self.layer_of and not stem.endswith("_internal"):
                return stem
            if "_" not in stem:
                break
            stem = stem.rsplit("_", 1)[0]
        return name[:-2]

    def includes(self):
        """(path, line, layer, header) for every quoted include."""
        for path, layer in self.files:
            with open(os.path.join(self.root, path), encoding="utf-8") as source:
                for number, text in enumerate(source, 1):
                    match = INCLUDE.match(text)
                    if match:
                        yield path, number, layer, match.group(1)


def upward_includes(tree):
    rank = {layer: i for i, layer in enumerate(tree.layers)}
    return ["%s:%d includes %s (%s, above %s)" % (path, line, header, tree.layer_of[header], layer)
            for path, line, layer, header in tree.includes()
            if header in tree.layer_of and rank[tree.layer_of[header]] > rank[layer]]


def unknown_includes(tree):
    return ["%s:%d includes %s, which is in no layer of common/" % (path, line, header)
            for path, line, _, header in tree.includes() if header not in tree.layer_of]


def private_includes(tree):
    return ["%s:%d includes %s, private to %s" % (path, line, header, tree.layer_of[header])
            for path, line, layer, header in tree.includes()
            if header.endswith("_internal.h") and tree.layer_of.get(header) != layer]


def components(edges):
    """The strongly connected components of two or more nodes (Tarjan), each
    a sorted tuple: the cycles of a graph {node: {node it uses: ...}}."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, {})):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(tuple(sorted(component)))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def cycles(tree):
    """Each cycle of modules, as the includes that close it."""
    edges = {}                      # module -> {module: "file:line"}
    for path, line, _, header in tree.includes():
        if header not in tree.layer_of:
            continue
        source, target = tree.module(os.path.basename(path)), tree.module(header)
        if source != target:
            edges.setdefault(source, {}).setdefault(target, "%s:%d includes %s" % (path, line, header))
    return ["%s: %s" % (" <-> ".join(members), "; ".join(
        edges[a][b] for a in members for b in sorted(edges.get(a, {})) if b in members))
        for members in components(edges)]


def call_edges(root, folder):
    """{file: {file it calls: [functions]}} among the .c files under folder."""
    files = sorted(os.path.relpath(os.path.join(where, name), root)
                   for where, _, names in os.walk(os.path.join(root, folder))
                   for name in names if name.endswith(".c"))
    texts, defined = {}, {}
    for path in files:
        with open(os.path.join(root, path), encoding="utf-8") as source:
            text = source.read()
        for match in DEFINITION.finditer(text):
            if "static" not in match.group(1) and match.group(2) != "main":
                defined.setdefault(match.group(2), path)
        text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
        text = re.sub(r"//[^\n]*", " ", text)
        texts[path] = re.sub(r'"(\\.|[^"\\\n])*"', '""', text)
    edges = {}
    for path, text in texts.items():
        for name in set(IDENTIFIER.findall(text)):
            owner = defined.get(name)
            if owner and owner != path:
                edges.setdefault(path, {}).setdefault(owner, []).append(name)
    return edges


def call_circles(root):
    """(files, "a -> b (f, g); ...") for each circle of calls among the files
    of common/ and among those of each services/<name>/."""
    folders = ["common"] + sorted(os.path.join("services", name)
                                  for name in os.listdir(os.path.join(root, "services")))
    circles = []
    for folder in folders:
        edges = call_edges(root, folder)
        for members in components(edges):
            circles.append((members, "; ".join(
                "%s -> %s (%s)" % (a, b, ", ".join(sorted(edges[a][b])[:4]))
                for a in members for b in sorted(edges.get(a, {})) if b in members)))
    return circles


def check_none(problems, what):
    check(not problems, "%d %s: %s" % (len(problems), what, "; ".join(problems)))


@runner.test
def every_file_in_a_layer():
    tree = Tree(harness.ROOT)
    check_none(["%s (layers: %s)" % (path, " ".join(tree.layers)) for path in tree.misplaced],
               "files outside common/<layer>/")
    empty = [layer for layer in tree.layers if not any(l == layer for _, l in tree.files)]
    check_none(empty, "layers without files")


@runner.test
def includes_go_down():
    check_none(upward_includes(Tree(harness.ROOT)), "includes of an upper layer")


@runner.test
def includes_found_in_common():
    check_none(unknown_includes(Tree(harness.ROOT)), "includes outside common/")


@runner.test
def private_headers_stay_in_their_layer():
    check_none(private_includes(Tree(harness.ROOT)), "private headers included from another layer")


@runner.test
def no_module_cycles():
    check_none(cycles(Tree(harness.ROOT)), "cycles between modules")


@runner.test
def no_call_circles():
    circles = call_circles(harness.ROOT)

    def known(members):
        folders = {os.path.dirname(path) for path in members}
        return len(folders) == 1 and folders.pop() in KNOWN_CIRCLES

    check_none([text for members, text in circles if not known(members)],
               "circles of calls between files")
    left = {os.path.dirname(members[0]) for members, _ in circles if known(members)}
    check_none(["%s (%s)" % (folder, who) for folder, who in KNOWN_CIRCLES.items() if folder not in left],
               "KNOWN_CIRCLES folders without a circle: take them off")


@runner.test
def checker_finds_what_it_should():
    """The rules above on a small tree with one of each fault."""
    files = {
        "Makefile": "LAYERS   := low high\n",
        "common/low/jm_a.h": '#include "jm_b.h"\n',
        "common/low/jm_a.c": '#include "jm_a.h"\n#include "jm_c.h"\n\nvoid\njm_a_run (void)\n{\n'
                             '    jm_b_go ();     //  jm_b_stop () in a comment is no call\n}\n',
        "common/low/jm_b.h": "",
        "common/low/jm_b_part.c": '#include "jm_b_internal.h"\n#include "jm_a.h"\n\nvoid\njm_b_go (void)\n'
                                  '{\n    puts ("jm_c_run");\n    jm_a_run ();\n}\n',
        "common/high/jm_c.c": 'static void\njm_c_run (void)\n{\n}\n\nvoid\njm_b_stop (void)\n{\n}\n',
        "services/x/main.c": "int\nmain (void)\n{\n    return 0;\n}\n",
        "common/low/jm_b_internal.h": '#include "jm_b.h"\n',
        "common/high/jm_c.h": '#include "jm_b_internal.h"\n#include "nowhere.h"\n',
        "common/jm_flat.c": "",
    }
    with tempfile.TemporaryDirectory() as root:
        for path, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
            with open(os.path.join(root, path), "w", encoding="utf-8") as out:
                out.write(text)
        tree = Tree(root)
        harness.check_equal(tree.misplaced, ["common/jm_flat.c"], "misplaced")
        harness.check_equal(upward_includes(tree),
                            ["common/low/jm_a.c:2 includes jm_c.h (high, above low)"], "upward")
        harness.check_equal(unknown_includes(tree),
                            ["common/high/jm_c.h:2 includes nowhere.h, which is in no layer of common/"],
                            "unknown")
        harness.check_equal(private_includes(tree),
                            ["common/high/jm_c.h:1 includes jm_b_internal.h, private to low"], "private")
        harness.check_equal(tree.module("jm_b_part.c"), "jm_b", "module of jm_b_part.c")
        harness.check_equal(cycles(tree), [
            "jm_a <-> jm_b <-> jm_c: common/low/jm_a.h:1 includes jm_b.h; common/low/jm_a.c:2 includes"
            " jm_c.h; common/low/jm_b_part.c:2 includes jm_a.h; common/high/jm_c.h:1 includes jm_b_internal.h"
        ], "cycles")
        harness.check_equal(call_edges(root, "common"), {
            "common/low/jm_a.c": {"common/low/jm_b_part.c": ["jm_b_go"]},
            "common/low/jm_b_part.c": {"common/low/jm_a.c": ["jm_a_run"]}}, "calls (not in comments, "
                            "strings, nor to static functions)")
        harness.check_equal(call_circles(root), [(
            ("common/low/jm_a.c", "common/low/jm_b_part.c"),
            "common/low/jm_a.c -> common/low/jm_b_part.c (jm_b_go); "
            "common/low/jm_b_part.c -> common/low/jm_a.c (jm_a_run)")], "call circles")


if __name__ == "__main__":
    runner.main()
