#!/usr/bin/env python3
"""Writes the seed corpora tests/fuzz/corpus/<target>/ from the project's own
data (proto/examples, data/jobs, data/taxonomy.json, tests/data) plus nasty
cases (invalid UTF-8, deep nesting, huge numbers, NULs, BOMs, CRLF).  Seeds
are named seed-*; regression inputs (crash-*, leak-*, ...) added by hand are
left alone.  Run from anywhere: tests/fuzz/seeds.py"""
import glob, json, os, shutil

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")


def read(path, mode="r"):
    with open(os.path.join(ROOT, path), mode) as f:
        return f.read()


def write(target, seeds):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    for old in glob.glob(os.path.join(folder, "seed-*")):
        os.remove(old)
    for index, seed in enumerate(seeds):
        if isinstance(seed, str):
            seed = seed.encode()
        with open(os.path.join(folder, "seed-%03d" % index), "wb") as f:
            f.write(seed)


# JSON nasties every JSON decoder gets
NASTY_JSON = [
    b"", b"{", b"}", b"[]", b"{}", b"null", b"0", b"-", b'"\\u0000"', b'"\\ud800"',
    b'"\\udc00\\ud800"', b'"\xff\xfe"', b'"\xc0\xaf"', b'"\xed\xa0\x80"', b'"\xf4\x90\x80\x80"',
    b"\xef\xbb\xbf{}", b"{\r\n}\r\n", b"{\"a\":1,\"a\":2}", b"[" * 300 + b"]" * 300,
    b"[" * 3000, b'{"a":' * 300 + b"1" + b"}" * 300, b"1e999999", b"-1e-999999",
    b"123456789012345678901234567890", b"9223372036854775808", b"-9223372036854775809",
    b"0.0000000000000000000000000000001e-400", b"[1,]", b"{\"a\" 1}", b"\"\x00\"",
    b"{\"a\":\"\\\"}", b"[\"\\x41\"]", b"[1 2]", b"tru", b"nul", b"[-0, -0.0e+0, 1E2]",
]

CANDIDATES = read("proto/examples/candidates.jsonl").splitlines()
RESUMES = [read(p) for p in sorted(glob.glob(os.path.join(ROOT, "proto/examples/resumes/*.txt")))]
JOBS = [read(p) for p in sorted(glob.glob(os.path.join(ROOT, "data/jobs/*.json")))]
NORMALIZE = [case["input"] for case in json.loads(read("tests/data/normalize_cases.json"))]
EXTRACT = [case["text"] for case in json.loads(read("tests/data/extract_cases.json"))]

# jobmatch.match bodies
match = ['{"candidate": %s}' % line for line in CANDIDATES[:6]]
match.append('{"candidates": [%s], "jobs": ["backend-developer", "database-administrator"]}'
             % ", ".join(CANDIDATES))
match.append('{"candidate": {"id": "cand-0001", "skills": ["Python", "Django"]}, "jobs": ["job-0007"]}')
for index, resume in enumerate(RESUMES[:3]):
    match.append(json.dumps({"candidate": {"id": "r%d" % index, "name": "R", "resume": resume}}))
match += [
    '{"candidate": {"id": 7, "skills": [{"name": "Java", "level": 9, "years": -1, "last_used": 99999}]}}',
    '{"candidate": {"id": "x", "skills": ["\\ud83d\\ude00", "C++", "c#", "k8s", "Pyhton"]}}',
    '{"candidate": {"id": "x", "years_experience": 1e308, "skills": []}}',
    '{"candidates": [{}, {"id": null}, [], "x", {"id": "y", "skills": {}}]}',
    b'{"candidate": {"id": "\xff", "skills": ["\xc3"]}}',
    '{"candidate": {"id": "x", "skills": [' + ", ".join('"s%d"' % i for i in range(300)) + ']}}',
]
write("fuzz_match_request", match + NASTY_JSON)

# job files
jobs = JOBS + [
    '{"id": "j", "title": "T", "requirements": []}',
    '{"id": "j", "title": "T", "requirements": [{"skill": "python", "importance": "required"}]}',
    '{"id": "j", "title": "T", "requirements": [{"any_of": ["python", "Pyhton", "nope"], "weight": 1e308}]}',
    '{"id": "", "title": "\\u0000", "requirements": [{"skill": 1}]}',
]
write("fuzz_job", jobs + NASTY_JSON)

# taxonomy: the real one, and a small valid cut of it
taxonomy = json.loads(read("data/taxonomy.json"))
keep = taxonomy["skills"][:12]
ids = {s["id"] for s in keep}
small = dict(taxonomy, skills=[], siblings=[])
for skill in keep:
    skill = dict(skill)
    for key in ("implies", "parent", "parents", "children"):
        if isinstance(skill.get(key), list):
            skill[key] = [s for s in skill[key] if s in ids]
        elif isinstance(skill.get(key), str) and skill[key] not in ids:
            del skill[key]
    small["skills"].append(skill)
small["siblings"] = [dict(s, skills=[x for x in s["skills"] if x in ids]) for s in taxonomy["siblings"]
                     if len([x for x in s["skills"] if x in ids]) >= 2]
write("fuzz_taxonomy", [read("data/taxonomy.json"), json.dumps(small), json.dumps(small, indent=1)]
      + NASTY_JSON)

# skill names: "name" or "name\0other name" for the distance
names = NORMALIZE + ["Pyhton\0Python", "\0", "a\0b", "ab\0ba", "\xff\xfe", "C++ \t\n-_ .NET",
                     "ＰＹＴＨＯＮ", "x" * 300, "é" * 100 + "\0" + "e" * 100]
write("fuzz_normalize", [n if isinstance(n, bytes) else n.encode("utf-8", "surrogateescape")
                         for n in names] + [b"Java\xc3", b"\xed\xa0\x80", b"\xf0\x9f\x98"])

# résumé text
write("fuzz_extract", EXTRACT + RESUMES + [b"Go\xff", b"Python\r\nJava\r\n", b"\xef\xbb\xbfPostgreSQL",
                                           b"C++\0Java", "Node.js,React;Vue/Go".encode()])

# config: "\x01" + a file, "\x00" + NUL-separated arguments
config = [
    b"\x01# comment\nheartbeat-ms = 250\nname = \"a # b\"\nverbose = yes\nratio = 0.25\n",
    b"\x01heartbeat-ms=5\n", b"\x01name = \"unterminated\n", b"\x01= value\n", b"\x01unknown = 1\n",
    b"\x01count = 99999999999999999999\n", b"\x01scale = 1e999\n", b"\x01ratio = nan\n",
    b"\x01\xef\xbb\xbfname = bom\r\nverbose = on\r\n", b"\x01name = \"x\" trailing\n",
    b"\x01redis-url = redis://:pass@127.0.0.1:6379/0\n", b"\x01count = -0x10\n",
    b"\x00--heartbeat-ms\x00100\x00--verbose\x00arg\x00--\x00--name", b"\x00--no-verbose\x00--count=7",
    b"\x00--ratio\x00", b"\x00--name=\x00--scale=-1e-300", b"\x00--unknown", b"\x00--help",
    b"\x00--config\x00/nonexistent",
]
write("fuzz_config", config)

# batch input: first byte = format (0 auto, 1 jsonl, 2 json, 3 csv)
jsonl = "\n".join(CANDIDATES[:8]) + "\n"
array = "[\n" + ",\n".join("  " + c for c in CANDIDATES[:6]) + "\n]\n"
csv = ('id,name,skills,resume,years_experience\n'
       'c1,Ann,Python;Django;SQL,"Built ""APIs"", in Go",4\n'
       'c2,"Bob, Jr.",Java;Spring,"line one\nline two",\n'
       'c3,Cy,,,x\n"c4",D,C++\n')
batch = [b"\x00" + jsonl.encode(), b"\x01" + jsonl.encode(), b"\x02" + array.encode(),
         b"\x00" + array.encode(), b"\x03" + csv.encode(), b"\x03" + csv.replace("\n", "\r\n").encode(),
         b"\x03\xef\xbb\xbf" + csv.encode(), b"\x01{\"id\":1}\n\n{bad\n\xff\n{\"id\":\"\\u0000\"}\n",
         b"\x02[{\"id\":1},\n  {broken,\n  {\"id\":2}\n]", b"\x03id,skills\n\"open quote,x\n",
         b"\x03name\nA\n", b"\x02[", b"\x02[]", b"\x01" + b"[" * 3000, b"\x03id,skills\nx,\xff\n"]
write("fuzz_batch_input", batch)

# batch JSON: candidates and replies
write("fuzz_batch_json", [c.encode() for c in CANDIDATES[:6]] + [
    b'{"ok":true,"results":[{"id":"c1","score":91.5,"job":"j"}],"errors":[]}',
    b'{"ok":false,"error":{"code":"busy","message":"\\u00e9\\ud83d\\ude00"}}',
    b'  {"a" : [ 1 , 2 , { "b" : null } ] }  ', b'"\\ud800\\u0041"'] + NASTY_JSON)

# jobmatch.jobs and jobmatch.results bodies
body = ['{"op":"list"}', '{"op":"get","id":"backend-developer"}', '{"op":"delete","id":"x"}',
        '{"op":"result","job":"backend-developer","candidate":"cand-0001"}',
        '{"op":"rank","job":"backend-developer","offset":0,"limit":20,"band":"good","min_score":50}',
        '{"op":"candidate","candidate":"cand-0001"}', '{"op":"summary","job":"backend-developer"}',
        '{"op":"best","candidate":%s,"limit":5}' % CANDIDATES[0],
        '{"op":"put","job":{"id":"j1","title":"T","requirements":[{"skill":"Pyhton"},{"skill":"nope"}]}}',
        '{"op":"' + "\u00e9" * 40 + 'x"}', '{"op":"rank","job":"j","offset":-1,"limit":1e9,"band":7}',
        '{"op":"get","id":"a\\u0000b"}', '{"op":"put","op":"get"}', '[]', '{', '']
body += ['{"op":"put","job":%s}' % job for job in JOBS]
write("fuzz_matcher_body", body)

# stored result values and stored profiles
head = ('{"fp":"3:9f2c00aa11bb22cc","version":"3","score":81.5,"at":1764750000000,"band":"good",'
        '"required":"5 of 7","name":"Ann Lee"}')
result = ('{"job":"backend-developer","candidate":"c1","score":81.5,"band":"good",'
          '"requirements":[{"requirement":"Python","status":"met","credit":1}]}')
profile = ('{"id":"c1","name":"Ann","years_experience":4,"skills":[{"id":"python","name":"Python 3",'
           '"level":4,"years":3,"last_used":2025,"from_resume":true},{"id":"nosuch","name":"X","level":1}],'
           '"unknown":["Cobol 2"]}')
write("fuzz_store_result", [head + "\n" + result, head + "\n", head, "{\n", b'{"fp":"\xff"}\n{}',
                            '{"fp":"1:00","name":"' + "x" * 1100 + '"}\n' + result, profile,
                            '{"id":"c","skills":[{"id":"java","level":9,"years":-5}],"unknown":[1]}',
                            "[]\n[]", "\n{}", '{}\n{"a":\\u0000}'])

# dashboard request targets (path and query string)
write("fuzz_dashboard_http", [
    "/", "/index.html", "/healthz", "/metrics", "/?token=abc", "/api/v1/jobs",
    "/api/v1/jobs/backend-developer",
    "/api/v1/jobs/backend-developer/ranking?offset=0&limit=20&min_score=50&band=good&q=ann+lee",
    "/api/v1/jobs/a%2Fb/results/c%20d", "/api/v1/candidates/cand-0001/results", "/api/v1/taxonomy?q=py",
    "/api/v1/jobs/%00", "/api/v1/jobs/%zz", "/api/v1/jobs/%4", "/api/v1/jobs/%C3%A9%FF",
    "/a/b/c/d/e/f/g/h/i/j/k", "//", "/api/v1/jobs/x/ranking?limit=&limit=5&=x&q=%", "/x?a&b=&c=%41%42",
    "http://evil.example/api/v1/jobs", "*",
    "/api/v1/jobs?offset=99999999999999999999&min_score=1e999&band=%00"])
