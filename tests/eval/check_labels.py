#!/usr/bin/env python3
"""Validates the labelled résumé set in tests/eval/resumes/ and prints its totals.

Every NAME.json there labels one résumé text (NAME.txt, NAME.html or NAME.md); the format and
the label conventions are in tests/eval/resumes/README.md.  Checked: fields and types, the
text file exists and is UTF-8, every id is a skill id of data/taxonomy.json, no id is both held
and a trap, every trap's text occurs in the résumé, evidence only for held skills, the
holdout rule (every third file in name order, a third of the set rounded) and the minimum
totals of issue 15.  Exit status 1 on any error.

Usage: tests/eval/check_labels.py [--lint] [--quiet]
  --lint   also list, per résumé, taxonomy forms a naive case-insensitive search finds in the
           text that are neither held nor traps, and held ids it cannot find literally (typos,
           hyphenation, entities, other languages make some of these expected).  A proofreading
           aid for whoever edits the labels: the labels are what a careful reader concludes,
           never what this search says.
  --quiet  print only errors and the summary line.
Standard library only.
"""
import html
import json
import os
import re
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RESUMES = os.path.join(HERE, "resumes")
TAXONOMY = os.path.join(ROOT, "data", "taxonomy.json")

LANGUAGES = ("en", "de", "es", "fr", "mixed")
SOURCES = ("prose", "list", "mixed", "pdf", "html", "markdown")
SPLITS = ("tune", "holdout")
TRAP_KINDS = ("negation", "intent", "ambiguous", "others")
TEXT_EXTS = (".txt", ".html", ".md")
LEVELS = {"basic": 1, "familiar": 2, "intermediate": 3, "advanced": 4, "expert": 5, "senior": 5}
KEYS_REQUIRED = ("file", "language", "source", "split", "held", "traps")
KEYS_OPTIONAL = ("evidence", "note")

# Minimums from issue 15 item 9 (and the brief of this set).
MIN_RESUMES = 66
MIN_NON_ENGLISH = 12
MIN_PDF_HTML = 12
MIN_HELD = 900
MIN_TRAPS = 100


def load_taxonomy():
    with open(TAXONOMY, encoding="utf-8") as f:
        tax = json.load(f)
    return {s["id"]: s for s in tax["skills"]}


def check_one(name, label, skills, errors):
    """Checks one label object; appends messages to errors; returns the text or None."""
    def err(msg):
        errors.append("%s.json: %s" % (name, msg))

    if not isinstance(label, dict):
        err("top level is not an object")
        return None
    for k in KEYS_REQUIRED:
        if k not in label:
            err("missing field %r" % k)
    for k in label:
        if k not in KEYS_REQUIRED + KEYS_OPTIONAL:
            err("unknown field %r" % k)
    text = None
    fname = label.get("file")
    if not isinstance(fname, str):
        err("file must be a string")
    else:
        base, ext = os.path.splitext(fname)
        if base != name or ext not in TEXT_EXTS or "/" in fname:
            err("file %r must be %s with one of %s" % (fname, name, "/".join(TEXT_EXTS)))
        path = os.path.join(RESUMES, fname)
        if not os.path.isfile(path):
            err("file %r does not exist" % fname)
        else:
            with open(path, "rb") as f:
                raw = f.read()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                err("file %r is not UTF-8: %s" % (fname, e))
            if not raw.strip():
                err("file %r is empty" % fname)
    if label.get("language") not in LANGUAGES:
        err("language must be one of %s" % ", ".join(LANGUAGES))
    if label.get("source") not in SOURCES:
        err("source must be one of %s" % ", ".join(SOURCES))
    if label.get("split") not in SPLITS:
        err("split must be one of %s" % ", ".join(SPLITS))
    if isinstance(fname, str) and label.get("source") == "html" and not fname.endswith(".html"):
        err("source html needs a .html file")
    if isinstance(fname, str) and label.get("source") == "markdown" and not fname.endswith(".md"):
        err("source markdown needs a .md file")

    held = label.get("held")
    held_set = set()
    if not isinstance(held, list) or not all(isinstance(h, str) for h in held):
        err("held must be a list of skill ids")
    else:
        for h in held:
            if h not in skills:
                err("held id %r is not in data/taxonomy.json" % h)
            if h in held_set:
                err("held id %r is listed twice" % h)
            held_set.add(h)

    traps = label.get("traps")
    if not isinstance(traps, list):
        err("traps must be a list")
        traps = []
    for i, t in enumerate(traps):
        where = "traps[%d]" % i
        if not isinstance(t, dict) or set(t) != {"id", "kind", "text"}:
            err("%s must be an object with exactly id, kind, text" % where)
            continue
        if t["id"] not in skills:
            err("%s: id %r is not in data/taxonomy.json" % (where, t["id"]))
        if t["id"] in held_set:
            err("%s: id %r is also held" % (where, t["id"]))
        if t["kind"] not in TRAP_KINDS:
            err("%s: kind must be one of %s" % (where, ", ".join(TRAP_KINDS)))
        if not isinstance(t["text"], str) or not t["text"].strip():
            err("%s: text must be a non-empty string" % where)
        elif text is not None and t["text"] not in text:
            err("%s: text %r does not occur in the résumé" % (where, t["text"]))

    ev = label.get("evidence", {})
    if not isinstance(ev, dict):
        err("evidence must be an object")
        ev = {}
    for sid, e in ev.items():
        if sid not in held_set:
            err("evidence for %r, which is not held" % sid)
        if not isinstance(e, dict) or not e or not set(e) <= {"years", "level", "since"}:
            err("evidence[%r] must be an object with years, level and/or since" % sid)
            continue
        y = e.get("years")
        if y is not None and (isinstance(y, bool) or not isinstance(y, (int, float)) or not 0 < y <= 50):
            err("evidence[%r].years must be a number in (0, 50]" % sid)
        if "level" in e and e["level"] not in LEVELS:
            err("evidence[%r].level must be one of %s" % (sid, ", ".join(LEVELS)))
        s = e.get("since")
        if s is not None and (isinstance(s, bool) or not isinstance(s, int) or not 1970 <= s <= 2026):
            err("evidence[%r].since must be a year" % sid)
    note = label.get("note")
    if note is not None and not isinstance(note, str):
        err("note must be a string")
    return text


# --- lint: a naive search, for proofreading only ------------------------------------------

def fold(s):
    return re.sub(r"[\s\-_]+", " ", s.lower()).strip()


def clean_for_lint(text, is_html):
    t = text.replace("\u00ad", "").replace("\u200b", "").replace("\u200c", "").replace("\u2060", "")
    t = unicodedata.normalize("NFKC", t)
    t = re.sub(r"(\w)-\n\s*(\w)", r"\1\2", t)
    if is_html:
        t = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", t)
        t = re.sub(r"<[^>]*>", " ", t)
        t = html.unescape(t)
    return t


def lint_patterns(skills):
    pats = []
    for sid, s in skills.items():
        amb = set(s.get("ambiguous", []))
        amb_f = {fold(a) for a in amb}
        forms = {s["id"].replace("-", " "), s["name"]} | set(s.get("aliases", []))
        for form in forms | amb:
            sensitive = form in amb or fold(form) in amb_f
            if sensitive and form not in amb:
                continue  # the exact-case ambiguous form covers it
            body = r"[\s\-_]+".join(re.escape(w) for w in re.split(r"[\s\-_]+", form.strip()))
            rx = re.compile(r"(?<!\w)" + body + r"(?![\w+#])",
                            0 if sensitive else re.IGNORECASE)
            pats.append((sid, form, rx))
    return pats


def lint(name, label, text, pats):
    clean = clean_for_lint(text, label["file"].endswith(".html"))
    held = set(label["held"])
    trapped = {t["id"] for t in label["traps"]}
    spans = []
    for sid, form, rx in pats:
        for m in rx.finditer(clean):
            spans.append((m.start(), m.end(), sid, m.group(0)))
    found = {}
    for s, e, sid, word in spans:  # the longest match wins where matches overlap
        if any(s2 <= s and e <= e2 and (e2 - s2) > (e - s) for s2, e2, _, _ in spans):
            continue
        found.setdefault(sid, set()).add(word)
    out = []
    for sid in sorted(found):
        if sid not in held and sid not in trapped:
            out.append("  unlabelled %-24s %s" % (sid, ", ".join(sorted(found[sid]))))
    for sid in sorted(held - set(found)):
        out.append("  held, not found literally: %s" % sid)
    if out:
        print("%s:" % name)
        print("\n".join(out))


def main(argv):
    do_lint = "--lint" in argv
    quiet = "--quiet" in argv
    skills = load_taxonomy()
    errors = []
    names = sorted(f[:-5] for f in os.listdir(RESUMES) if f.endswith(".json"))
    texts = sorted(f for f in os.listdir(RESUMES)
                   if os.path.splitext(f)[1] in TEXT_EXTS and f != "README.md")
    labels = {}
    pats = lint_patterns(skills) if do_lint else None
    for name in names:
        try:
            with open(os.path.join(RESUMES, name + ".json"), encoding="utf-8") as f:
                label = json.load(f)
        except (ValueError, UnicodeDecodeError) as e:
            errors.append("%s.json: not valid JSON: %s" % (name, e))
            continue
        text = check_one(name, label, skills, errors)
        labels[name] = label
        if do_lint and text is not None and isinstance(label, dict):
            try:
                lint(name, label, text, pats)
            except (KeyError, TypeError):
                pass
    labelled = {l.get("file") for l in labels.values() if isinstance(l, dict)}
    for t in texts:
        if t not in labelled:
            errors.append("%s: text without a label file" % t)

    # Split rule: in name order, every third file (the 3rd, 6th, ...) is holdout.
    n = len(names)
    for i, name in enumerate(names):
        label = labels.get(name)
        if not isinstance(label, dict):
            continue
        want = "holdout" if i % 3 == 2 else "tune"
        if label.get("split") != want:
            errors.append("%s.json: split must be %r (every third file in name order is holdout)"
                          % (name, want))
    good = [l for l in labels.values() if isinstance(l, dict)]
    n_hold = sum(1 for l in good if l.get("split") == "holdout")
    if n_hold != round(n / 3):
        errors.append("holdout has %d résumés, want round(%d/3) = %d" % (n_hold, n, round(n / 3)))

    def count(key, value, split=None):
        return sum(1 for l in good if l.get(key) == value and (split is None or l.get("split") == split))

    def held_n(split=None):
        return sum(len(l.get("held") or []) for l in good if split is None or l.get("split") == split)

    def traps_n(kind=None, split=None):
        return sum(1 for l in good if split is None or l.get("split") == split
                   for t in (l.get("traps") or []) if isinstance(t, dict)
                   and (kind is None or t.get("kind") == kind))

    non_en = sum(1 for l in good if l.get("language") in ("de", "es", "fr", "mixed"))
    pdf_html = sum(1 for l in good if l.get("source") in ("pdf", "html"))
    n_ev = sum(len(l.get("evidence") or {}) for l in good)
    if n < MIN_RESUMES:
        errors.append("%d résumés, want at least %d" % (n, MIN_RESUMES))
    if non_en < MIN_NON_ENGLISH:
        errors.append("%d non-English or mixed résumés, want at least %d" % (non_en, MIN_NON_ENGLISH))
    if pdf_html < MIN_PDF_HTML:
        errors.append("%d PDF or HTML résumés, want at least %d" % (pdf_html, MIN_PDF_HTML))
    if held_n() < MIN_HELD:
        errors.append("%d held labels, want at least %d" % (held_n(), MIN_HELD))
    if traps_n() < MIN_TRAPS:
        errors.append("%d traps, want at least %d" % (traps_n(), MIN_TRAPS))

    if not quiet:
        print("%-22s %6s %6s %8s" % ("", "all", "tune", "holdout"))
        print("%-22s %6d %6d %8d" % ("résumés", n, n - n_hold, n_hold))
        for lang in LANGUAGES:
            print("%-22s %6d %6d %8d" % ("language " + lang, count("language", lang),
                                         count("language", lang, "tune"), count("language", lang, "holdout")))
        for src in SOURCES:
            print("%-22s %6d %6d %8d" % ("source " + src, count("source", src),
                                         count("source", src, "tune"), count("source", src, "holdout")))
        print("%-22s %6d %6d %8d" % ("held labels", held_n(), held_n("tune"), held_n("holdout")))
        for kind in TRAP_KINDS:
            print("%-22s %6d %6d %8d" % ("traps " + kind, traps_n(kind),
                                         traps_n(kind, "tune"), traps_n(kind, "holdout")))
        print("%-22s %6d %6d %8d" % ("traps", traps_n(), traps_n(None, "tune"), traps_n(None, "holdout")))
        print("%-22s %6d" % ("evidence entries", n_ev))
        ids = {h for l in good for h in (l.get("held") or [])}
        print("%-22s %6d of %d taxonomy skills" % ("distinct held ids", len(ids), len(skills)))
    for e in errors:
        print("ERROR " + e, file=sys.stderr)
    print("%d résumés, %d held, %d traps: %s" % (n, held_n(), traps_n(),
                                                  "OK" if not errors else "%d errors" % len(errors)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
