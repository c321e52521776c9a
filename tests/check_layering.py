#!/usr/bin/env python3
"""Checks that engine/ is layered: no circle among its files, and no file
asks a folder above its own.

Edges come from two places: the engine names a file calls (sl_* and sl__*
functions, matched to the file that defines them) and the folder of each
`#include "folder/..."` line.  The folders are ordered bottom-up in LAYERS;
a file may use its own folder and those below it.  The CLI and the server
may include nothing of the engine but the public header.

Usage: check_layering.py SOURCE_DIR   (exit 0 when layered, 1 with the
offending edges or circle printed)
       check_layering.py --self-test     (the checker refuses a circle and a
upward call in a made-up tree, and passes a layered one)
"""
import os
import re
import sys

# bottom-up: each folder may use only itself and the folders before it
LAYERS = ["core", "license", "ledger", "seats", "ops", "report", "notify"]
PUBLIC_HEADER = "seatledger.h"

COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
STRING = re.compile(r'"(?:\\.|[^"\\\n])*"')
DEFINITION = re.compile(r"^[A-Za-z_][\w \t\*]*?\b(sl_\w+)\s*\([^;{]*\)\s*\{", re.M)
CALL = re.compile(r"\b(sl_\w+)\s*\(")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def sources(root, exts=(".c", ".h")):
    for dirpath, _, files in os.walk(root):
        for f in sorted(files):
            if f.endswith(exts):
                yield os.path.join(dirpath, f)


def folder_of(path, engine):
    rel = os.path.relpath(path, engine)
    return rel.split(os.sep)[0] if os.sep in rel else ""


def layer(folder):
    return LAYERS.index(folder) if folder in LAYERS else None


def find_cycle(graph):
    """A list of nodes forming a circle, or None (iterative DFS)."""
    colour = {n: 0 for n in graph}
    for start in sorted(graph):
        if colour[start]:
            continue
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        colour[start] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                colour[node] = 2
                stack.pop()
                path.pop()
            elif colour.get(nxt, 0) == 1:
                return path[path.index(nxt):] + [nxt]
            elif colour.get(nxt, 0) == 0:
                colour[nxt] = 1
                stack.append((nxt, iter(sorted(graph[nxt]))))
                path.append(nxt)
    return None


def self_test():
    """The checker must fail on the engine's old circle and an upward call."""
    import tempfile

    def tree(files):
        d = tempfile.mkdtemp(prefix="layering-")
        for rel, text in files.items():
            path = os.path.join(d, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        return d

    circle = {  # the shape of the circle issue 9 removed
        "engine/ledger/license_store.c":
            "int sl__license_current(void) { return sl__add_checks(); }\n",
        "engine/ledger/add_checks.c":
            "int sl__add_checks(void) { return sl__ledger_max(); }\n",
        "engine/ledger/ledger.c":
            "int sl__ledger_max(void) { return sl__license_current(); }\n",
    }
    upward = {
        "engine/license/format.c": '#include "ledger/ledger_internal.h"\n'
                                   "int sl_decode(void) { return 0; }\n",
        "engine/ledger/ledger_internal.h": "int sl_x(void);\n",
    }
    layered = {
        "engine/core/util.c": "int sl__err(void) { return 1; }\n",
        "engine/ledger/store.c": '#include "core/internal.h"\n'
                                 "int sl_store_open(void) { return sl__err(); }\n",
        "engine/core/internal.h": "int sl__err(void);\n",
    }
    results = [run(tree(circle)), run(tree(upward)), run(tree(layered))]
    if results != [1, 1, 0]:
        print(f"self-test failed: circle/upward/layered gave {results}, want [1, 1, 0]")
        return 1
    print("self-test: circle and upward use refused, layered tree passes")
    return 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    return run(sys.argv[1] if len(sys.argv) > 1 else ".")


def run(src):
    engine = os.path.join(src, "engine")
    problems = []

    texts = {}
    for p in sources(engine):
        text = COMMENT.sub(" ", open(p, encoding="utf-8").read())
        texts[p] = text

    owner = {}
    for p, text in texts.items():
        if not p.endswith(".c"):
            continue
        for name in DEFINITION.findall(STRING.sub('""', text)):
            owner[name] = p

    graph = {p: set() for p in texts if p.endswith(".c")}
    for p in graph:
        for name in set(CALL.findall(STRING.sub('""', texts[p]))):
            q = owner.get(name)
            if q and q != p:
                graph[p].add(q)

    # folder order, by calls and by includes
    for p, text in texts.items():
        mine = folder_of(p, engine)
        if mine == "include":
            continue
        if layer(mine) is None:
            problems.append(f"{os.path.relpath(p, src)}: folder '{mine or 'engine/'}' "
                            f"is not in the layer list {LAYERS}")
            continue
        used = [(q, "calls " + os.path.relpath(q, src)) for q in graph.get(p, ())]
        for inc in INCLUDE.findall(text):
            if inc == PUBLIC_HEADER:
                continue
            used.append((os.path.join(engine, inc), f'includes "{inc}"'))
        for q, how in used:
            theirs = folder_of(q, engine)
            if layer(theirs) is None or layer(theirs) > layer(mine):
                problems.append(f"{os.path.relpath(p, src)} ({mine}) {how} ({theirs}): "
                                f"a layer may only use itself and those below it")

    cycle = find_cycle(graph)
    if cycle:
        problems.append("circle: " + " -> ".join(os.path.relpath(c, src) for c in cycle))

    # the CLI and the server see only the public header of the engine
    internal_headers = {os.path.basename(p) for p in texts if p.endswith(".h")} - {PUBLIC_HEADER}
    for top in ("cli", "server"):
        for p in sources(os.path.join(src, top)):
            text = COMMENT.sub(" ", open(p, encoding="utf-8").read())
            for inc in INCLUDE.findall(text):
                base = os.path.basename(inc)
                first = inc.split("/")[0]
                if base in internal_headers or first in LAYERS:
                    problems.append(f"{os.path.relpath(p, src)} includes the engine's "
                                    f'internal "{inc}": use {PUBLIC_HEADER}')

    files = len(graph)
    edges = sum(len(v) for v in graph.values())
    if problems:
        for line in problems:
            print(line)
        return 1
    print(f"engine/ layered: {files} files, {edges} edges, no circle")
    return 0


if __name__ == "__main__":
    sys.exit(main())
