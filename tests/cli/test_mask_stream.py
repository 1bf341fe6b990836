#!/usr/bin/env python3
"""test_mask_stream.py VEIL - `veil mask` cuts what it reads at every place
a buffer can end: recordings whose events range from a few bytes to several
megabytes (its reads are 1 MB, its buffers 2 MB and up), with the
separators people and tools write, through a file and through a pipe. Clean
events must come out byte for byte; a card in any event, wherever its event
falls, must come out masked and nothing else changed."""
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

VEIL = sys.argv[1]
CARD = "4242 4242 4242 4242"
MASKED = "**** **** **** ****"
results = {"passed": 0, "failed": 0}


def check(name, ok):
    results["passed" if ok else "failed"] += 1
    print(("ok - " if ok else "not ok - ") + name)


def event(rng, words, n, size):
    """A custom event of about `size` bytes of words; some carry a card."""
    text = rng.choices(words, k=size // 6 + 1)
    card = rng.random() < 0.3
    if card:
        text.insert(rng.randint(0, len(text)), CARD)
    return '{"type":5,"data":{"tag":"note","payload":"%s"},"timestamp":%d}' % (" ".join(text), n), card


def sizes(rng, total):
    """Event sizes around the reader's edges: runs of small events (a batch
    is 512 events or 1 MB), and events of ~1 MB, ~2 MB and several MB."""
    out, length = [], 0
    while length < total:
        kind = rng.choices(["run", "medium", "1M", "2M", "large"], weights=[4, 2, 1, 1, 1])[0]
        if kind == "run":
            run = [rng.randint(10, 300) for _ in range(rng.randint(1, 1500))]
        elif kind == "medium":
            run = [rng.randint(1000, 90000)]
        elif kind == "large":
            run = [rng.randint(3 << 20, 5 << 20)]
        else:
            run = [(1 << 20 if kind == "1M" else 2 << 20) + rng.randint(-2000, 2000)]
        out += run
        length += sum(run)
    return out


def mask(path, piped, *flags):
    """veil mask's exit status and output, path on stdin as a file or a pipe."""
    try:
        with open(path, "rb") as f:
            if not piped:
                run = subprocess.run([VEIL, "mask", *flags], stdin=f, capture_output=True,
                                     timeout=120)
                return run.returncode, run.stdout.decode(errors="replace")
            cat = subprocess.Popen(["cat"], stdin=f, stdout=subprocess.PIPE)
            try:
                run = subprocess.run([VEIL, "mask"], stdin=cat.stdout, capture_output=True,
                                     timeout=120)
            finally:
                cat.stdout.close()  # (veil's end only: cat stops if veil does)
                cat.kill()
                cat.wait()
            return run.returncode, run.stdout.decode(errors="replace")
    except subprocess.TimeoutExpired:
        return None, ""


def case(rng, work, name, lines, batches=False):
    words = ["".join(rng.choices("abcdefghij", k=rng.randint(1, 9))) for _ in range(1000)]
    events = [event(rng, words, n, size) for n, size in enumerate(sizes(rng, 24 << 20))]
    separators = [",", ",\n", "\n,\n  ", " , "]
    if batches:  # a wire batch (an array of events) per line, the first line one too
        text, i = "", 0
        while i < len(events):
            n = rng.randint(1, 20)
            text += "[" + ",".join(e for e, _ in events[i:i + n]) + "]" + rng.choice(["\n", "\r\n"])
            i += n
    elif lines:  # some events pretty-printed over several lines
        text = "".join((e if rng.random() < 0.8 else "{\n  " + e[1:-1] + "\n}") +
                       rng.choice(["\n", "\r\n", "\n\n"]) for e, _ in events)
    else:
        text = "  [" + "".join(e + (rng.choice(separators) if i + 1 < len(events) else "")
                               for i, (e, _) in enumerate(events)) + "]\n"
    path = work / (name + (".jsonl" if lines else ".json"))
    path.write_text(text)
    want = text.replace(CARD, MASKED)
    cards = sum(card for _, card in events)
    for piped in (False, True):
        how = "a pipe" if piped else "a file"
        rc, got = mask(path, piped)
        check("%s (%d events, %d with a card) through %s: exit 0" % (name, len(events), cards, how),
              rc == 0)
        check("%s through %s: every card masked, every other byte kept" % (name, how),
              got == want)
    if batches:
        return  # (the report counts a line after the first as one event)
    # The report adds up every batch: each event once, each card once.
    report = work / "report.json"
    rc, _ = mask(path, False, "--report", str(report))
    counted = json.loads(report.read_text()) if rc == 0 else {}
    check("%s: the report counts %d events and %d cards" % (name, len(events), cards),
          counted.get("events") == len(events) and
          counted.get("findings", {}).get("card_elsewhere") == cards)


def main():
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 12)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for i in range(3):
            case(rng, work, "array %d" % (i + 1), lines=False)
        for i in range(2):
            case(rng, work, "JSON Lines %d" % (i + 1), lines=True)
        case(rng, work, "JSON Lines of batches", lines=True, batches=True)
    print("mask-stream: %d passed, %d failed" % (results["passed"], results["failed"]))
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
