#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""validate-json.py - check rsttrace's JSON lines against schema/rsttrace.schema.json.

usage: tests/validate-json.py [--schema FILE] [--label PREFIX] FILE...

For each FILE, one line: "PASS PREFIX FILE: N lines" or "FAIL PREFIX FILE: line L: why" (the
first few bad lines, each with its line number, the key path and the schema's complaint), the
format tests/run.sh counts. Exit 0 when every file is valid, 1 when one is not, 2 when the
validator cannot run (no python3-jsonschema, bad schema).

Runs with Debian's /usr/bin/python3 on purpose: python3-jsonschema (tests/install-deps.sh)
installs there, whatever other python3 comes first in PATH.
"""
import json
import os
import sys

MAX_REPORTED = 5  # bad lines shown per file; the count says how many there were in all


def load_validator(schema_path):
    try:
        import jsonschema
    except ImportError:
        print("FAIL schema: python3-jsonschema is not installed (tests/install-deps.sh)")
        sys.exit(2)
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)  # a broken schema must not pass everything
    return cls(schema)


def where(err):
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path)
    return path or "(the line)"


def line_errors(validator, text):
    """The complaints about one line, most specific first; [] when it is valid."""
    try:
        obj = json.loads(text)
    except ValueError as e:
        return [f"not JSON: {e}"]
    errs = sorted(validator.iter_errors(obj), key=lambda e: -len(e.absolute_path))
    return [f"{where(e)}: {e.message}" for e in errs]


def check_file(validator, path, label):
    bad = []
    nbad = 0
    n = 0
    try:
        # bytes, then strict UTF-8: invalid UTF-8 is itself an error of the writer
        with open(path, "rb") as f:
            for n, raw in enumerate(f, 1):
                if not raw.endswith(b"\n"):
                    errs = ["no newline at the end: a truncated line"]
                else:
                    try:
                        errs = line_errors(validator, raw.decode("utf-8"))
                    except UnicodeDecodeError as e:
                        errs = [f"invalid UTF-8: {e}"]
                if errs:
                    nbad += 1
                    if len(bad) < MAX_REPORTED:
                        bad.append(f"line {n}: {errs[0]}" +
                                   (f" (and {len(errs) - 1} more)" if len(errs) > 1 else ""))
    except OSError as e:
        print(f"FAIL {label}{path}: {e.strerror}")
        return False
    if nbad:
        print(f"FAIL {label}{path}: {nbad} of {n} lines invalid: " + "; ".join(bad))
        return False
    print(f"PASS {label}{path}: {n} lines")
    return True


def main(argv):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    schema = os.path.join(root, "schema", "rsttrace.schema.json")
    label = "schema "
    files = []
    args = iter(argv)
    for a in args:
        if a == "--schema":
            schema = next(args, None)
        elif a == "--label":
            label = next(args, "")
        elif a.startswith("-"):
            print(f"validate-json.py: unknown option '{a}'", file=sys.stderr)
            return 2
        else:
            files.append(a)
    if not files or not schema:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    validator = load_validator(schema)
    results = [check_file(validator, p, label) for p in files]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
