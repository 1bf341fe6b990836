#!/usr/bin/env python3
"""run.py VEIL [CASES_DIR] - the adversarial masking suite.

Each case is two files in cases/: NAME.rec, a recording exactly as a careless
site or an attacker would send it (fed to `veil mask` byte for byte), and
NAME.json, which says what must not survive:

  class          the leak class the case belongs to (docs/masking.md)
  about          what the case is, in a sentence
  config         masking options for the demo site (and [page ...] sections)
  absent         strings no output string may contain, read every way a
                 consumer could read it: JSON-decoded, percent-decoded
                 (JavaScript's "%uXXXX" too), NFKC-normalised, unpacked
                 (@rrweb/packer's zlib), in
                 object keys too
  absent_digits  digit sequences (cards, codes) no string may hold, whatever
                 script, separators or encoding the digits are written in;
                 for a card, no more than its first 6 digits may survive,
                 nor 8 of its other digits in a row (a card masked in part)
  present        strings some output string must still contain, unchanged
                 (over-masking breaks replays)
  hidden_states  node ids of sensitive checkboxes, radios and options whose
                 state must not survive: no true or false isChecked in an
                 input event, no checked or selected attribute but null

Digits are also checked in JSON numbers, across the concatenated strings
of each event, so a card split over sibling text nodes counts, and (cards)
across the strings and numbers each object or list holds, so a card sent a
group per member counts.

Each case also runs written three other ways a site's tooling writes JSON,
under its own options: with every non-ASCII character escaped as \\uXXXX
(Python's and PHP's default), pretty-printed, each event over many
lines (jq's default), and as JSON Lines with Windows line ends (an
exporter's file). Then every case runs again under each site policy in
POLICIES (its options
added to the case's own, unless the case sets them itself: every rule
crossed with every other). Under any policy `veil mask` must succeed and no
card number may survive; for the classes in ANY_POLICY, whose promise no
policy changes (cards, card fields, passwords, sensitive fields, secrets by
name), nothing in `absent` or `absent_digits` may survive either.

Prints one line per case and run, and a summary; exits 1 when any fails.
"""
import base64
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile
import unicodedata
import urllib.parse
import zlib


class Members(list):
    """An object's members as (key, value) pairs: duplicate keys are kept, so
    an earlier duplicate that JSON.parse would drop is still checked."""

    def get(self, key):
        found = [v for k, v in self if k == key]
        return found[-1] if found else None


def parse(text):
    return json.loads(text, object_pairs_hook=Members)


def load_output(text):
    """The masked output: a JSON value, or JSON values one after another
    (JSON Lines, or pretty-printed values)."""
    decoder = json.JSONDecoder(object_pairs_hook=Members)
    values, at = [], 0
    while True:
        while at < len(text) and text[at] in " \t\r\n":  # (not isspace(): U+2028 is in strings)
            at += 1
        if at == len(text):
            return values
        value, at = decoder.raw_decode(text, at)
        values.append(value)


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


BASE64_WORD = re.compile(r"[A-Za-z0-9+/_-]{16,}")


# Keys under which rrweb writes numbers of its own (node ids, positions, times).
RRWEB_NUMBER_KEYS = {"id", "type", "source", "timestamp", "parentId", "nextId", "previousId",
                     "rootId", "x", "y", "timeOffset", "width", "height", "left", "top",
                     "pointerType", "level", "speed"}


def scalar_runs(value):
    """For each object and list in a JSON value, the strings and numbers it
    holds directly, keys left out (and rrweb's own numbers), joined in order:
    a card sent a group per member or item ({"cc1": 4111, "cc2": "1111",
    ...}) reads whole there."""
    if isinstance(value, Members):
        items = [item for key, item in value
                 if isinstance(item, str) or key not in RRWEB_NUMBER_KEYS]
    elif isinstance(value, list):
        items = value
    else:
        return
    yield "".join(str(v) for v in items
                  if isinstance(v, (str, int, float)) and not isinstance(v, bool))
    for item in items:
        yield from scalar_runs(item)


def base64_texts(s):
    """The text that base64 words of s decode to (either alphabet, padding
    or not; words between slashes too), where it is text."""
    words = set(BASE64_WORD.findall(s))
    words |= {part for w in list(words) for part in w.split("/") if len(part) >= 16}
    for word in words:
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                text = decode(word[: len(word) - len(word) % 4 if len(word) % 4 == 1 else len(word)]
                              + "=" * (-len(word) % 4)).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                continue
            if text.isprintable():
                yield text


def packed_text(s):
    """What a string that @rrweb/packer wrote holds (zlib bytes as a
    latin-1 string), or None."""
    try:
        return zlib.decompress(s.encode("latin-1")).decode("utf-8")
    except (UnicodeEncodeError, zlib.error, UnicodeDecodeError):
        return None


def typed_values(docs):
    """The last value typed into each field (input events), fields in the
    order they were first typed into: a number typed across boxes."""
    last = {}
    for ev in events_of(docs):
        data = ev.get("data") if isinstance(ev, Members) else None
        if isinstance(data, Members) and data.get("source") == 5 and isinstance(data.get("text"), str):
            field = json.dumps(data.get("id"))
            last[field] = data.get("text")  # a dict keeps each field where it first came
    return list(last.values())


JS_ESCAPE = re.compile(r"%u([0-9A-Fa-f]{4})")


def js_unescaped(s):
    """s with the "%uXXXX" of JavaScript's escape() read as its character, as
    unescape() reads it (a surrogate half is left as written)."""
    def char(m):
        cp = int(m.group(1), 16)
        return m.group(0) if 0xD800 <= cp <= 0xDFFF else chr(cp)
    return JS_ESCAPE.sub(char, s)


def readings(s):
    """The ways a consumer could read one string."""
    out = {s, unicodedata.normalize("NFKC", s)}
    if packed_text(s) is not None:
        out.add(packed_text(s))
    for r in list(out):
        out.add(urllib.parse.unquote(js_unescaped(r)))
        out.add(urllib.parse.unquote_plus(js_unescaped(r)))
    for r in list(out):
        out.update(base64_texts(r))
    return out


# Decimal digits Unicode added after the version Python's unicodedata may
# know (14.0): the zero of each run of ten (15.0 Kawi, Nag Mundari; 16.0
# Garay, Myanmar Pao and Eastern Pwo Karen, Sunuwar, Gurung Khema, Kirat Rai,
# outlined digits, Ol Onal).
NEWER_DIGIT_ZEROS = [0x10D40, 0x116D0, 0x116DA, 0x11BF0, 0x11F50, 0x16130, 0x16D70, 0x1CCF0,
                     0x1E4F0, 0x1E5F1]


def digit_of(ch):
    """The digit ch reads as, in any script and any drawing (raised,
    circled: Unicode's digit property), or None."""
    d = unicodedata.digit(ch, None)
    if d is None:
        d = next((ord(ch) - z for z in NEWER_DIGIT_ZEROS if 0 <= ord(ch) - z <= 9), None)
    return d


def digits_of(s):
    """The digits of s, in any script, as ASCII; and on their own, those of
    the text its base64 words decode to."""
    out = []
    plain = urllib.parse.unquote(js_unescaped(s))
    packed = [packed_text(s)] if packed_text(s) is not None else []
    for r in [plain] + list(base64_texts(plain)) + packed:
        for ch in r:
            d = digit_of(ch)
            if d is not None:
                out.append(str(d))
        out.append(" ")
    return "".join(out)


def leaked_digits(secret, digits):
    if len(secret) >= 12:
        # a card: no more than its first 6 digits; nor 8 of the rest in a row
        # (those with 3 different digits or more: "00000000" is in any timestamp)
        return any(secret[:n] in digits for n in range(7, len(secret) + 1)) or any(
            secret[k:k + 8] in digits for k in range(1, len(secret) - 7)
            if len(set(secret[k:k + 8])) >= 3)
    return secret in digits


# Site policies each case also runs under: IP octets, PII, inputs, selectors.
POLICIES = [
    "ip_octets = 0", "ip_octets = 1", "ip_octets = 2", "ip_octets = 3", "ip_octets = 4",
    "record_pii = true",
    "record_inputs = true",
    "record_inputs = true\nrecord_pii = true\nip_octets = 3",
    "mask_selector = p, div, span, li, td\nallow_selector = input, textarea, select",
]

# Classes whose absent lists hold under every policy.
ANY_POLICY = {"card-separators", "card-reader", "card-field-names", "iin-schemes", "long-runs",
              "split-text-nodes", "unicode-digits", "password-sticks", "secret-inputs",
              "sensitive-attributes", "sensitive-wins", "payload-names", "late-selector",
              "unexpected-members"}


def option_names(config):
    return {line.split("=")[0].strip() for line in config.splitlines() if "=" in line}


def with_policy(spec, policy):
    """The case's spec under one more site policy, or None when the case
    sets those options itself (its own choice is what it tests)."""
    own = spec.get("config", "")
    site, page, pages = own.partition("[page")
    if option_names(policy) & option_names(site):
        return None
    cards = [d for d in spec.get("absent_digits", []) if len(d) >= 12]
    keep_all = spec["class"] in ANY_POLICY
    return {"class": spec["class"],
            "config": site + "\n" + policy + "\n" + page + pages,
            "absent": spec.get("absent", []) if keep_all else [],
            "absent_digits": spec.get("absent_digits", []) if keep_all else cards,
            "hidden_states": spec.get("hidden_states", []) if keep_all else []}


def escaped(text):
    """The recording with every non-ASCII character written as \\uXXXX."""
    def escape(ch):
        cp = ord(ch)
        if cp < 0x80:
            return ch
        if cp < 0x10000:
            return "\\u%04x" % cp
        cp -= 0x10000
        return "\\u%04x\\u%04x" % (0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF))
    return "".join(escape(ch) for ch in text)


def pretty(text):
    """The recording pretty-printed, two spaces a level; duplicate keys and
    the order of keys kept. JSON Lines stay one value after another."""
    def dump(v, indent):
        inner = "\n" + "  " * (indent + 1)
        if isinstance(v, Members):
            items = [json.dumps(k, ensure_ascii=False) + ": " + dump(x, indent + 1) for k, x in v]
        elif isinstance(v, list):
            items = [dump(x, indent + 1) for x in v]
        else:
            return json.dumps(v, ensure_ascii=False)
        if not items:
            return "{}" if isinstance(v, Members) else "[]"
        open_, close = ("{", "}") if isinstance(v, Members) else ("[", "]")
        return open_ + inner + ("," + inner).join(items) + "\n" + "  " * indent + close
    return "\n".join(dump(v, 0) for v in load_output(text)) + "\n"


def compact(v):
    """One JSON value on one line, duplicate keys and key order kept."""
    if isinstance(v, Members):
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + compact(x) for k, x in v) + "}"
    if isinstance(v, list):
        return "[" + ",".join(compact(x) for x in v) + "]"
    return json.dumps(v, ensure_ascii=False)


def json_lines(text):
    """The recording as JSON Lines with Windows line ends: each event of a
    top-level array on a line of its own (a file a site's exporter or a
    Windows tool writes)."""
    values = []
    for v in load_output(text):
        values.extend(v if isinstance(v, list) and not isinstance(v, Members) else [v])
    return "".join(compact(v) + "\r\n" for v in values)


FORMS = [("", None), (" [escaped]", escaped), (" [pretty-printed]", pretty),
         (" [JSON Lines, CRLF]", json_lines)]


def shown_state(v, ids):
    """A node of ids whose checked or selected state v still shows, or None."""
    if isinstance(v, Members):
        if v.get("id") in ids:
            if isinstance(v.get("isChecked"), bool):
                return "isChecked %s of node %s" % (v.get("isChecked"), v.get("id"))
            attrs = v.get("attributes")
            for key, x in attrs if isinstance(attrs, Members) else []:
                if key in ("checked", "selected") and x is not None:
                    return "%s=%r of node %s" % (key, x, v.get("id"))
        items = [x for _, x in v]
    else:
        items = v if isinstance(v, list) else []
    for x in items:
        found = shown_state(x, ids)
        if found:
            return found
    return None


def check_case(veil, cases, name, spec=None, form=None):
    if spec is None:
        with open(os.path.join(cases, name + ".json"), encoding="utf-8") as f:
            spec = json.load(f)
    with open(os.path.join(cases, name + ".rec"), "rb") as rec:
        data = rec.read()
    if form:
        data = form(data.decode("utf-8")).encode("utf-8")
    with tempfile.TemporaryDirectory() as work:
        conf = os.path.join(work, "veil.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write("[site demo]\nkey = demo-site-key\n" + spec.get("config", "") + "\n")
        run = subprocess.run([veil, "mask", "--config", conf], input=data,
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
        for run in (scalar_runs(docs) if len(secret) >= 12 else []):
            if leaked_digits(secret, digits_of(run)):
                return "digits of %s survive across the members of one object: %r" % (
                    secret, run[:120])
        if leaked_digits(secret, digits_of("".join(typed_values(docs)))):
            return "digits of %s survive across the values typed into several fields" % secret
    shown = shown_state(docs, set(spec.get("hidden_states", [])))
    if shown:
        return "the state survives: " + shown
    for keep in spec.get("present", []):
        if not any(keep in s for s in all_strings):
            return "%r was changed or lost (over-masking)" % keep
    return None


def main():
    veil = os.path.abspath(sys.argv[1])
    cases = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "cases")
    names = sorted(f[:-5] for f in os.listdir(cases) if f.endswith(".json"))
    runs = []
    for name in names:
        with open(os.path.join(cases, name + ".json"), encoding="utf-8") as f:
            spec = json.load(f)
        runs += [(name, spec, label, spec, form) for label, form in FORMS]
        runs += [(name, spec, " [%s]" % p.replace("\n", "; "), with_policy(spec, p), None)
                 for p in POLICIES]
    runs = [r for r in runs if r[3] is not None]
    # each run is a `veil mask` of its own: as many at once as there are CPUs
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        verdicts = pool.map(lambda r: check_case(veil, cases, r[0], r[3], r[4]), runs)
        passed = failed = 0
        for (name, spec, label, _, _), why in zip(runs, verdicts):
            if why:
                failed += 1
                print("not ok - %s/%s%s: %s" % (spec["class"], name, label, why))
            else:
                passed += 1
                print("ok - %s/%s%s" % (spec["class"], name, label))
    print("adversarial: %d passed, %d failed" % (passed, failed))
    return 1 if failed or not names else 0


if __name__ == "__main__":
    sys.exit(main())
