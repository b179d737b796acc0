#!/usr/bin/env python3
"""twotables.py - writers and checkers of two tables kept consistent by
transactions that span both (the helper of t7100 and t7200).

The tables:

    a (id integer primary key, v text)
    b (id integer primary key, n integer)

Writer W (1, 2, 3, ...) owns the balance rows a(-W) and b(-W), and the
keys BASE..BASE+99999 of both tables.  Every transaction it writes keeps
these invariants, which any consistent snapshot of both tables shows:

  - a pair: a key K > 0 is in a exactly when it is in b, and a's text
    names b's value: v = vtext(K, n) = "K:n" + a suffix chosen by n (a
    comma, quotes, a newline, a TAB, a backslash, a CR, UTF-8), so every
    rendering has something to escape;
  - a balance: int(a(-W).v) + b(-W).n = 1000; a transfer moves an amount
    from one table to the other in one transaction.

A transaction (one write(2) to the writer's own ctl fd, in half of them
framed by begin/commit lines, else several lines in one write) inserts
its marker pair K = BASE + s (s its sequence number, from 1; never
deleted) and does 0..3 more of: insert a scratch pair (BASE + 50000 + s),
update a pair of its own, delete a scratch pair, transfer an amount.  The
writer logs s to MODEL.acked (unbuffered) only after write() returned the
whole length, and reads the replies after each write: one `Executed.` a
statement.

Commands (exit 0, or 1 with a line "FAIL ..." on stdout):

  writer CTL W SECS SEED BASE MODEL [expect-kill]
      Writes transactions for SECS seconds; reads the starting balances
      from MNT/tables/{a,b}/by-id/-W (MNT: the directory of CTL).  At the
      end MODEL (JSON) holds the rows of W after the acknowledged
      transactions ("acked") and after those and the one in flight, if a
      write failed ("pending", else null).  Without expect-kill a failed
      or short write is a failure; with it, the first one ends the writer
      (the daemon was killed).
  reader MNT SECS W
      Loops for SECS seconds over tables/a/rows (COPY text),
      tables/b/rows.csv (python's csv, strict), tables/a/rows.ndjson
      (json), the listing of tables/b/by-id, a/first/N, b/last/N,
      b/range/-W..-1, a/range/A..B and A-B, a few row files a/by-id/K, and
      dump: each sorted by key with no key twice, every row well-formed,
      the slices within their bounds; on each dump (one snapshot of both
      tables) the invariants of writers 1..W hold.  Prints how many
      of each it read.
  final MNT W MODEL...
      The dump holds exactly the rows of the models' "acked" states.
  after-kill MNT W PREV OUT MODEL...
      After a kill and a remount: the dump's invariants hold; each model's
      rows (its keys and balances) are exactly its "acked" or its
      "pending" state; every logged transaction's marker is in a and b;
      every other row is as in PREV (a JSON file of an earlier after-kill,
      or "-" for none); the dump's rows go to OUT.
"""
import csv
import io
import json
import os
import random
import re
import sys
import time

SUFFIX = ["", ",", "\"q\"", "\n", "\t", "\u00e9", "\\", "'", " x,\"\n\r"]
SPAN = 100000        # keys a writer owns
SCRATCH = 50000      # offset of its scratch pairs
START = 1000         # what a writer's two balances add up to


class Bad(Exception):
    """a broken rendering or invariant"""


def need(cond, what):
    if not cond:
        raise Bad(what)


def vtext(k, n):
    """a's text of the pair (k, n)."""
    return "%d:%d%s" % (k, n, SUFFIX[n % len(SUFFIX)])


def lit(s):
    """s as an E'...' literal."""
    return "E'" + (s.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
                   .replace("\t", "\\t").replace("\r", "\\r")) + "'"


# ---- the writer ----

def read_value(path):
    with open(path, "rb") as f:
        return f.read().decode().rstrip("\n")


def transaction(rnd, w, s, base, pairs, bal):
    """the statements of transaction s, and the state after it."""
    pairs = dict(pairs)
    na, nb = bal
    stmts = []

    def put(k, n, new):
        if new:
            stmts.append("insert into a values (%d, %s)" % (k, lit(vtext(k, n))))
            stmts.append("insert into b values (%d, %d)" % (k, n))
        else:
            stmts.append("update a set v = %s where id = %d" % (lit(vtext(k, n)), k))
            stmts.append("update b set n = %d where id = %d" % (n, k))
        pairs[k] = n

    put(base + s, rnd.randint(-50, 10**6), True)
    for _ in range(rnd.randint(0, 3)):
        op = rnd.random()
        scratch = sorted(k for k in pairs if k >= base + SCRATCH)
        if op < 0.3:
            put(base + SCRATCH + s, rnd.randint(-50, 10**6), base + SCRATCH + s not in pairs)
        elif op < 0.55:
            put(rnd.choice(sorted(pairs)), rnd.randint(-50, 10**6), False)
        elif op < 0.75 and scratch:
            k = rnd.choice(scratch)
            if rnd.random() < 0.5:
                stmts.append("delete from a where id = %d" % k)
                stmts.append("delete from b where id = %d" % k)
            else:
                stmts.append("delete from b where id = %d" % k)
                stmts.append("delete from a where id between %d and %d" % (k, k))
            del pairs[k]
        else:
            x = rnd.randint(-200, 200)
            na, nb = na - x, nb + x
            stmts.append("update a set v = '%d' where id = %d" % (na, -w))
            stmts.append("update b set n = %d where id = %d" % (nb, -w))
    if rnd.random() < 0.5:
        stmts = ["begin"] + stmts + ["commit"]
    return stmts, pairs, (na, nb)


def drain(fd):
    got = b""
    while True:
        c = os.read(fd, 65536)
        if not c:
            return got
        got += c


def writer(ctl, w, secs, seed, base, model, expect_kill):
    rnd = random.Random(seed)
    mnt = os.path.dirname(ctl)
    bal = (int(read_value("%s/tables/a/by-id/-%d" % (mnt, w))),
           int(read_value("%s/tables/b/by-id/-%d" % (mnt, w))))
    pairs = {}
    pending = None
    fails = []
    fd = os.open(ctl, os.O_RDWR)
    acked = os.open(model + ".acked", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    deadline = time.monotonic() + secs
    s = 0
    while time.monotonic() < deadline and s + 1 < SCRATCH:
        s += 1
        stmts, new_pairs, new_bal = transaction(rnd, w, s, base, pairs, bal)
        data = ("\n".join(stmts) + "\n").encode()
        try:
            r = os.write(fd, data)
            err = None if r == len(data) else "returned %d of %d" % (r, len(data))
        except OSError as e:
            err = str(e)
        if err:
            pending = {"pairs": new_pairs, "bal": new_bal}
            if not expect_kill:
                fails.append("transaction %d: write %s" % (s, err))
            break
        os.write(acked, b"%d\n" % s)
        pairs, bal = new_pairs, new_bal
        try:
            got = drain(fd)
        except OSError as e:
            if expect_kill:
                break
            fails.append("transaction %d: read replies: %s" % (s, e))
            break
        if got != b"Executed.\n" * len(stmts):
            fails.append("transaction %d: replies %r" % (s, got[:300]))
            break
    try:
        os.close(fd)
    except OSError:
        pass
    os.close(acked)
    with open(model, "w") as f:
        json.dump({"w": w, "base": base, "transactions": s,
                   "acked": {"pairs": pairs, "bal": bal}, "pending": pending}, f)
    need(not fails, "; ".join(fails))
    print("transactions=%d%s" % (s, " (the last one failed)" if pending else ""))


# ---- parsing the renderings ----

def copy_unescape(f):
    if f == "\\N":
        return None
    out, i = [], 0
    while i < len(f):
        if f[i] == "\\":
            need(i + 1 < len(f) and f[i + 1] in "tnr\\", "bad COPY escape in %r" % f)
            out.append({"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}[f[i + 1]])
            i += 2
        else:
            out.append(f[i])
            i += 1
    return "".join(out)


def sorted_keys(keys, what):
    for x, y in zip(keys, keys[1:]):
        need(x < y, "%s: key %d, then %d (unsorted or repeated)" % (what, x, y))


def check_a(rows, what):
    """rows of a as (key, v): sorted, well-formed; as a dict."""
    sorted_keys([k for k, _ in rows], what)
    for k, v in rows:
        need(isinstance(v, str), "%s: v %r at %d" % (what, v, k))
        if k < 0:
            need(re.fullmatch(r"-?\d+", v) is not None, "%s: balance %r at %d" % (what, v, k))
        else:
            m = re.match(r"(\d+):(-?\d+)", v)
            need(m is not None and int(m.group(1)) == k and v == vtext(k, int(m.group(2))),
                 "%s: row %d has v %r" % (what, k, v))
    return dict(rows)


def check_b(rows, what):
    """rows of b as (key, n): sorted, integers; as a dict."""
    sorted_keys([k for k, _ in rows], what)
    for k, n in rows:
        need(isinstance(n, int), "%s: n %r at %d" % (what, n, k))
    return dict(rows)


def read(path):
    """the file's text, read in 16 KiB pieces (a reading spans commits)."""
    parts = []
    with open(path, "rb", buffering=0) as f:
        while True:
            c = f.read(16384)
            if not c:
                break
            parts.append(c)
    return b"".join(parts).decode("utf-8")


def a_rows(tdir):
    return check_a([(k, copy_unescape(v)) for k, v in copy_lines(tdir + "/rows", "a/rows")], "a/rows")


def a_ndjson(tdir):
    out = []
    for line in read(tdir + "/rows.ndjson").split("\n")[:-1]:
        o = json.loads(line)
        need(list(o) == ["id", "v"], "a/rows.ndjson: keys %r" % list(o))
        out.append((o["id"], o["v"]))
    return check_a(out, "a/rows.ndjson")


def b_csv(tdir):
    recs = list(csv.reader(io.StringIO(read(tdir + "/rows.csv"), newline=""), strict=True))
    need(recs and recs[0] == ["id", "n"], "b/rows.csv: header %r" % (recs[:1],))
    out = []
    for r in recs[1:]:
        need(len(r) == 2 and re.fullmatch(r"-?\d+", r[0]) and re.fullmatch(r"-?\d+", r[1]),
             "b/rows.csv: record %r" % r)
        out.append((int(r[0]), int(r[1])))
    return check_b(out, "b/rows.csv")


def b_byid(tdir):
    names = os.listdir(tdir + "/by-id")
    for x in names:
        need(re.fullmatch(r"-?[1-9]\d*|0", x) is not None, "b/by-id: name %r" % x)
    keys = [int(x) for x in names]
    sorted_keys(keys, "b/by-id listing")
    return keys


def copy_lines(path, what):
    """(key, COPY fields) of the lines of a rows-like file."""
    text = read(path)
    need(text == "" or text.endswith("\n"), "%s: no final newline" % what)
    out = []
    for line in text.split("\n")[:-1]:
        f = line.split("\t")
        need(len(f) == 2 and re.fullmatch(r"-?\d+", f[0]), "%s: line %r" % (what, line))
        out.append((int(f[0]), f[1]))
    return out


def slices(tdir, rnd, writers):
    """range/, first/ and last/ of a and b, and row files of a: sorted,
    well-formed, within their bounds."""
    n = rnd.randint(1, 60)
    rows = check_a([(k, copy_unescape(v)) for k, v in copy_lines(tdir + "/a/first/%d" % n, "a/first")],
                   "a/first/%d" % n)
    m = min(n, writers)     # the balance rows come first
    need(m <= len(rows) <= n and list(rows)[:m] == list(range(-writers, 0))[:m],
         "a/first/%d: keys %s" % (n, list(rows)[:5]))
    rows = copy_lines(tdir + "/b/last/%d" % n, "b/last")
    check_b([(k, int(v)) for k, v in rows], "b/last/%d" % n)
    need(len(rows) <= n, "b/last/%d: %d rows" % (n, len(rows)))
    rows = check_b([(k, int(v)) for k, v in copy_lines(tdir + "/b/range/-%d..-1" % writers, "b/range")],
                   "b/range/-%d..-1" % writers)
    need(sorted(rows) == list(range(-writers, 0)), "b/range/-%d..-1: keys %s" % (writers, sorted(rows)))
    lo = rnd.randint(1, 3) * SPAN
    hi = lo + rnd.randint(0, SPAN)
    for name in ("%d..%d" % (lo, hi), "%d-%d" % (lo, hi)):
        rows = check_a([(k, copy_unescape(v)) for k, v in copy_lines(tdir + "/a/range/" + name, "a/range")],
                       "a/range/" + name)
        need(all(lo <= k <= hi for k in rows), "a/range/%s: a key out of it" % name)
    for k in list(rows)[:5] + [-1]:
        try:
            with open("%s/a/by-id/%d" % (tdir, k), "rb") as f:
                v = f.read().decode()
        except FileNotFoundError:
            continue            # deleted since
        need(v.endswith("\n"), "a/by-id/%d: %r" % (k, v))
        check_a([(k, v[:-1])], "a/by-id/%d" % k)


def sqllit(s, i):
    """the literal at s[i:] of a dump line: (value, index after it)."""
    if s.startswith("E'", i):
        out, i = [], i + 2
        while s[i] != "'":
            if s[i] == "\\":
                out.append({"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'"}[s[i + 1]])
                i += 2
            else:
                out.append(s[i])
                i += 1
        return "".join(out), i + 1
    if s[i] == "'":
        out, i = [], i + 1
        while not (s[i] == "'" and not s.startswith("''", i)):
            out.append(s[i])
            i += 2 if s.startswith("''", i) else 1
        return "".join(out), i + 1
    m = re.compile(r"-?\d+|null").match(s, i)
    need(m is not None, "dump: literal at %r" % s[i:i + 20])
    return (None if m.group(0) == "null" else int(m.group(0))), m.end()


def dump_tables(mnt):
    """tables a and b of one read of dump (one snapshot)."""
    lines = read(mnt + "/dump").split("\n")
    need(lines[0] == "begin" and lines[-2:] == ["commit", ""], "dump: begin/commit framing")
    tabs = {"a": [], "b": []}
    for line in lines[1:-2]:
        if line in ("create table a (id integer primary key, v text)",
                    "create table b (id integer primary key, n integer)"):
            continue
        m = re.match(r"insert into (a|b) values \((-?\d+), ", line)
        need(m is not None, "dump: line %r" % line[:80])
        v, j = sqllit(line, m.end())
        need(line[j:] == ")", "dump: the end of %r" % line[:80])
        tabs[m.group(1)].append((int(m.group(2)), v))
    return check_a(tabs["a"], "dump a"), check_b(tabs["b"], "dump b")


def cross(a, b, writers, what):
    """the invariants across a and b of one snapshot."""
    pa = {k for k in a if k > 0}
    pb = {k for k in b if k > 0}
    need(pa == pb, "%s: keys only in a %s, only in b %s"
         % (what, sorted(pa - pb)[:5], sorted(pb - pa)[:5]))
    for k in pa:
        need(a[k] == vtext(k, b[k]), "%s: a(%d) = %r but b(%d) = %d" % (what, k, a[k], k, b[k]))
    for w in range(1, writers + 1):
        need(-w in a and -w in b, "%s: no balance rows of writer %d" % (what, w))
        need(int(a[-w]) + b[-w] == START,
             "%s: balances of writer %d: %s + %d" % (what, w, a[-w], b[-w]))


# ---- the checks ----

def reader(mnt, secs, writers):
    tdir = mnt + "/tables"
    deadline = time.monotonic() + secs
    counts = {"rows": 0, "csv": 0, "ndjson": 0, "byid": 0, "dump": 0, "slices": 0}
    rnd = random.Random(os.getpid())
    while time.monotonic() < deadline:
        slices(tdir, rnd, writers)
        counts["slices"] += 1
        a_rows(tdir + "/a")
        counts["rows"] += 1
        b_csv(tdir + "/b")
        counts["csv"] += 1
        a_ndjson(tdir + "/a")
        counts["ndjson"] += 1
        b_byid(tdir + "/b")
        counts["byid"] += 1
        a, b = dump_tables(mnt)
        cross(a, b, writers, "dump")
        counts["dump"] += 1
    print(" ".join("%s=%d" % kv for kv in sorted(counts.items())))


def rows_of(state, w):
    """a's and b's rows of writer w in state (a model's acked or pending)."""
    ra, rb = {-w: str(state["bal"][0])}, {-w: state["bal"][1]}
    for k, n in state["pairs"].items():
        ra[int(k)], rb[int(k)] = vtext(int(k), n), n
    return ra, rb


def final(mnt, writers, models):
    a, b = dump_tables(mnt)
    cross(a, b, writers, "the dump")
    wa, wb = {}, {}
    for p in models:
        with open(p) as f:
            m = json.load(f)
        ra, rb = rows_of(m["acked"], m["w"])
        wa.update(ra)
        wb.update(rb)
    need(a == wa, "the dump's table a is not the writers' (%d rows, they wrote %d; "
         "first difference at key %s)" % (len(a), len(wa), sorted(set(a.items()) ^ set(wa.items()))[:1]))
    need(b == wb, "the dump's table b is not the writers'")
    print("rows=%d" % len(a))


def after_kill(mnt, writers, prev, out, models):
    a, b = dump_tables(mnt)
    cross(a, b, writers, "the dump")
    rest_a, rest_b = dict(a), dict(b)
    summary = []
    for p in models:
        with open(p) as f:
            m = json.load(f)
        w, base = m["w"], m["base"]

        def mine(k, w=w, base=base):
            return k == -w or base <= k < base + SPAN
        have = ({k: v for k, v in a.items() if mine(k)}, {k: v for k, v in b.items() if mine(k)})
        acked = rows_of(m["acked"], w)
        pending = rows_of(m["pending"], w) if m["pending"] else None
        if have == acked:
            summary.append("w%d: %d acked" % (w, m["transactions"] - (1 if pending else 0)))
        elif pending and have == pending:
            summary.append("w%d: %d acked + the one in flight" % (w, m["transactions"] - 1))
        else:
            diff = sorted(set(have[0].items()) ^ set(acked[0].items()))[:3]
            raise Bad("writer %d: its rows are neither its acknowledged state nor that and the "
                      "transaction in flight (a differs from the acked at %s)" % (w, diff))
        with open(p + ".acked") as f:
            for line in f:
                k = base + int(line)
                need(k in a and k in b, "writer %d: acknowledged transaction %s lost" % (w, line.strip()))
        for k in list(rest_a):
            if mine(k):
                del rest_a[k]
        for k in list(rest_b):
            if mine(k):
                del rest_b[k]
    if prev != "-":
        with open(prev) as f:
            old = json.load(f)
        old_a = {int(k): v for k, v in old["a"].items()}
        old_b = {int(k): v for k, v in old["b"].items()}
        for k in [k for k in old_a if k < 0 and k >= -writers]:
            del old_a[k]
            del old_b[k]
        need(rest_a == old_a and rest_b == old_b,
             "rows of earlier rounds changed (%d and %d rows, were %d and %d)"
             % (len(rest_a), len(rest_b), len(old_a), len(old_b)))
    with open(out, "w") as f:
        json.dump({"a": a, "b": b}, f)
    print("%s; %d rows" % (", ".join(summary), len(a)))


def main(argv):
    cmd = argv[1]
    try:
        if cmd == "writer":
            writer(argv[2], int(argv[3]), float(argv[4]), int(argv[5]), int(argv[6]), argv[7],
                   argv[8:] == ["expect-kill"])
        elif cmd == "reader":
            reader(argv[2], float(argv[3]), int(argv[4]))
        elif cmd == "final":
            final(argv[2], int(argv[3]), argv[4:])
        elif cmd == "after-kill":
            after_kill(argv[2], int(argv[3]), argv[4], argv[5], argv[6:])
        else:
            raise Bad("unknown command " + cmd)
    except (Bad, ValueError, KeyError, IndexError, OSError, csv.Error) as e:
        print("FAIL %s: %s" % (type(e).__name__, e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
