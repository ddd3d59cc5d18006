#!/usr/bin/env python3
"""Import circles between the files of one crate: reads every `crate::a::b` and `super::a` path in
each source file (test modules left out), resolves it to the file that defines the module, and
prints the strongly connected groups of files. Exits 1 when a group is larger than --max files.

Usage: scripts/import-circles.py [--max N] CRATE_SRC_DIR...
"""
import os
import re
import sys
from collections import defaultdict


def modules(root):
    files = {}
    for d, _, names in os.walk(root):
        for f in names:
            if f.endswith('.rs'):
                path = os.path.join(d, f)
                rel = os.path.relpath(path, root)[:-3]
                if rel.endswith('/mod'):
                    rel = rel[:-4]
                mod = '' if rel in ('lib', 'main') else rel.replace('/', '::')
                files[mod] = path
    return files


def edges(files):
    def resolve(path):
        parts = path.split('::')
        for k in range(len(parts), 0, -1):
            m = '::'.join(parts[:k])
            if m in files:
                return m
        return None

    g = defaultdict(set)
    for mod, path in files.items():
        text = open(path, encoding='utf-8').read()
        text = re.sub(r'#\[cfg\(test\)\]\s*mod tests\s*\{.*', '', text, flags=re.S)
        for m in re.finditer(r'\bcrate::((?:[a-z_0-9]+::)*[a-z_0-9]+)', text):
            t = resolve(m.group(1))
            if t is not None and t != mod:
                g[mod].add(t)
        parent = mod.rsplit('::', 1)[0] if '::' in mod else ''
        for m in re.finditer(r'\bsuper::((?:[a-z_0-9]+::)*[a-z_0-9]+)', text):
            t = resolve((parent + '::' if parent else '') + m.group(1))
            if t is not None and t != mod:
                g[mod].add(t)
    return g


def groups(files, g):
    index, low, stack, on, out = {}, {}, [], set(), []
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in g[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in files:
        if v not in index:
            visit(v)
    return sorted(out, key=len, reverse=True)


def main(argv):
    most = 3
    if argv[:1] == ['--max']:
        most, argv = int(argv[1]), argv[2:]
    bad = False
    for root in argv:
        files = modules(root)
        found = groups(files, edges(files))
        sizes = [len(c) for c in found]
        print(f'{root}: {len(files)} files, circles of {sizes or "none"}')
        for c in found:
            if len(c) > most:
                bad = True
                print(f'  more than {most} files import one another: {", ".join(c)}')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
