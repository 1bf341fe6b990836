#!/usr/bin/env python3
"""run.py VEIL [CASES_DIR] - the adversarial masking suite.

Each case is two files in cases/: NAME.rec, a recording exactly as a careless
site or an attacker would send it (fed to `veil mask` byte for byte), and
NAME.json, which says what must not survive:

  class          the leak class the case belongs to (docs/masking.md)
  about          what the case is, in a sentence
  config         masking options for the demo site (and [page ...] sections)
  absent         strings no output string may contain, read every way a
                 consumer could read it: JSON-decoded, percent-decoded,
                 NFKC-normalised, in object keys too
  absent_digits  digit sequences (cards, codes) no string may hold, whatever
                 script, separators or encoding the digits are written in;
                 for a card, no more than its first 6 digits may survive
  present        strings some output string must still contain, unchanged
                 (over-masking breaks replays)

Digits are also checked in JSON numbers, and across the concatenated strings
of each event, so a card split over sibling text nodes counts. Prints one line per case and a
summary; exits 1 when any case fails.
"""
import json
import os
import subprocess
import sys
import tempfile
import unicodedata
import urllib.parse


class Members(list):
    """An object's members as (key, value) pairs: duplicate keys are kept, so
    an earlier duplicate that JSON.parse would drop is still checked."""

    def get(self, key):
        found = [v for k, v in self if k == key]
        return found[-1] if found else None


def parse(text):
    return json.loads(text, object_pairs_hook=Members)


def load_output(text):
    """The masked output: a JSON value, or JSON Lines."""
    try:
        return [parse(text)]
    except json.JSONDecodeError:
        return [parse(line) for line in text.splitlines() if line.strip()]


def strings_of(value, numbers=False):
    """Every string in a JSON value, keys included (and with `numbers`, the
    digits of every number), in document order."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, (int, float)):
        if numbers:
            yield str(value)
    elif isinstance(value, Members):
        for key, item in value:
            yield key
            yield from strings_of(item, numbers)
    elif isinstance(value, list):
        for item in value:
            yield from strings_of(item, numbers)


def events_of(docs):
    for doc in docs:
        if isinstance(doc, Members):
            yield doc
            if isinstance(doc.get("events"), list):
                yield from doc.get("events")
        elif isinstance(doc, list):
            yield from doc


def readings(s):
    """The ways a consumer could read one string."""
    out = {s, unicodedata.normalize("NFKC", s)}
    for r in list(out):
        out.add(urllib.parse.unquote(r))
        out.add(urllib.parse.unquote_plus(r))
    return out


def digits_of(s):
    """The decimal digits of s, in any script, as ASCII."""
    out = []
    for r in (urllib.parse.unquote(s),):
        for ch in r:
            d = unicodedata.decimal(ch, None)
            if d is not None:
                out.append(str(d))
    return "".join(out)


def leaked_digits(secret, digits):
    if len(secret) >= 12:  # a card: no more than its first 6 digits
        return any(secret[:n] in digits for n in range(7, len(secret) + 1))
    return secret in digits


def check_case(veil, cases, name):
    with open(os.path.join(cases, name + ".json"), encoding="utf-8") as f:
        spec = json.load(f)
    with tempfile.TemporaryDirectory() as work:
        conf = os.path.join(work, "veil.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write("[site demo]\nkey = demo-site-key\n" + spec.get("config", "") + "\n")
        with open(os.path.join(cases, name + ".rec"), "rb") as rec:
            run = subprocess.run([veil, "mask", "--config", conf], stdin=rec,
                                 capture_output=True, timeout=60)
    if run.returncode != 0:
        return "veil mask exited %d: %s" % (run.returncode, run.stderr.decode(errors="replace").strip())
    try:
        docs = load_output(run.stdout.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        return "output is not JSON: %s" % e
    all_strings = list(strings_of(docs))
    for secret in spec.get("absent", []):
        for s in all_strings:
            if any(secret in r for r in readings(s)):
                return "%r survives in %r" % (secret, s[:120])
    for secret in spec.get("absent_digits", []):
        for s in strings_of(docs, numbers=True):
            if leaked_digits(secret, digits_of(s)):
                return "digits of %s survive in %r" % (secret, s[:120])
        for ev in events_of(docs):
            joined = digits_of("".join(strings_of(ev)))
            if leaked_digits(secret, joined):
                return "digits of %s survive across the strings of one event" % secret
    for keep in spec.get("present", []):
        if not any(keep in s for s in all_strings):
            return "%r was changed or lost (over-masking)" % keep
    return None


def main():
    veil = os.path.abspath(sys.argv[1])
    cases = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "cases")
    names = sorted(f[:-5] for f in os.listdir(cases) if f.endswith(".json"))
    passed = failed = 0
    for name in names:
        with open(os.path.join(cases, name + ".json"), encoding="utf-8") as f:
            klass = json.load(f)["class"]
        why = check_case(veil, cases, name)
        if why:
            failed += 1
            print("not ok - %s/%s: %s" % (klass, name, why))
        else:
            passed += 1
            print("ok - %s/%s" % (klass, name))
    print("adversarial: %d passed, %d failed" % (passed, failed))
    return 1 if failed or not names else 0


if __name__ == "__main__":
    sys.exit(main())
