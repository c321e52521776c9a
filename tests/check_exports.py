#!/usr/bin/env python3
"""Checks that the shared library exports exactly the public header's
functions: every symbol in its dynamic symbol table must be declared in
engine/include/seatledger.h, and every function the header declares must be
exported (an embedder could not link it otherwise).

Usage: check_exports.py HEADER LIBRARY   (exit 0 when they agree, 1 with the
stray and the missing names printed)
       check_exports.py --self-test    (the checker refuses a stray export
and a missing one, and passes a matching pair)
"""
import re
import subprocess
import sys

COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
PREPROCESSOR = re.compile(r"^\s*#.*?(?<!\\)$", re.M | re.S)
# a declaration "TYPE name(" at the top level: the name follows a type word
# or a '*', never a '(' (that would be a function-pointer typedef)
DECLARATION = re.compile(r"(?:[\w\*]\s+\**|\*)\s*(sl_\w+)\s*\(")


def declared(header_text):
    text = COMMENT.sub(" ", header_text)
    text = PREPROCESSOR.sub(" ", text)
    return set(DECLARATION.findall(text))


def exported(library):
    out = subprocess.run(["nm", "-D", "--defined-only", library], check=True,
                         capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            names.add(parts[2].split("@")[0])
    return names


def compare(decl, exp):
    """Messages for every disagreement; empty when the two sets agree."""
    problems = []
    for name in sorted(exp - decl):
        problems.append(f"exported but not declared in seatledger.h: {name}")
    for name in sorted(decl - exp):
        problems.append(f"declared in seatledger.h but not exported: {name}")
    return problems


def self_test():
    header = """
    /* sl_in_comment(void) */
    #define SL_MACRO(x) sl_macro_call(x)
    typedef void (*sl_progress_fn)(void *ud);
    sl_rc sl_open(const char *p,
                  int flags);
    const char *sl_name(int i);
    int64_t sl_now(void);
    """
    decl = declared(header)
    ok = decl == {"sl_open", "sl_name", "sl_now"}
    ok = ok and compare(decl, {"sl_open", "sl_name", "sl_now"}) == []
    ok = ok and compare(decl, {"sl_open", "sl_name", "sl_now", "sl__internal"}) == [
        "exported but not declared in seatledger.h: sl__internal"]
    ok = ok and compare(decl, {"sl_open", "sl_name"}) == [
        "declared in seatledger.h but not exported: sl_now"]
    print("self-test passed" if ok else f"self-test FAILED (parsed {sorted(decl)})")
    return 0 if ok else 1


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        decl = declared(f.read())
    exp = exported(argv[2])
    problems = compare(decl, exp)
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"{len(exp)} exported symbols, all declared in seatledger.h")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
