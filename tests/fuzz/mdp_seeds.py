#!/usr/bin/python3
"""Writes the seed corpora of the Majordomo decoder targets
(tests/fuzz/corpus/fuzz_mdp_*/) in the input format of fuzz_mdp.h: a frame
count byte, then each frame as a length byte (255: two more bytes of
length) and its bytes.  Run from anywhere; rewrites the seed-mdp-* files."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
W, C = b"MDPW01", b"MDPC01"


def encode(frames):
    out = bytes([len(frames) % 256])
    for frame in frames:
        if len(frame) < 255:
            out += bytes([len(frame)]) + frame
        else:
            out += bytes([255, len(frame) >> 8, len(frame) & 255]) + frame
    return out


SEEDS = {
    "fuzz_mdp_client": [
        [b"\x00id", b"", C, b"jobmatch.match", b'{"candidate":{}}'],
        [b"\x00id", b"r-1", b"", C, b"jobmatch.match", b"{}"],
        [b"\x00id", b"hop", b"r-2", b"", C, b"echo", b"part1", b"part2"],
        [b"\x00id", b"", C, b"mmi.service", b"jobmatch.match"],
        [b"\x00id", C, b"echo", b"{}"],
        [b"\x00id", b"", b"MDPC02", b"echo", b"{}"],
        [b"\x00id", b""],
    ],
    "fuzz_mdp_worker": [
        [b"\x00w", b"", W, b"\x01", b"jobmatch.match", b"slots=64", b"heartbeat=1000"],
        [b"\x00w", b"", W, b"\x01", b"echo"],
        [b"\x00w", b"", W, b"\x03", b"\x00" * 12, b"", b'{"ok":true}'],
        [b"\x00w", b"", W, b"\x03", b"\x00" * 12, b"", b"part1", b"part2"],
        [b"\x00w", b"", W, b"\x04"],
        [b"\x00w", b"", W, b"\x05"],
        [b"\x00w", b""],
    ],
    "fuzz_mdp_gateway": [
        [b"", W, b"\x02", b"\x00" * 12, b"", b'{"candidate":{}}'],
        [b"", W, b"\x02", b"\x00" * 12, b"", b"part1", b"part2"],
        [b"", W, b"\x04"],
        [b"", W, b"\x05"],
        [b""],
    ],
    "fuzz_mdp_reply": [
        [b"", C, b"jobmatch.match", b'{"ok":true}'],
        [b"r-1", b"", C, b"jobmatch.match", b'{"ok":true}'],
        [b"r-1", b"", C, b"echo", b"part1", b"part2"],
        [b"", C, b"mmi.service", b"200"],
        [b"", b"MDPC02", b"x", b"y"],
    ],
}

for target, seeds in SEEDS.items():
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        if name.startswith("seed-mdp-"):
            os.remove(os.path.join(folder, name))
    for index, frames in enumerate(seeds):
        with open(os.path.join(folder, "seed-mdp-%02d" % index), "wb") as seed:
            seed.write(encode(frames))
