#!/usr/bin/env python3
"""difftest.py - differential test of rowfs's SQL subset, sqlite3 as the oracle.

A seeded generator makes random tables (an `integer primary key` and 0..8
more columns, a few with up to 63, of integer, real, text, text(N), blob,
blob(N), `not null`, `default`) and tens of thousands of random statements
on them: create and drop table, insert into (with and without a column
list, several rows, without the key), select (*, column lists, count(*),
where, order by the key, limit/offset), update (the key too), delete,
begin/commit/rollback, .tables, .schema, .checkpoint, and the seed's
statements on users (insert/update/delete ID NAME, select) mixed with SQL
on it.  Texts hold quotes, backslashes, control characters (through
E'...'), multibyte UTF-8, `--` and `;`; values reach the sizes where
records go to overflow pages.  Each statement goes to sqlite3
(python's module, an in-memory database) and, as one line, to `rowsh
DBFILE` on stdin; every reply of rowsh is compared byte for byte with the
reply sqlite3's answer predicts (CONTRACT.md, Part 2):

    Executed.            every change, create and drop included
    (v1, v2, ...)        one line a row: integers in decimal, reals as
                         Python's repr() (the shortest text that reads back
                         as the same double, ".0" when integral), text raw,
                         NULL as NULL, blobs as x'hex'
    (no rows)            a select that matched nothing
    (N)                  count(*)
    Error: ...           the contract's error table

Where rowfs must refuse what sqlite3 accepts (a value of the wrong type, a
text or blob longer than text(N)/blob(N), ...), the statement does not go
to sqlite3: the generator predicts rowfs's exact error text, and a `select
*` of the table right after it checks that nothing changed.  Every
statement the generator emits has a deterministic result in both systems:
without `order by`, rowfs lists rows in key order, so the sqlite3 side
always orders by the key; a statement never has two possible errors (the
evaluator refuses those as "ambiguous", and the generator draws again).

The statements are split into sessions: each is one rowsh process on the
same DBFILE (so the tables must survive a close and reopen); an explicit
transaction still open at the end of a session is rolled back, as rowsh
does at end of input.  The last session selects every table.  With
--fsck, fsck.rowfs checks the file after every session, and the salvage
dump of the final file (fsck.rowfs --salvage), replayed into an empty
database, must answer the last session's selects the same.  A mismatch
is reduced (delta debugging over the statements, each candidate replayed
from an empty database) to a short reproducer, which is printed and
written in full to the work directory.  --fake-bug runs the comparison and
the reduction against an oracle with a planted bug instead of rowsh (the
self-test of make check).

Usage:
    difftest.py [--rowsh PATH] [--seed N] [--statements M] [--sessions K]
                [--keep-going N] [--without FEATURE,...] [--dry-run] ...
Exit status: 0 no mismatch, 1 mismatch(es) found, 2 usage or setup error,
3 the oracle disagrees with its own prediction (a bug of this script).
"""

import argparse
import math
import os
import re
import random
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time

# ---------------------------------------------------------------------------
# Literals and stored values

# Names the generator never uses for tables and columns: keywords of the
# grammar (CONTRACT.md) and of sqlite3 that a random name could hit.
KEYWORDS = {
    "create", "table", "if", "not", "exists", "drop", "insert", "into", "values",
    "select", "count", "from", "where", "order", "by", "asc", "desc", "limit",
    "offset", "update", "set", "delete", "and", "between", "is", "null",
    "primary", "key", "default", "integer", "real", "text", "blob", "begin",
    "commit", "end", "rollback", "transaction", "index", "unique", "on", "or",
    "in", "as", "to", "do", "of", "no", "e", "x", "users",
}

TYPE_OF_KIND = {"int": "integer", "real": "real", "text": "text", "blob": "blob"}

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
# Largest magnitude of an integer literal compared with a real column: above
# 2^53, sqlite3 compares an integer and a double exactly while an engine
# that converts the literal may not; the contract does not say which.
EXACT_INT = 1 << 53

# Size of text and blob columns without (N) (CONTRACT.md: at most 1 MiB).
VALUE_MAX = 1 << 20


class Ambiguous(Exception):
    """A statement whose rowfs reply the contract does not fix (two possible
    errors, an unspecified case): never emitted."""


class ModelError(Exception):
    """sqlite3 disagreed with the evaluator's own prediction: a bug here."""


class Lit:
    """A literal: kind int|real|text|blob|null, its Python value, and how it
    is written (`text` for int/real: the literal as written; for text: 'q'
    plain quotes, 'E' or 'e' for E'...'; for blob and null: letter case)."""

    __slots__ = ("kind", "val", "form")

    def __init__(self, kind, val, form=None):
        self.kind = kind
        self.val = val
        self.form = form

    def rowfs(self):
        """The literal in rowfs's syntax."""
        k = self.kind
        if k == "int":
            return str(self.val)
        if k == "real":
            return self.form
        if k == "null":
            return self.form or "null"
        if k == "blob":
            h = self.val.hex()
            return "x'" + (h.upper() if self.form == "upper" else h) + "'"
        return text_literal(self.val, self.form)

    def sqlite(self):
        """The literal in sqlite3's syntax (defaults of create table only)."""
        k = self.kind
        if k in ("int", "real"):
            return repr(self.val) if k == "real" else str(self.val)
        if k == "null":
            return "NULL"
        if k == "blob":
            return "x'" + self.val.hex() + "'"
        return "'" + self.val.replace("'", "''") + "'"

    def param(self):
        """The value bound for sqlite3."""
        return self.val


def text_literal(s, form):
    """s as 'plain' (quotes doubled) or as E'...' (backslash escapes; "E2"
    and "e2": a quote doubled instead of \\', as PostgreSQL also reads).
    Text with a control character always takes the E form."""
    if form == "q" and not any(c in s for c in "\n\r\t"):
        return "'" + s.replace("'", "''") + "'"
    out = []
    for c in s:
        if c == "\\":
            out.append("\\\\")
        elif c == "'":
            out.append("''" if form in ("E2", "e2") else "\\'")
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c == "\r":
            out.append("\\r")
        else:
            out.append(c)
    return (form[0] if form and form[0] in "Ee" else "E") + "'" + "".join(out) + "'"


def lit_of_value(v, rng):
    """A literal that denotes the stored value v (not None)."""
    if isinstance(v, bool):
        raise ModelError("bool value")
    if isinstance(v, int):
        return Lit("int", v)
    if isinstance(v, float):
        return Lit("real", v, repr(v))
    if isinstance(v, str):
        return Lit("text", v, rng.choice(["q", "q", "E"]))
    if isinstance(v, bytes):
        return Lit("blob", v, "lower")
    raise ModelError("value of type %s" % type(v).__name__)


def render_value(v):
    """A stored value as rowfs prints it in a row."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        raise ModelError("bool value")
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, bytes):
        return "x'" + v.hex() + "'"
    return v


def render_row(row):
    return "(" + ", ".join(render_value(v) for v in row) + ")\n"


# ---------------------------------------------------------------------------
# Schemas and statements


class Column:
    """One column of a table (as declared)."""

    __slots__ = ("name", "type", "maxlen", "pk", "notnull", "default", "pk_notnull")

    def __init__(self, name, type_, maxlen=None, pk=False, notnull=False, default=None,
                 pk_notnull=False):
        self.name = name          # as written (any case)
        self.type = type_         # integer | real | text | blob
        self.maxlen = maxlen      # N of text(N)/blob(N), or None
        self.pk = pk
        self.notnull = notnull
        self.default = default    # Lit or None
        self.pk_notnull = pk_notnull  # `primary key not null` written

    @property
    def lname(self):
        return self.name.lower()

    def limit(self):
        return self.maxlen if self.maxlen is not None else VALUE_MAX


class Table:
    """A table of the model: its lower-case name and columns."""

    def __init__(self, name, columns):
        self.name = name
        self.columns = columns
        self.by_name = {c.lname: c for c in columns}
        self.key = next(c for c in columns if c.pk)


class Pred:
    """COL OP LIT, COL between A and B, COL is [not] null."""

    __slots__ = ("col", "op", "a", "b")

    def __init__(self, col, op, a=None, b=None):
        self.col = col
        self.op = op      # = != <> < <= > >= between isnull notnull
        self.a = a
        self.b = b


class Stmt:
    """A statement: kind and fields; `seed` fixes how it is written (case,
    spacing, a final ';', a comment), so a reduced reproducer keeps the text."""

    def __init__(self, kind, seed, **fields):
        self.kind = kind
        self.seed = seed
        self.__dict__.update(fields)
        self._text = None

    def text(self):
        if self._text is None:
            self._text = Writer(self.seed).statement(self)
        return self._text

    def table_name(self):
        return getattr(self, "table", None)


class Writer:
    """Writes a statement in rowfs's syntax, with random (seeded) keyword
    case, spacing, trailing ';' and comments."""

    COMPACT = set("(),=<>!")

    def __init__(self, seed):
        self.r = random.Random(seed)
        self.case = self.r.choice(["lower", "lower", "lower", "upper", "mixed"])
        self.compact = self.r.random() < 0.25
        self.idcase = self.r.random() < 0.2

    def kw(self, word):
        if self.case == "lower":
            return word
        if self.case == "upper":
            return word.upper()
        return "".join(c.upper() if self.r.random() < 0.5 else c for c in word)

    def ident(self, name):
        if not self.idcase:
            return name
        return "".join(c.upper() if self.r.random() < 0.5 else c.lower() for c in name)

    def join(self, toks):
        out = []
        prev = None
        for t in toks:
            if prev is not None:
                if self.compact and (t[:1] in self.COMPACT or prev[-1:] in self.COMPACT) \
                        and not (prev[-1:] in "<>!=" and t[:1] in "<>=") \
                        and prev != "-":
                    pass
                else:
                    out.append(" " if self.r.random() < 0.95 else self.r.choice(["  ", "\t"]))
            out.append(t)
            prev = t
        return "".join(out)

    def statement(self, st):
        k = st.kind
        if k == "blank":
            return st.line
        if k in ("begin", "commit", "rollback"):
            line = " ".join(self.kw(w) for w in st.words)
        elif k == "tables":
            line = self.kw(".tables")
        elif k == "checkpoint":
            line = self.kw(".checkpoint")
        elif k in ("s_insert", "s_update"):
            line = "%s %d %s" % (self.kw(k[2:]), st.id, st.name)
        elif k == "s_delete":
            line = "%s %d" % (self.kw("delete"), st.id)
        elif k == "s_select":
            line = self.kw("select")
        elif k == "schema":
            line = self.kw(".schema") + (" " + self.ident(st.table) if st.table else "")
        else:
            line = self.join(getattr(self, "w_" + k)(st))
        r = self.r.random()
        if r < 0.25:
            line += ";"
        elif r < 0.28:
            line += " ;"
        r = self.r.random()
        if r < 0.06:
            line += self.r.choice(["  -- a comment", " -- it's", "\t--", " -- x'00' ; (", " --"])
        if self.r.random() < 0.03:
            line = self.r.choice([" ", "  ", "\t"]) + line
        return line

    def lit(self, lit):
        if lit.kind == "null" and lit.form is None:
            return self.kw("null")
        return lit.rowfs()

    def w_create(self, st):
        t = [self.kw("create"), self.kw("table")]
        if st.if_not_exists:
            t += [self.kw("if"), self.kw("not"), self.kw("exists")]
        t += [self.ident(st.table), "("]
        for i, c in enumerate(st.columns):
            if i:
                t.append(",")
            t.append(self.ident(c.name))
            t.append(self.kw(c.type))
            if c.maxlen is not None:
                t += ["(", str(c.maxlen), ")"]
            if c.pk:
                t += [self.kw("primary"), self.kw("key")]
            if c.notnull or c.pk_notnull:
                t += [self.kw("not"), self.kw("null")]
            if c.default is not None:
                t += [self.kw("default"), self.lit(c.default)]
        t.append(")")
        return t

    def w_drop(self, st):
        t = [self.kw("drop"), self.kw("table")]
        if st.if_exists:
            t += [self.kw("if"), self.kw("exists")]
        return t + [self.ident(st.table)]

    def w_insert(self, st):
        t = [self.kw("insert"), self.kw("into"), self.ident(st.table)]
        if st.cols is not None:
            t.append("(")
            for i, c in enumerate(st.cols):
                if i:
                    t.append(",")
                t.append(self.ident(c))
            t.append(")")
        t.append(self.kw("values"))
        for j, row in enumerate(st.rows):
            if j:
                t.append(",")
            t.append("(")
            for i, v in enumerate(row):
                if i:
                    t.append(",")
                t.append(self.lit(v))
            t.append(")")
        return t

    def w_where(self, preds):
        if not preds:
            return []
        t = [self.kw("where")]
        for i, p in enumerate(preds):
            if i:
                t.append(self.kw("and"))
            t.append(self.ident(p.col))
            if p.op == "between":
                t += [self.kw("between"), self.lit(p.a), self.kw("and"), self.lit(p.b)]
            elif p.op == "isnull":
                t += [self.kw("is"), self.kw("null")]
            elif p.op == "notnull":
                t += [self.kw("is"), self.kw("not"), self.kw("null")]
            else:
                t += [p.op, self.lit(p.a)]
        return t

    def w_select(self, st):
        t = [self.kw("select")]
        if st.what == "*":
            t.append("*")
        elif st.what == "count":
            t += [self.kw("count"), "(", "*", ")"]
        else:
            for i, c in enumerate(st.what):
                if i:
                    t.append(",")
                t.append(self.ident(c))
        t += [self.kw("from"), self.ident(st.table)]
        t += self.w_where(st.preds)
        if st.order is not None:
            t += [self.kw("order"), self.kw("by"), self.ident(st.order[0])]
            if st.order[1] is not None:
                t.append(self.kw(st.order[1]))
        if st.limit is not None:
            t += [self.kw("limit"), str(st.limit)]
            if st.offset is not None:
                t += [self.kw("offset"), str(st.offset)]
        return t

    def w_update(self, st):
        t = [self.kw("update"), self.ident(st.table), self.kw("set")]
        for i, (c, v) in enumerate(st.sets):
            if i:
                t.append(",")
            t += [self.ident(c), "=", self.lit(v)]
        return t + self.w_where(st.preds)

    def w_delete(self, st):
        return [self.kw("delete"), self.kw("from"), self.ident(st.table)] + self.w_where(st.preds)


# ---------------------------------------------------------------------------
# The evaluator: sqlite3 plus the schema model


def qi(name):
    """An identifier quoted for sqlite3."""
    return '"' + name.lower() + '"'


OK = "Executed.\n"

# The seed's table: ids 0..USERS_ID_MAX, names of 1..32 bytes of letters,
# digits, '_', '.', '-' and multibyte UTF-8 (CONTRACT.md, Part 1).
USERS_ID_MAX = (1 << 32) - 1
USERS_NAME_CHARS = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"
                    "\u00e9\u00df\u4e2d\U0001F600\u03a9")


def users_table():
    return Table("users", [Column("id", "integer", pk=True),
                           Column("username", "text", maxlen=32, notnull=True)])


def users_name_ok(name):
    return 1 <= len(name.encode()) <= 32 and all(c in USERS_NAME_CHARS for c in name)


def users_check(col, lit):
    """Values of users the seed's rules accept (their errors are Part 1's
    own texts, not predicted here)."""
    if lit.kind == "null":
        if col.pk:
            return
        return
    if col.pk:
        if lit.kind != "int" or not 0 <= lit.val <= USERS_ID_MAX:
            raise Ambiguous("a users id out of the seed's range")
    elif lit.kind != "text" or not users_name_ok(lit.val):
        raise Ambiguous("a username out of the seed's alphabet")


# The users table's normalized create statement (CONTRACT.md, Tables).
USERS_SQL = "create table users (id integer primary key, username text(32) not null)"


def stored_literal(v):
    """A stored value as a literal in a normalized create statement: text
    with a control character or a backslash as E'...', else '...'."""
    if v is None:
        return "null"
    if isinstance(v, str):
        if any(ord(c) < 0x20 or c in "\x7f\\" for c in v):
            return text_literal(v, "E")
        return text_literal(v, "q")
    if isinstance(v, bytes):
        return "x'" + v.hex() + "'"
    return render_value(v)


def schema_sql(t):
    """The normalized create statement of t, as .schema prints it: names in
    lower case, `text(N)` only when N is not the default, the constraints in
    the grammar's order, the default as the value stored."""
    defs = []
    for c in t.columns:
        d = c.lname + " " + c.type
        if c.maxlen is not None and c.maxlen != VALUE_MAX:
            d += "(%d)" % c.maxlen
        if c.pk:
            d += " primary key"
        if c.notnull or c.pk_notnull:
            d += " not null"
        if c.default is not None:
            d += " default " + stored_literal(Oracle.check_value(t, c, c.default)[1])
        defs.append(d)
    return "create table %s (%s)" % (t.name, ", ".join(defs))


class Oracle:
    """Runs statements on sqlite3 and predicts rowfs's reply to each.
    run() returns (reply text, failed) or raises Ambiguous before changing
    anything."""

    def __init__(self):
        self.db = sqlite3.connect(":memory:", isolation_level=None)
        self.tables = {}          # lower name -> Table (users not included)
        self.in_txn = False
        self.saved = None         # self.tables at `begin`
        self.users = users_table()
        self.db.execute('create table "users" ("id" integer primary key, '
                        '"username" text not null)')

    # -- helpers --
    def keys(self, t):
        return [r[0] for r in self.db.execute(
            "select %s from %s order by 1" % (qi(t.key.name), qi(t.name)))]

    def column_values(self, t, col, limit=200):
        return [r[0] for r in self.db.execute(
            "select %s from %s order by %s limit %d" % (qi(col.name), qi(t.name),
                                                      qi(t.key.name), limit))]

    def row_count(self, t):
        return self.db.execute("select count(*) from %s" % qi(t.name)).fetchone()[0]

    def exec_ok(self, sql, params=()):
        try:
            return self.db.execute(sql, params)
        except sqlite3.Error as e:
            raise ModelError("sqlite3 refused %r %r: %s" % (sql, params, e))

    def exec_dup(self, sql, params):
        try:
            self.db.execute(sql, params)
        except sqlite3.IntegrityError:
            return
        raise ModelError("sqlite3 accepted %r %r, a duplicate key was predicted" % (sql, params))

    @staticmethod
    def one_error(errors):
        """The single error of a statement, None, or Ambiguous."""
        distinct = []
        for e in errors:
            if e not in distinct:
                distinct.append(e)
        if len(distinct) > 1:
            raise Ambiguous("errors: %r" % distinct)
        return distinct[0] if distinct else None

    @staticmethod
    def check_value(t, col, lit, auto_key=False):
        """(error text or None, value to store) of lit stored into col.  A
        NULL key is None (the next key) when auto_key, else ambiguous."""
        who = "%s.%s" % (t.name, col.lname)
        if t.name == "users":
            users_check(col, lit)
        if lit.kind == "null":
            if col.pk and auto_key:
                return None, None
            if col.pk:
                raise Ambiguous("NULL key")
            if col.notnull:
                return "Error: %s may not be NULL" % who, None
            return None, None
        ty = col.type
        if ty == "integer" and lit.kind == "int":
            return None, lit.val
        if ty == "real" and lit.kind in ("int", "real"):
            return None, float(lit.val)
        if (ty, lit.kind) in (("text", "text"), ("blob", "blob")):
            n = len(lit.val.encode()) if ty == "text" else len(lit.val)
            if n > col.limit():
                return "Error: %s too long (%d > %d)" % (who, n, col.limit()), None
            return None, lit.val
        return "Error: %s expects %s, got %s" % (who, ty, TYPE_OF_KIND[lit.kind]), None

    def lookup(self, name):
        """The table named name, or (None, error text)."""
        lname = name.lower()
        if lname == "users":
            return self.users, None
        t = self.tables.get(lname)
        if t is None:
            return None, "Error: no such table: %s\n" % lname
        return t, None

    def where(self, t, preds, errors):
        """sqlite3 text and parameters of a where clause; unknown columns
        go to errors; a literal the contract gives no meaning raises."""
        parts, params = [], []
        for p in preds:
            col = t.by_name.get(p.col.lower())
            if col is None:
                errors.append("Error: no such column: %s.%s" % (t.name, p.col.lower()))
                continue
            for lit in (p.a, p.b):
                if lit is None or lit.kind == "null":
                    continue
                if t.name == "users":
                    users_check(col, lit)
                if lit.kind in ("int", "real") and col.type in ("integer", "real"):
                    # numbers compare as numbers; past 2^53 sqlite3 compares an
                    # integer and a double exactly, an engine may not
                    if TYPE_OF_KIND[lit.kind] != col.type and abs(lit.val) >= EXACT_INT:
                        raise Ambiguous("a big number against a column of the other type")
                    continue
                if TYPE_OF_KIND[lit.kind] != col.type:
                    errors.append("Error: %s.%s expects %s, got %s"
                                  % (t.name, col.lname, col.type, TYPE_OF_KIND[lit.kind]))
            c = qi(col.name)
            if p.op == "isnull":
                parts.append(c + " is null")
            elif p.op == "notnull":
                parts.append(c + " is not null")
            elif p.op == "between":
                parts.append(c + " between ? and ?")
                params += [p.a.param(), p.b.param()]
            else:
                parts.append("%s %s ?" % (c, p.op))
                params.append(p.a.param())
        if not parts:
            return "", params
        return " where " + " and ".join(parts), params

    # -- statements --
    def run(self, st):
        return getattr(self, "run_" + st.kind)(st)

    def run_blank(self, st):
        return "", False

    def run_reopen(self, st):
        if self.in_txn:
            self.db.execute("rollback")
            self.tables = self.saved
            self.in_txn = False
        return "", False

    def run_begin(self, st):
        if self.in_txn:
            return "Error: cannot start a transaction within a transaction\n", True
        self.db.execute("begin")
        self.saved = dict(self.tables)
        self.in_txn = True
        return OK, False

    def run_commit(self, st):
        if not self.in_txn:
            return "Error: cannot commit - no transaction is active\n", True
        self.db.execute("commit")
        self.in_txn = False
        return OK, False

    def run_rollback(self, st):
        if not self.in_txn:
            return "Error: cannot rollback - no transaction is active\n", True
        self.db.execute("rollback")
        self.tables = self.saved
        self.in_txn = False
        return OK, False

    # -- the seed's statements on users (Part 1 texts) --
    def user_exists(self, k):
        return self.db.execute('select 1 from "users" where "id" = ?', (k,)).fetchone() is not None

    def run_s_insert(self, st):
        if self.user_exists(st.id):
            return "Error: duplicate key %d.\n" % st.id, True
        self.exec_ok('insert into "users" values (?, ?)', (st.id, st.name))
        return OK, False

    def run_s_update(self, st):
        if not self.user_exists(st.id):
            return "Error: no such key %d.\n" % st.id, True
        self.exec_ok('update "users" set "username" = ? where "id" = ?', (st.name, st.id))
        return OK, False

    def run_s_delete(self, st):
        if not self.user_exists(st.id):
            return "Error: no such key %d.\n" % st.id, True
        self.exec_ok('delete from "users" where "id" = ?', (st.id,))
        return OK, False

    def run_s_select(self, st):
        rows = self.db.execute('select "id", "username" from "users" order by 1').fetchall()
        if not rows:
            return "(empty table)\n", False
        return "".join(render_row(r) for r in rows), False

    def run_checkpoint(self, st):
        return OK, False

    def run_tables(self, st):
        return "".join(n + "\n" for n in sorted(set(self.tables) | {"users"})), False

    def run_schema(self, st):
        if st.table:
            name = st.table.lower()
            if name == "users":
                return USERS_SQL + ";\n", False
            if name not in self.tables:
                return "Error: no such table: %s\n" % name, True
            return schema_sql(self.tables[name]) + ";\n", False
        out = []
        for name in sorted(set(self.tables) | {"users"}):
            out.append((USERS_SQL if name == "users" else schema_sql(self.tables[name])) + ";\n")
        return "".join(out), False

    def create_errors(self, name, cols):
        errors = []
        names = [c.lname for c in cols]
        if len(set(names)) != len(names) or sum(1 for c in cols if c.pk) != 1:
            raise Ambiguous("bad column list")
        t = Table(name, cols)
        for c in cols:
            if c.pk and (c.type != "integer" or c.maxlen is not None or c.default is not None):
                raise Ambiguous("odd key")
            if c.default is not None:
                err, _ = self.check_value(t, c, c.default)
                if err:
                    errors.append(err)
        return self.one_error(errors)

    def run_create(self, st):
        name = st.table.lower()
        err = self.create_errors(name, st.columns)
        if name == "users" or name in self.tables:
            if err:
                raise Ambiguous("create of an existing table with a bad column")
            if st.if_not_exists:
                return OK, False
            return "Error: table %s already exists\n" % name, True
        if err:
            return err + "\n", True
        for c in st.columns:
            if c.default is not None and c.default.kind == "real":
                # sqlite3 reads some 17-digit reals one ulp off: such a
                # default cannot be given to it exactly
                if self.db.execute("select " + c.default.sqlite()).fetchone()[0] != c.default.val:
                    raise Ambiguous("a default sqlite3 cannot read exactly")
        defs = []
        for c in st.columns:
            d = qi(c.name) + " " + c.type
            if c.maxlen is not None:
                d += "(%d)" % c.maxlen
            if c.pk:
                d += " primary key"
            if c.notnull or c.pk_notnull:
                d += " not null"
            if c.default is not None:
                d += " default " + c.default.sqlite()
            defs.append(d)
        self.exec_ok("create table %s (%s)" % (qi(name), ", ".join(defs)))
        self.tables[name] = Table(name, st.columns)
        return OK, False

    def run_drop(self, st):
        name = st.table.lower()
        if name == "users":
            return "Error: table users cannot be dropped\n", True
        if name not in self.tables:
            if st.if_exists:
                return OK, False
            return "Error: no such table: %s\n" % name, True
        self.exec_ok("drop table %s" % qi(name))
        del self.tables[name]
        return OK, False

    def run_insert(self, st):
        t, err = self.lookup(st.table)
        if err:
            return err, True
        widths = {len(r) for r in st.rows}
        if len(widths) != 1:
            raise Ambiguous("rows of different widths")
        width = widths.pop()
        errors = []
        if st.cols is None:
            cols = t.columns
            if width != len(cols):
                return ("Error: %s has %d columns but %d values were supplied\n"
                        % (t.name, len(cols), width)), True
        else:
            lnames = [c.lower() for c in st.cols]
            if len(set(lnames)) != len(lnames) or width != len(lnames):
                raise Ambiguous("column list")
            cols = []
            for n in lnames:
                c = t.by_name.get(n)
                if c is None:
                    errors.append("Error: no such column: %s.%s" % (t.name, n))
                cols.append(c)
            if errors:
                return self.one_error(errors) + "\n", True
        missing = [c for c in t.columns if c not in cols]
        rows = []
        for row in st.rows:
            vals = {}
            for c, lit in zip(cols, row):
                e, v = self.check_value(t, c, lit, auto_key=True)
                if e:
                    errors.append(e)
                vals[c.lname] = v
            for c in missing:
                if c.pk:
                    vals[c.lname] = None   # the next key
                elif c.default is not None:
                    vals[c.lname] = self.check_value(t, c, c.default)[1]
                elif c.notnull:
                    errors.append("Error: %s.%s may not be NULL" % (t.name, c.lname))
                else:
                    vals[c.lname] = None
            rows.append(vals)
        # duplicate keys, in row order; a missing or NULL key is the largest
        # key so far plus one (1 in an empty table), as sqlite3's rowid
        keys = self.keys(t)
        existing = set(keys)
        top = keys[-1] if keys else None
        dup = None
        for vals in rows:
            k = vals.get(t.key.lname)
            if k is None:
                if top == (USERS_ID_MAX if t.name == "users" else INT64_MAX):
                    raise Ambiguous("no key after the largest")
                k = 1 if top is None else top + 1
            if k in existing:
                dup = k
                break
            existing.add(k)
            top = k if top is None else max(top, k)
        err = self.one_error(errors)
        if err and dup is not None:
            raise Ambiguous("a bad value and a duplicate key")
        if err:
            return err + "\n", True
        sql = "insert into %s (%s) values %s" % (
            qi(t.name), ", ".join(qi(c.name) for c in cols),
            ", ".join(["(" + ", ".join(["?"] * len(cols)) + ")"] * len(st.rows)))
        params = [lit.param() for row in st.rows for lit in row]
        if dup is not None:
            self.exec_dup(sql, params)
            return "Error: duplicate key %d.\n" % dup, True
        self.exec_ok(sql, params)
        return OK, False

    def run_select(self, st):
        t, err = self.lookup(st.table)
        if err:
            return err, True
        errors = []
        if st.what not in ("*", "count"):
            names = []
            for n in st.what:
                c = t.by_name.get(n.lower())
                if c is None:
                    errors.append("Error: no such column: %s.%s" % (t.name, n.lower()))
                else:
                    names.append(qi(c.name))
            what = ", ".join(names)
        else:
            what = "*" if st.what == "*" else "count(*)"
        where, params = self.where(t, st.preds, errors)
        desc = False
        if st.order is not None:
            c = t.by_name.get(st.order[0].lower())
            if c is None:
                raise Ambiguous("order by an unknown column")
            if not c.pk:
                errors.append("Error: order by %s needs an index" % c.lname)
            desc = st.order[1] == "desc"
        if st.what == "count" and st.order is not None:
            raise Ambiguous("count(*) with order by")
        err = self.one_error(errors)
        if err:
            return err + "\n", True
        sql = "select %s from %s%s" % (what, qi(t.name), where)
        if st.what == "count":
            # one row, which limit 0 or an offset skips (as in sqlite3)
            if st.limit is not None:
                sql += " limit %d offset %d" % (st.limit, st.offset or 0)
            rows = self.exec_ok(sql, params).fetchall()
            return ("(%d)\n" % rows[0][0]) if rows else "(no rows)\n", False
        sql += " order by %s %s" % (qi(t.key.name), "desc" if desc else "asc")
        if st.limit is not None:
            sql += " limit %d offset %d" % (st.limit, st.offset or 0)
        rows = self.exec_ok(sql, params).fetchall()
        if not rows:
            return "(no rows)\n", False
        return "".join(render_row(r) for r in rows), False

    def run_update(self, st):
        t, err = self.lookup(st.table)
        if err:
            return err, True
        errors = []
        sets = []
        seen = set()
        for name, lit in st.sets:
            c = t.by_name.get(name.lower())
            if c is None:
                errors.append("Error: no such column: %s.%s" % (t.name, name.lower()))
                continue
            if c.lname in seen:
                raise Ambiguous("a column set twice")
            seen.add(c.lname)
            sets.append((c, lit))
        for c, lit in sets:
            e, _ = self.check_value(t, c, lit)
            if e:
                errors.append(e)
        where, params = self.where(t, st.preds, errors)
        # every error is found before any row (rowfs checks the statement
        # whole, so a bad value fails even when no row matches)
        err = self.one_error(errors)
        if err:
            return err + "\n", True
        matched = [r[0] for r in self.db.execute(
            "select %s from %s%s order by 1" % (qi(t.key.name), qi(t.name), where), params)]
        dup = None
        for c, lit in sets:
            if c.pk and matched:
                k = lit.val
                if len(matched) >= 2 or (matched[0] != k and k in set(self.keys(t))):
                    dup = k
        sql = "update %s set %s%s" % (qi(t.name), ", ".join(qi(c.name) + " = ?" for c, _ in sets),
                                      where)
        allp = [lit.param() for _, lit in sets] + params
        if dup is not None:
            self.exec_dup(sql, allp)
            return "Error: duplicate key %d.\n" % dup, True
        self.exec_ok(sql, allp)
        return OK, False

    def run_delete(self, st):
        t, err = self.lookup(st.table)
        if err:
            return err, True
        errors = []
        where, params = self.where(t, st.preds, errors)
        err = self.one_error(errors)
        if err:
            return err + "\n", True
        self.exec_ok("delete from %s%s" % (qi(t.name), where), params)
        return OK, False


# ---------------------------------------------------------------------------
# The generator

# Pieces of random text: ASCII, the characters the syntax cares about
# (quotes, backslash, comment and statement marks), control characters
# (through E'...'), multibyte UTF-8 of 2, 3 and 4 bytes, a combining mark.
TEXT_PIECES = (list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
               + [" ", " ", "'", "''", '"', "\\", ",", "(", ")", ";", "-", "--", "*", "=",
                  "\t", "\n", "\r", "\u00e9", "\u00df", "\u4e2d", "\u6587", "\U0001F600",
                  "\u03a9", "e\u0301", "\u20ac", "%", "@", "#", ".", "_", "x'", "E'", "NULL",
                  "\\n", "\u00a0"])

INT_EXTREMES = [0, 1, -1, 2, 127, 128, 255, 256, 65535, 65536, (1 << 31) - 1, 1 << 31,
                -(1 << 31), (1 << 32) - 1, 1 << 32, (1 << 53), -(1 << 53), INT64_MAX,
                INT64_MIN, INT64_MAX - 1, INT64_MIN + 1, 4294967295, 10 ** 18]

FEATURES = {
    "errors": "statements that must fail, with their exact texts",
    "txn": "begin/commit/rollback",
    "ddl": "drop table, and create/drop inside transactions",
    "multirow": "insert with several rows",
    "bulk": "some tables grow to 3000 rows (deeper trees), by inserts of up to 60 rows",
    "big": "texts and blobs of a few KiB (overflow pages)",
    "extremes": "integers and keys at the ends of 64 bits, subnormal and huge reals",
    "update-key": "update ... set KEY = ...",
    "e-strings": "E'...' literals without control characters (they always use E'...')",
    "style": "upper/mixed case, compact spacing, ';' and comments",
    "bad-default": "create table with a default of the wrong type or too long",
    "null-compare": "comparisons with a NULL literal (match nothing)",
    "meta": ".tables, .schema [T] (the normalized create statements), .checkpoint",
    "wide": "a few tables of 21 to 64 columns",
    "auto-key": "insert without the key, or with a NULL key (the largest key plus one)",
    "mixed-numbers": "reals compared with integer columns and the key",
    "users": "the seed's table: insert/update/delete ID NAME, select, and SQL on it",
}


class Gen:
    """Draws statements that fit the oracle's current state."""

    NAMES = ["t0", "t1", "t2", "t3", "t4", "T5", "tab_6", "x" * 60 + "_007"]

    def __init__(self, rng, oracle, features):
        self.r = rng
        self.o = oracle
        self.f = features
        self.keyspace = {}      # table -> small | signed | wide (its keys)
        self.cap = {}           # table -> rows it may grow to (250, or 3000 with "bulk")
        self._keys = set()      # keys new_key() must avoid
        self.bulk_cap = 3000    # rows of a "bulk" table

    def on(self, feature):
        return feature in self.f

    # -- values --
    def int_value(self):
        r = self.r.random()
        if r < 0.5:
            return self.r.randint(-100, 100)
        if r < 0.75:
            return self.r.randint(-10 ** 6, 10 ** 6)
        if r < 0.9 or not self.on("extremes"):
            return self.r.randint(-(1 << 40), 1 << 40)
        if r < 0.95:
            return self.r.randint(INT64_MIN, INT64_MAX)
        return self.r.choice(INT_EXTREMES)

    def real_lit(self):
        r = self.r.random()
        if r < 0.25:
            v = self.r.randint(-40, 40) / 4
            text = repr(v)
        elif r < 0.45:
            text = "%d.%d" % (self.r.randint(-999, 999), self.r.randint(0, 999))
        elif r < 0.6:
            text = "%de%d" % (self.r.randint(1, 9), self.r.randint(-20, 20))
        elif r < 0.8:
            text = repr(self.r.uniform(-1e6, 1e6))
        elif r < 0.9:
            text = repr(self.r.choice([0.1, 0.2, 0.3, 1e100, 1e-100, 2.5, 1e16, 1e15, 123456789.0,
                                       1.5e-7, 1e21, 1e22, 0.001, 100.0, -3.0]))
        elif self.on("extremes"):
            while True:
                v = struct.unpack("<d", struct.pack("<Q", self.r.getrandbits(64)))[0]
                if math.isfinite(v) and v != 0:
                    break
            text = repr(self.r.choice([v, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, v]))
        else:
            text = repr(self.r.uniform(-1, 1))
        v = float(text)
        if v == 0:
            text, v = "0.0", 0.0     # never -0.0: sqlite3 stores it as 0.0
        return Lit("real", v, text)

    def text_value(self, maxlen=None):
        r = self.r.random()
        if r < 0.05:
            n = 0
        elif r < 0.55:
            n = self.r.randint(1, 10)
        elif r < 0.85:
            n = self.r.randint(10, 60)
        elif r < 0.97 or not self.on("big"):
            n = self.r.randint(60, 400)
        else:
            n = self.big_size()
        if maxlen is not None:
            n = min(n, maxlen)
        s = []
        size = 0
        while size < n:
            p = self.r.choice(TEXT_PIECES)
            s.append(p)
            size += len(p.encode())
        s = "".join(s)
        if maxlen is not None:
            s = truncate_utf8(s, maxlen)
        return s

    def big_size(self):
        """Bytes of a big value: around the sizes where a record stops
        fitting in its page and goes to overflow pages, or a few KiB."""
        r = self.r.random()
        if r < 0.4:
            return self.r.choice([480, 487, 488, 489, 500, 990, 999, 1000, 1001, 1002, 1010,
                                  2000, 3000, 3500])
        if r < 0.8:
            return self.r.randint(500, 3800)
        return self.r.randint(3800, 20000)

    def text_lit(self, s):
        form = "q"
        if self.on("e-strings") and self.r.random() < 0.3:
            form = self.r.choice(["E", "E", "E", "E2", "e", "e2"])
        return Lit("text", s, form)

    def blob_value(self, maxlen=None):
        r = self.r.random()
        if r < 0.1:
            n = 0
        elif r < 0.8:
            n = self.r.randint(1, 16)
        elif r < 0.97 or not self.on("big"):
            n = self.r.randint(16, 300)
        else:
            n = self.big_size() // 2
        if maxlen is not None:
            n = min(n, maxlen)
        return bytes(self.r.getrandbits(8) for _ in range(n))

    def null_lit(self):
        return Lit("null", None, self.r.choice([None, None, "null", "NULL", "Null"]))

    def user_name(self):
        """A username the seed accepts (never starting with '-': `--` would
        begin a comment)."""
        n = self.r.choice([1, 2, 5, 8, 12, 20, 32])
        while True:
            name = truncate_utf8("".join(self.r.choice(USERS_NAME_CHARS) for _ in range(n)), n)
            if name and not name.startswith("-") and users_name_ok(name):
                return name

    def valid_lit(self, t, col, allow_null=True):
        """A literal col accepts."""
        if col.pk:
            return Lit("int", self.new_key(t))
        if t.name == "users":
            return Lit("text", self.user_name(), self.r.choice(["q", "E"]))
        if allow_null and not col.notnull and self.r.random() < 0.12:
            return self.null_lit()
        if col.type == "integer":
            return Lit("int", self.int_value())
        if col.type == "real":
            if self.r.random() < 0.2:
                return Lit("int", self.r.randint(-1000, 1000))
            return self.real_lit()
        if col.type == "text":
            return self.text_lit(self.text_value(col.maxlen))
        return Lit("blob", self.blob_value(col.maxlen), "upper" if self.r.random() < 0.1 else "lower")

    def bad_lit(self, col):
        """A non-null literal of another type than col takes."""
        kinds = [k for k in ("int", "real", "text", "blob") if TYPE_OF_KIND[k] != col.type]
        if col.type == "real":
            kinds.remove("int")
        k = self.r.choice(kinds)
        if k == "int":
            return Lit("int", self.int_value())
        if k == "real":
            return self.real_lit()
        if k == "text":
            return self.text_lit(self.text_value(8))
        return Lit("blob", self.blob_value(8), "lower")

    # -- keys --
    def new_key(self, t):
        space = self.keyspace.get(t.name, "small")
        for _ in range(50):
            if t.name == "users":
                k = self.r.randint(0, 200) if self.r.random() < 0.9 else \
                    self.r.choice([0, USERS_ID_MAX, USERS_ID_MAX - 1, self.r.randint(0, USERS_ID_MAX)])
            elif space == "small":
                k = self.r.randint(0, 150)
            elif space == "signed":
                k = self.r.randint(-400, 400)
            else:
                k = self.int_value() if self.r.random() < 0.7 else self.r.randint(INT64_MIN, INT64_MAX)
            if k not in self._keys:
                self._keys.add(k)
                return k
        return k

    def some_key(self, t):
        keys = self.o.keys(t)
        if keys and self.r.random() < 0.75:
            return self.r.choice(keys)
        if t.name == "users":
            return self.r.randint(0, 210)
        if self.r.random() < 0.1 and self.on("extremes"):
            return self.r.choice([INT64_MIN, INT64_MAX, 0, -1])
        space = self.keyspace.get(t.name, "small")
        if space == "small":
            return self.r.randint(-5, 160)
        if space == "signed":
            return self.r.randint(-420, 420)
        return self.int_value()

    # -- names --
    def seed(self):
        return self.r.getrandbits(32) if self.on("style") else 0

    def existing(self):
        return sorted(self.o.tables)

    def pick_table(self):
        names = self.existing()
        return self.o.tables[self.r.choice(names)] if names else None

    def absent_name(self):
        for _ in range(20):
            n = self.r.choice(self.NAMES + ["nope", "t99", "Zz_1"])
            if n.lower() not in self.o.tables:
                return n
        return "no_such_table_1"

    def column_name(self, used):
        while True:
            r = self.r.random()
            if r < 0.7:
                n = "c%d" % self.r.randint(0, 20)
            elif r < 0.9:
                n = self.r.choice(["val_", "Name", "score", "when_", "a", "b_"]) + str(self.r.randint(0, 99))
            elif r < 0.95:
                n = "_" + self.r.choice("abcxyz") + str(self.r.randint(0, 9))
            else:
                n = "k" * 62 + "%02d" % self.r.randint(0, 99)
            if n.lower() not in used and n.lower() not in KEYWORDS:
                used.add(n.lower())
                return n

    # -- statements --
    def make(self, kind, **fields):
        return Stmt(kind, self.seed(), **fields)

    def gen_create(self, name=None, bad=False):
        name = name or self.r.choice([n for n in self.NAMES if n.lower() not in self.o.tables]
                                     or self.NAMES)
        used = set()
        extra = self.r.randint(0, 8)
        if self.on("wide") and self.r.random() < 0.05:
            extra = self.r.choice([20, 40, 63])
        cols = []
        for _ in range(extra):
            n = self.column_name(used)
            r = self.r.random()
            if r < 0.25:
                c = Column(n, "integer")
            elif r < 0.45:
                c = Column(n, "real")
            elif r < 0.7:
                c = Column(n, "text")
            elif r < 0.85:
                c = Column(n, "text", maxlen=self.r.choice([1, 2, 3, 5, 8, 10, 16, 32, 40]))
            elif r < 0.93:
                c = Column(n, "blob")
            else:
                c = Column(n, "blob", maxlen=self.r.choice([1, 4, 8, 20]))
            c.notnull = self.r.random() < 0.25
            if not c.notnull and self.r.random() < 0.03:
                c.default = self.null_lit()
            elif self.r.random() < (0.5 if c.notnull else 0.2):
                tmp = Table("tmp", [c, Column("zz", "integer", pk=True)])
                c.default = self.valid_lit(tmp, c, allow_null=False)
            cols.append(c)
        key = Column(self.r.choice(["id", "pk", "k0", "rid1", "ID", "Key_"]) if True else "id",
                     "integer", pk=True, pk_notnull=self.r.random() < 0.1)
        while key.lname in used:
            key.name += "1"
        cols.insert(self.r.randint(0, len(cols)), key)
        if bad:
            cands = [c for c in cols if not c.pk]
            if not cands:
                return None
            c = self.r.choice(cands)
            if c.notnull and self.r.random() < 0.2:
                c.default = self.null_lit()
            elif c.maxlen is not None and self.r.random() < 0.5:
                if c.type == "text":
                    c.default = self.text_lit(self.text_value(c.maxlen + 5).ljust(c.maxlen + 1, "z"))
                else:
                    c.default = Lit("blob", bytes(c.maxlen + 1 + self.r.randint(0, 3)), "lower")
            else:
                c.default = self.bad_lit(c)
        st = self.make("create", table=name, if_not_exists=self.r.random() < 0.2, columns=cols)
        st.keyspace = self.r.choice(["small", "small", "signed", "wide"] if self.on("extremes")
                                    else ["small", "small", "signed"])
        st.cap = 250
        if self.on("bulk") and self.on("multirow") and self.r.random() < 0.2:
            st.keyspace, st.cap = "wide", self.bulk_cap
        return st

    def create_unit(self):
        """A create table, and often a .schema of it."""
        st = self.gen_create()
        if self.on("meta") and self.r.random() < 0.5:
            return [st, self.make("schema", table=st.table)]
        return [st]

    def pred(self, t, col, op=None):
        ops = ["=", "=", "!=", "<>", "<", "<=", ">", ">=", "between", "between"]
        if not col.pk and not col.notnull:
            ops += ["isnull", "notnull"]
        op = op or self.r.choice(ops)
        if op in ("isnull", "notnull"):
            return Pred(col.name, op)

        def lit():
            if self.on("null-compare") and self.r.random() < 0.03:
                return self.null_lit()
            if col.type == "integer" and self.on("mixed-numbers") and self.r.random() < 0.1:
                k = self.some_key(t) if col.pk else self.int_value()
                if abs(k) < EXACT_INT - 2:
                    v = k + self.r.choice([-0.5, 0.0, 0.5, 0.25, -1.5])
                    return Lit("real", v, repr(v))
            if col.pk:
                k = self.some_key(t)
                if self.r.random() < 0.3:
                    k = max(INT64_MIN, min(INT64_MAX, k + self.r.randint(-3, 3)))
                return Lit("int", k)
            vals = [v for v in self.o.column_values(t, col) if v is not None]
            if vals and self.r.random() < 0.6:
                v = self.r.choice(vals)
                if isinstance(v, float) and self.r.random() < 0.2 and v == int(v) and abs(v) < 1e15:
                    return Lit("int", int(v))
                return lit_of_value(v, self.r)
            return self.valid_lit(t, col, allow_null=False)

        a = lit()
        b = lit() if op == "between" else None
        if op == "between" and a.kind != "null" and b.kind != "null" and self.r.random() < 0.7:
            if sort_key(a) > sort_key(b):
                a, b = b, a
        return Pred(col.name, op, a, b)

    def preds(self, t, p_none=0.3):
        if self.r.random() < p_none:
            return []
        n = self.r.choice([1, 1, 1, 2, 2, 3])
        out = []
        for _ in range(n):
            col = t.key if self.r.random() < 0.5 else self.r.choice(t.columns)
            out.append(self.pred(t, col))
        return out

    def gen_insert(self, t, auto=True):
        self._keys = set(self.o.keys(t))
        nrows = 1
        if self.cap.get(t.name, 250) > 250 and self.r.random() < 0.5:
            nrows = self.r.randint(20, 60)
        elif self.on("multirow") and self.r.random() < 0.3:
            nrows = self.r.choice([2, 2, 3, 4, 6, 10, 25])
        must = [c for c in t.columns if c.pk or (c.notnull and c.default is None)]
        if self.r.random() < 0.4:
            rest = [c for c in t.columns if c not in must]
            chosen = must + self.r.sample(rest, self.r.randint(0, len(rest)))
            self.r.shuffle(chosen)
            names = [c.name for c in chosen]
        else:
            chosen = t.columns
            names = None
        rows = [[self.valid_lit(t, c) for c in chosen] for _ in range(nrows)]
        if auto and self.on("auto-key") and self.r.random() < 0.06:
            ki = chosen.index(t.key)
            if names is not None and len(chosen) > 1 and self.r.random() < 0.5:
                del names[ki]
                for row in rows:
                    del row[ki]
            else:
                for row in rows:
                    if self.r.random() < 0.7:
                        row[ki] = self.null_lit()
        return self.make("insert", table=t.name, cols=names, rows=rows)

    def gen_select(self, t):
        r = self.r.random()
        if r < 0.5:
            what = "*"
            if self.o.row_count(t) > 300 and self.r.random() < 0.8:
                what = "count"
        elif r < 0.85:
            what = [c.name for c in self.r.sample(t.columns, self.r.randint(1, len(t.columns)))]
            if self.r.random() < 0.1 and len(what) < 64:
                what.append(self.r.choice(what))
        else:
            what = "count"
        preds = self.preds(t)
        order = limit = offset = None
        if what == "count" and self.r.random() < 0.1:
            limit = self.r.choice([0, 1, 5])
            if self.r.random() < 0.5:
                offset = self.r.choice([0, 1, 2])
        if what != "count":
            if self.r.random() < 0.5:
                order = (t.key.name, self.r.choice([None, "asc", "desc", "desc"]))
            if self.r.random() < 0.25:
                limit = self.r.choice([0, 1, 2, 3, 5, 10, 20, 1000])
                if self.r.random() < 0.5:
                    offset = self.r.choice([0, 1, 2, 5, 10, 50])
        return self.make("select", table=t.name, what=what, preds=preds, order=order,
                         limit=limit, offset=offset)

    def gen_update(self, t):
        cands = [c for c in t.columns if not c.pk]
        if self.on("update-key") and self.r.random() < 0.05:
            k = self.some_key(t)
            self._keys = set(self.o.keys(t))
            newk = self.new_key(t) if self.r.random() < 0.7 else self.some_key(t)
            return self.make("update", table=t.name, sets=[(t.key.name, Lit("int", newk))],
                             preds=[Pred(t.key.name, "=", Lit("int", k))])
        if not cands:
            return None
        cols = self.r.sample(cands, self.r.randint(1, min(3, len(cands))))
        sets = [(c.name, self.valid_lit(t, c)) for c in cols]
        return self.make("update", table=t.name, sets=sets, preds=self.preds(t, 0.12))

    def gen_users(self):
        """A statement on users: a seed form or SQL."""
        u = self.o.users
        r = self.r.random()
        keys = self.o.keys(u)
        self._keys = set(keys)
        if r < 0.3:
            k = self.new_key(u) if not keys or self.r.random() < 0.9 else self.r.choice(keys)
            return self.make("s_insert", id=k, name=self.user_name())
        if r < 0.54:
            kind = "s_update" if r < 0.42 else "s_delete"
            k = self.r.choice(keys) if keys and self.r.random() < 0.7 else self.some_key(u)
            if kind == "s_update":
                return self.make(kind, id=k, name=self.user_name())
            return self.make(kind, id=k)
        if r < 0.6:
            return self.make("s_select") if len(keys) < 300 else None
        if r < 0.75:
            return self.gen_insert(u)
        if r < 0.87:
            return self.gen_select(u)
        if r < 0.95:
            return self.gen_update(u)
        return self.gen_delete(u)

    def gen_delete(self, t):
        return self.make("delete", table=t.name, preds=self.preds(t, 0.08))

    def check_select(self, t, key=None):
        """Statements that show whether a failed statement changed t: the
        whole table, or for a big one its count and the row of key."""
        if self.o.row_count(t) <= 300:
            return [self.make("select", table=t.name, what="*", preds=[], order=None,
                              limit=None, offset=None)]
        out = [self.make("select", table=t.name, what="count", preds=[], order=None,
                         limit=None, offset=None)]
        if key is not None:
            out.append(self.make("select", table=t.name, what="*", order=None, limit=None,
                                 offset=None, preds=[Pred(t.key.name, "=", Lit("int", key))]))
        return out

    def gen_error(self):
        """A statement that must fail, and maybe a select that checks that
        nothing changed; a list, or None when the draw does not apply."""
        t = self.pick_table()
        kinds = ["no_table", "no_table", "exists", "users"]
        if self.on("txn"):
            kinds.append("txn")
        if self.on("bad-default"):
            kinds.append("bad_default")
        if t is not None:
            kinds += ["no_column", "type", "type", "type", "notnull", "toolong", "count", "dup",
                      "dup", "order", "upd_type", "where_type"]
        kind = self.r.choice(kinds)
        follow = []
        st = None
        if kind == "no_table":
            name = self.absent_name()
            c = self.r.choice(["insert", "select", "update", "delete", "drop"])
            if c == "insert":
                st = self.make("insert", table=name, cols=None, rows=[[Lit("int", 1)]])
            elif c == "select":
                st = self.make("select", table=name, what="*", preds=[], order=None, limit=None,
                               offset=None)
            elif c == "update":
                st = self.make("update", table=name, sets=[("c1", Lit("int", 1))], preds=[])
            elif c == "delete":
                st = self.make("delete", table=name, preds=[])
            else:
                st = self.make("drop", table=name, if_exists=False)
        elif kind == "exists":
            if t is None:
                return None
            st = self.gen_create(name=t.name)
            st.if_not_exists = False
        elif kind == "users":
            if self.r.random() < 0.5:
                st = self.make("drop", table="users", if_exists=self.r.random() < 0.3)
            else:
                st = self.gen_create(name="users")
                st.if_not_exists = False
        elif kind == "txn":
            if self.o.in_txn:
                st = self.make("begin", words=["begin"])
            elif self.r.random() < 0.6:
                st = self.make("commit", words=self.r.choice([["commit"], ["end"]]))
            else:
                st = self.make("rollback", words=["rollback"])
        elif kind == "bad_default":
            st = self.gen_create(bad=True)
            if st is None or st.table.lower() in self.o.tables:
                return None
        elif kind == "no_column":
            bad = self.r.choice(["nocol", "c99", "zz_1"])
            if bad in t.by_name:
                return None
            c = self.r.choice(["select", "where", "insert", "update", "delete"])
            if c == "select":
                st = self.gen_select(t)
                st.what = [t.key.name, bad]
                st.preds = []
            elif c == "where":
                st = self.gen_select(t)
                st.preds = [Pred(bad, "=", Lit("int", 1))]
            elif c == "insert":
                if len(t.columns) >= 64:
                    return None
                st = self.gen_insert(t, auto=False)
                st.cols = (st.cols or [c.name for c in t.columns]) + [bad]
                for row in st.rows:
                    row.append(Lit("int", 1))
            elif c == "update":
                st = self.make("update", table=t.name, sets=[(bad, Lit("int", 1))],
                               preds=self.preds(t))
            else:
                st = self.make("delete", table=t.name, preds=[Pred(bad, "isnull")])
        elif kind in ("type", "notnull", "toolong"):
            st = self.gen_insert(t, auto=False)
            cols = [t.by_name[n.lower()] for n in st.cols] if st.cols else t.columns
            if kind == "type":
                cands = [i for i, c in enumerate(cols)]
            elif kind == "notnull":
                cands = [i for i, c in enumerate(cols) if c.notnull]
            else:
                cands = [i for i, c in enumerate(cols) if c.maxlen is not None]
            if not cands:
                if kind == "notnull" and st.cols is not None:
                    # a not null column without default left out of the list
                    return None
                return None
            i = self.r.choice(cands)
            row = self.r.choice(st.rows)
            if kind == "type":
                row[i] = self.bad_lit(cols[i])
            elif kind == "notnull":
                row[i] = self.null_lit()
            else:
                c = cols[i]
                if c.type == "text":
                    s = self.text_value(c.maxlen + 8)
                    while len(s.encode()) <= c.maxlen:
                        s += self.r.choice(["z", "\u00e9", "\u4e2d", "'"])
                    row[i] = self.text_lit(s)
                else:
                    row[i] = Lit("blob", bytes(self.r.getrandbits(8)
                                               for _ in range(c.maxlen + self.r.randint(1, 4))),
                                 "lower")
            follow += self.check_select(t)
        elif kind == "upd_type":
            cands = [c for c in t.columns if not c.pk]
            if not cands or not self.o.keys(t):
                return None
            c = self.r.choice(cands)
            r = self.r.random()
            if c.notnull and r < 0.25:
                r = 0.6
            if r < 0.5:
                v = self.bad_lit(c)
            elif r < 0.75 and c.notnull:
                v = self.null_lit()
            elif c.maxlen is not None:
                v = (self.text_lit("\u00e9" * c.maxlen) if c.type == "text"
                     else Lit("blob", bytes(c.maxlen + 1), "lower"))
            else:
                v = self.bad_lit(c)
            k = self.r.choice(self.o.keys(t)) if self.r.random() < 0.8 else self.some_key(t)
            st = self.make("update", table=t.name, sets=[(c.name, v)],
                           preds=[Pred(t.key.name, "=", Lit("int", k))])
            follow += self.check_select(t, k)
        elif kind == "count":
            st = self.gen_insert(t, auto=False)
            st.cols = None
            n = len(t.columns)
            # at most 64 values: more is the parser's own error
            w = self.r.choice([m for m in (1, n - 1, n + 1, n + 2) if 1 <= m <= 64 and m != n])
            st.rows = [[self.valid_lit(t, c) for c in t.columns][:w] for _ in st.rows]
            for row in st.rows:
                while len(row) < w:
                    row.append(Lit("int", 7))
        elif kind == "dup":
            keys = self.o.keys(t)
            st = self.gen_insert(t, auto=False)
            ki = [i for i, n in enumerate(st.cols or [c.name for c in t.columns])
                  if n.lower() == t.key.lname][0]
            if keys and self.r.random() < 0.6:
                self.r.choice(st.rows)[ki] = Lit("int", self.r.choice(keys))
            elif len(st.rows) >= 2:
                st.rows[-1][ki] = Lit("int", st.rows[0][ki].val)
            elif keys:
                st.rows[0][ki] = Lit("int", keys[0])
            else:
                return None
            if self.r.random() < 0.5:
                follow += self.check_select(t)
        elif kind == "where_type":
            col = self.r.choice(t.columns)
            kinds = [k for k in ("int", "real", "text", "blob")
                     if TYPE_OF_KIND[k] != col.type
                     and not (k in ("int", "real") and col.type in ("integer", "real"))]
            k = self.r.choice(kinds)
            bad = Lit("int", 3) if k == "int" else self.real_lit() if k == "real" \
                else self.text_lit("x") if k == "text" else Lit("blob", b"\x01", "lower")
            p = Pred(col.name, self.r.choice(["=", "<", ">=", "!="]), bad)
            if self.r.random() < 0.3:
                p = Pred(col.name, "between", bad, bad)
            c = self.r.choice(["select", "update", "delete"])
            if c == "select":
                st = self.gen_select(t)
                st.preds = [p]
            elif c == "update":
                st = self.gen_update(t)
                if st is None:
                    return None
                st.preds = [p]
            else:
                st = self.make("delete", table=t.name, preds=[p])
        elif kind == "order":
            cands = [c for c in t.columns if not c.pk]
            if not cands:
                return None
            st = self.gen_select(t)
            if st.what == "count":
                st.what = "*"
            st.order = (self.r.choice(cands).name, self.r.choice([None, "asc", "desc"]))
        if st is None:
            return None
        return [st] + follow

    def next(self):
        """The next statements (a list) for the oracle's state."""
        o = self.o
        r = self.r.random()
        if not o.tables or (len(o.tables) < 3 and r < 0.03):
            return self.create_unit()
        if self.on("errors") and r < 0.08:
            return self.gen_error()
        r = self.r.random()
        if self.on("txn"):
            if o.in_txn and r < 0.07:
                return [self.make("commit", words=self.r.choice([["commit"], ["end"],
                                                                 ["commit", "transaction"]]))]
            if o.in_txn and r < 0.1:
                return [self.make("rollback", words=self.r.choice([["rollback"],
                                                                   ["rollback", "transaction"]]))]
            if not o.in_txn and r < 0.025:
                return [self.make("begin", words=self.r.choice([["begin"], ["begin", "transaction"]]))]
        r = self.r.random()
        if self.on("meta") and r < 0.015:
            if self.r.random() < 0.2:
                return [self.make("checkpoint")]
            if self.r.random() < 0.3:
                return [self.make("tables")]
            t = self.pick_table()
            name = None
            if self.r.random() < 0.8:
                name = self.r.choice([t.name, t.name, "users", self.absent_name()])
            return [self.make("schema", table=name)]
        r = self.r.random()
        if r < 0.02:
            return [Stmt("blank", 0, line=self.r.choice(["", "   ", "\t", "-- a comment line",
                                                         "  -- it's a comment"]))]
        r = self.r.random()
        if self.on("users") and r < 0.06:
            st = self.gen_users()
            return [st] if st else None
        r = self.r.random()
        if self.on("ddl") and r < 0.012 and (not o.in_txn or self.r.random() < 0.5):
            t = self.pick_table()
            return [self.make("drop", table=t.name, if_exists=self.r.random() < 0.2)]
        if 0.012 <= r < 0.05 and len(o.tables) < 5 and (self.on("ddl") or not o.in_txn):
            return self.create_unit()
        t = self.pick_table()
        n = o.row_count(t)
        r = self.r.random()
        if r < 0.4 and n < self.cap.get(t.name, 250):
            return [self.gen_insert(t)]
        if r < 0.7:
            return [self.gen_select(t)]
        if r < 0.85:
            st = self.gen_update(t)
            return [st] if st else None
        return [self.gen_delete(t)]


def truncate_utf8(s, n):
    """The longest prefix of s of at most n UTF-8 bytes."""
    b = s.encode()[:n]
    return b.decode("utf-8", errors="ignore")


def sort_key(lit):
    v = lit.val
    if isinstance(v, str):
        return (2, v.encode())
    if isinstance(v, bytes):
        return (3, v)
    return (1, v)


# ---------------------------------------------------------------------------
# Running rowsh and comparing


class Item:
    """A statement as emitted: its line and the reply predicted for it."""

    __slots__ = ("st", "line", "expected", "failed")

    def __init__(self, st, line, expected, failed):
        self.st = st
        self.line = line
        self.expected = expected
        self.failed = failed


class Mismatch:
    def __init__(self, session_items, index, expected, actual, detail, status=None):
        self.items = session_items    # the session's items
        self.index = index            # index of the blamed item (None: session level)
        self.expected = expected      # expected text around the blamed item
        self.actual = actual          # actual text from the same offset
        self.detail = detail
        self.status = status

    def target(self):
        return self.items[self.index].st if self.index is not None else None


class Rowsh:
    def __init__(self, path, timeout, sync, cache_pages=None, fsck=None):
        self.path = path
        self.fsck = fsck
        self.timeout = timeout
        self.sync = sync
        self.opts = ["-o", "sync=" + sync]
        if cache_pages:
            self.opts += ["-o", "cache_pages=%d" % cache_pages]
        self.runs = 0

    def run(self, dbfile, items):
        data = "".join(it.line + "\n" for it in items).encode()
        self.runs += 1
        try:
            p = subprocess.run([self.path] + self.opts + [dbfile], input=data,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=self.timeout)
        except subprocess.TimeoutExpired as e:
            return None, (e.stdout or b""), b"timed out after %d s" % self.timeout
        if self.fsck and p.returncode in (0, 1) and not p.stderr.startswith(b"rowsh"):
            f = subprocess.run([self.fsck, dbfile], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=self.timeout)
            if f.returncode != 0:
                return p.returncode, p.stdout, b"fsck.rowfs exit %d: %s" % (f.returncode,
                                                                            f.stdout[:2000])
        return p.returncode, p.stdout, p.stderr


class BuggyOracle(Oracle):
    """The oracle with a planted bug, behind FakeRowsh (--fake-bug): the
    self-test of the comparison and the reduction."""

    def __init__(self, bug):
        super().__init__()
        self.bug = bug

    def run_delete(self, st):
        if self.bug == "delete-lt" and any(p.op == "<" for p in st.preds):
            st = Stmt(st.kind, st.seed, table=st.table,
                      preds=[Pred(p.col, "<=" if p.op == "<" else p.op, p.a, p.b)
                             for p in st.preds])
        return super().run_delete(st)

    def run_select(self, st):
        reply, failed = super().run_select(st)
        if self.bug == "real-format":
            reply = re.sub(r"(?<![0-9.e+-])(-?[0-9]+)\.0(?=[,)])", r"\1", reply)
        return reply, failed


class FakeRowsh:
    """Stands in for rowsh with --fake-bug: runs each line's statement on a
    BuggyOracle kept per DBFILE (a new one when DBFILE was removed)."""

    def __init__(self, bug):
        self.bug = bug
        self.dbs = {}
        self.runs = 0

    def run(self, dbfile, items):
        self.runs += 1
        if not os.path.exists(dbfile):
            open(dbfile, "w").close()
            self.dbs[dbfile] = BuggyOracle(self.bug)
        o = self.dbs[dbfile]
        out, fails, failed = [], [], False
        for it in items:
            try:
                reply, f = o.run(it.st)
            except Ambiguous:
                reply, f = "Error: ambiguous\n", True
            out.append(reply)
            fails.append(f)
            failed |= f
        o.run(Stmt("reopen", 0))
        err = expected_stderr([Item(it.st, it.line, reply, f)
                               for it, reply, f in zip(items, out, fails)])
        return (1 if failed else 0), "".join(out).encode(), err


def expected_stderr(items):
    """What rowsh writes to stderr reading a session from a pipe: a copy of
    each error, "Error near line N: TEXT", N the item's line."""
    return "".join("Error near line %d: %s" % (i + 1, it.expected)
                   for i, it in enumerate(items) if it.failed).encode()


def compare(items, rc, out, err):
    """The first difference between the items' predicted replies and what
    rowsh printed, or None."""
    expected = "".join(it.expected for it in items).encode()
    if out != expected:
        n = min(len(out), len(expected))
        off = next((i for i in range(n) if out[i] != expected[i]), n)
        pos = 0
        blame = len(items) - 1
        for i, it in enumerate(items):
            end = pos + len(it.expected.encode())
            if off < end or (off == end and i == len(items) - 1):
                blame = i
                break
            pos = end
        start = pos
        while blame > 0 and not items[blame].expected:
            blame -= 1
        exp_text = expected[start:start + 2000]
        act_text = out[start:start + 2000]
        return Mismatch(items, blame, exp_text, act_text,
                        "reply differs at byte %d of the output" % off, rc)
    failed = any(it.failed for it in items)
    want = 1 if failed else 0
    if rc is None:
        return Mismatch(items, None, b"", out, "rowsh " + err.decode(errors="replace"), rc)
    if rc < 0:
        return Mismatch(items, None, b"", b"", "rowsh killed by signal %d" % -rc, rc)
    if err != expected_stderr(items):
        return Mismatch(items, None, expected_stderr(items), err,
                        "fsck.rowfs found damage after the session"
                        if err.startswith(b"fsck.rowfs") else
                        "rowsh's stderr is not the copies of its errors", rc)
    if rc != want:
        return Mismatch(items, None, b"", b"", "rowsh exit status %d, expected %d" % (rc, want), rc)
    return None


def salvage_check(rowsh, dbfile, items, workdir):
    """What is wrong with the database's salvage dump (fsck.rowfs --salvage
    DBFILE), replayed by rowsh into an empty database and asked the final
    selects again (items, with their replies), or None."""
    dump = os.path.join(workdir, "salvage.sql")
    p = subprocess.run([rowsh.fsck, "--salvage", dbfile], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=rowsh.timeout)
    with open(dump, "wb") as f:
        f.write(p.stdout)
    if p.returncode != 0:
        return "fsck.rowfs --salvage exit %d: %s" % (p.returncode, p.stderr[:500])
    copy = fresh_db(os.path.join(workdir, "salvaged.db"))
    r = subprocess.run([rowsh.path] + rowsh.opts + [copy], input=p.stdout,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=rowsh.timeout)
    bad = [line for line in r.stdout.split(b"\n") if line and line != b"Executed."]
    if r.returncode != 0 or bad or r.stderr:
        return "replaying the salvage dump %s: exit %d, %r %r" % (dump, r.returncode, bad[:3],
                                                                  r.stderr[:300])
    rc, out, err = rowsh.run(copy, items)
    m = compare(items, rc, out, err)
    if m:
        return "the tables rebuilt from the salvage dump %s differ: %s at %s: expected %r, " \
            "got %r" % (dump, m.detail, short(m.items[m.index].line) if m.index is not None
                        else "(end)", m.expected[:300], m.actual[:300])
    return None


def evaluate(stmts):
    """Items of the statements (with REOPEN markers) replayed on a fresh
    oracle, grouped in sessions; raises Ambiguous."""
    o = Oracle()
    sessions = [[]]
    for st in stmts:
        if st.kind == "reopen":
            o.run(st)
            sessions.append([])
            continue
        reply, failed = o.run(st)
        sessions[-1].append(Item(st, st.text(), reply, failed))
    return [s for s in sessions if s]


def fresh_db(path):
    """path, with no database or log left there by an earlier run."""
    for f in (path, path + "-wal"):
        if os.path.exists(f):
            os.unlink(f)
    return path


def replay(stmts, rowsh, workdir):
    """The first mismatch of the statements replayed from an empty
    database, or None; raises Ambiguous."""
    sessions = evaluate(stmts)
    db = fresh_db(os.path.join(workdir, "replay.db"))
    for items in sessions:
        rc, out, err = rowsh.run(db, items)
        mm = compare(items, rc, out, err)
        if mm:
            return mm
    return None


def mismatches_at(cand, target, rowsh, workdir):
    """1 if replaying cand (from an empty database) first mismatches at target."""
    try:
        mm = replay(cand, rowsh, workdir)
    except Ambiguous:
        return False
    return mm is not None and mm.target() is target


def reduce_case(history, target, rowsh, workdir, budget_s, log):
    """A short list of statements that still first mismatches at target
    (delta debugging, then smaller inserts and fewer predicates)."""
    deadline = time.time() + budget_s
    tests = [0]

    def interesting(cand, tgt):
        if time.time() > deadline:
            return False
        tests[0] += 1
        return mismatches_at(cand, tgt, rowsh, workdir)

    cur = history[:history.index(target) + 1]
    if not interesting(cur, target):
        log("  (the mismatch does not reproduce from an empty database)")
        return cur, False
    # first guess: only what names the target's table, and transactions
    name = (target.table_name() or "").lower()
    guess = [s for s in cur if s.kind in ("begin", "commit", "rollback", "reopen")
             or (s.table_name() or "").lower() == name]
    if len(guess) < len(cur) and interesting(guess, target):
        cur = guess
    # delta debugging on the statements before the target
    items = cur[:-1]
    n = 2
    while items and time.time() < deadline:
        chunk = max(1, math.ceil(len(items) / n))
        for i in range(0, len(items), chunk):
            comp = items[:i] + items[i + chunk:]
            if interesting(comp + [target], target):
                items = comp
                n = max(n - 1, 2)
                break
        else:
            if chunk == 1:
                break
            n = min(n * 2, len(items))
    cur = items + [target]
    # shrink single statements
    i = 0
    while i < len(cur) and time.time() < deadline:
        for smaller in shrinks(cur[i]):
            cand = cur[:i] + [smaller] + cur[i + 1:]
            tgt = smaller if cur[i] is target else target
            if interesting(cand, tgt):
                cur, target = cand, tgt
                break
        else:
            i += 1
    log("  reduced to %d statements in %d replays" % (len(cur), tests[0]))
    return cur, True


def shrinks(st):
    """Smaller variants of a statement (new objects, same text style)."""
    out = []
    if st.kind == "insert" and len(st.rows) > 1:
        for i in range(len(st.rows)):
            s = Stmt(st.kind, st.seed, **{k: v for k, v in st.__dict__.items()
                                          if k not in ("kind", "seed", "_text")})
            s.rows = st.rows[:i] + st.rows[i + 1:]
            out.append(s)
    if st.kind in ("select", "update", "delete") and st.preds:
        for i in range(len(st.preds)):
            s = Stmt(st.kind, st.seed, **{k: v for k, v in st.__dict__.items()
                                          if k not in ("kind", "seed", "_text")})
            s.preds = st.preds[:i] + st.preds[i + 1:]
            out.append(s)
    return out


def shell_quote(line):
    return "'" + line.replace("'", "'\\''") + "'"


def short(text, n=300):
    """text cut to n characters for the log, saying how long it was."""
    if len(text) <= n:
        return text
    return text[:n] + "...(%d bytes in all)" % len(text.encode())


def describe(stmts, rowsh, workdir, path):
    """The reproducer as text (long lines cut) and in full as a script at
    path (sessions separated by a "-- reopen" comment line)."""
    lines = []
    with open(path, "w", encoding="utf-8") as f:
        for st in stmts:
            if st.kind == "reopen":
                lines.append("-- reopen: end of input, rowsh DBFILE again")
            else:
                lines.append(st.text())
            f.write(lines[-1] + "\n")
    out = ["reproducer (from an empty DBFILE; in full in %s):" % path]
    out += ["    " + short(l) for l in lines]
    try:
        mm = replay(stmts, rowsh, workdir) if rowsh else None
    except Ambiguous:
        mm = None
    if mm is not None:
        out.append("  at: " + (short(mm.items[mm.index].line) if mm.index is not None
                               else "(end of session)"))
        out.append("  " + mm.detail)
        if mm.index is not None:
            out.append("  expected: " + repr(mm.items[mm.index].expected[:600]))
            out.append("  actual:   " + repr(mm.actual[:600].decode(errors="replace")))
        else:
            out.append("  output: " + repr(mm.actual[:600].decode(errors="replace")))
    return "\n".join(out)


# ---------------------------------------------------------------------------
# Main loop


def generate_session(gen, oracle, count, stats, max_line=0):
    """count statements (items) drawn and run on the oracle."""
    items = []
    while len(items) < count:
        unit = None
        for _ in range(20):
            unit = gen.next()
            if unit:
                break
        if not unit:
            continue
        done = []
        if max_line and any(len(st.text().encode()) > max_line for st in unit):
            continue
        try:
            for st in unit:
                reply, failed = oracle.run(st)
                if st.kind == "create" and not failed and st.table.lower() in oracle.tables:
                    gen.keyspace[st.table.lower()] = getattr(st, "keyspace", "small")
                    gen.cap[st.table.lower()] = getattr(st, "cap", 250)
                done.append(Item(st, st.text(), reply, failed))
        except Ambiguous as e:
            stats["ambiguous"] = stats.get("ambiguous", 0) + 1
            if done:
                raise ModelError("ambiguous statement after a run one: %s" % e)
            continue
        for it in done:
            key = it.st.kind + (" error" if it.failed else "")
            stats[key] = stats.get(key, 0) + 1
            if it.failed:
                key = "  " + error_class(it.expected)
                stats[key] = stats.get(key, 0) + 1
        items += done
    return items


def error_class(text):
    """An error text without its names and numbers (for the statistics)."""
    text = re.sub(r"[A-Za-z0-9_]+\.[a-z0-9_]+", "T.C", text.strip())
    text = re.sub(r"(no such table:|^Error: table|order by) [a-z0-9_]+", r"\1 X", text)
    text = re.sub(r"^Error: [a-z0-9_]+ has", "Error: X has", text)
    return re.sub(r"-?[0-9]+", "N", text)


def final_checks(gen, oracle):
    out = [gen.make("s_select"), gen.make("select", table="users", what="count", preds=[],
                                          order=None, limit=None, offset=None)]
    for name in sorted(oracle.tables):
        t = oracle.tables[name]
        out.append(gen.make("select", table=t.name, what="*", preds=[], order=None,
                            limit=None, offset=None))
        out.append(gen.make("select", table=t.name, what="count", preds=[], order=None,
                            limit=None, offset=None))
    return out


def main(argv):
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--rowsh", default=os.environ.get("ROWSH",
                    os.path.join(here, "..", "build", "src", "rowsh")))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--statements", type=int, default=4000)
    ap.add_argument("--sessions", type=int, default=4, help="rowsh processes (reopens)")
    ap.add_argument("--keep-going", type=int, default=0, metavar="N",
                    help="after a mismatch, start over on empty databases, up to N more times")
    ap.add_argument("--without", default="", help="features to leave out, comma-separated: "
                    + ", ".join(sorted(FEATURES)))
    ap.add_argument("--sync", default="off", choices=["full", "normal", "off"])
    ap.add_argument("--fsck", metavar="PATH", help="run fsck.rowfs PATH on the database "
                    "after each rowsh session (its exit status must be 0)")
    ap.add_argument("--bulk-rows", type=int, default=3000, metavar="N",
                    help="rows a bulk table grows to (default 3000)")
    ap.add_argument("--cache-pages", type=int, metavar="N",
                    help="rowsh -o cache_pages=N (a small cache makes pages go and come back)")
    ap.add_argument("--max-line", type=int, default=0, metavar="BYTES",
                    help="draw again any statement longer than this (for an engine with a "
                    "smaller line limit than the contract's)")
    ap.add_argument("--timeout", type=int, default=600, help="seconds one rowsh run may take")
    ap.add_argument("--reduce-seconds", type=int, default=300)
    ap.add_argument("--no-reduce", action="store_true")
    ap.add_argument("--dry-run", action="store_true",
                    help="no rowsh: generate, run sqlite3, print the statistics")
    ap.add_argument("--write-script", metavar="FILE", help="write the statements (sessions "
                    "separated by a '-- reopen' line) to FILE")
    ap.add_argument("--write-expected", metavar="FILE", help="write the predicted output")
    ap.add_argument("--workdir", help="scratch directory (kept), default a temporary one")
    ap.add_argument("--fake-bug", choices=["delete-lt", "real-format"],
                    help="self-test: no rowsh, an oracle with this bug stands in for it")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)

    features = set(FEATURES)
    for f in filter(None, args.without.split(",")):
        if f not in FEATURES:
            ap.error("unknown feature %r (%s)" % (f, ", ".join(sorted(FEATURES))))
        features.discard(f)
    if args.fake_bug:
        args.rowsh = None
    elif not args.dry_run and not os.access(args.rowsh, os.X_OK):
        print("difftest: no rowsh at %s (--rowsh PATH)" % args.rowsh, file=sys.stderr)
        return 2
    if args.fake_bug:
        rowsh = FakeRowsh(args.fake_bug)
    elif args.dry_run:
        rowsh = None
    else:
        rowsh = Rowsh(os.path.abspath(args.rowsh), args.timeout, args.sync, args.cache_pages,
                      os.path.abspath(args.fsck) if args.fsck else None)
    if args.workdir:
        os.makedirs(args.workdir, exist_ok=True)
        workdir = args.workdir
        cleanup = None
    else:
        workdir = tempfile.mkdtemp(prefix="difftest.")
        cleanup = workdir

    def log(msg):
        print(msg, flush=True)

    rng = random.Random(args.seed)
    oracle = Oracle()
    gen = Gen(rng, oracle, features)
    gen.bulk_cap = args.bulk_rows
    stats = {}
    history = []
    mismatches = []
    resets = 0
    dbfile = fresh_db(os.path.join(workdir, "main-0.db"))
    script = open(args.write_script, "w", encoding="utf-8") if args.write_script else None
    expfile = open(args.write_expected, "w", encoding="utf-8") if args.write_expected else None
    t0 = time.time()
    per = max(1, args.statements // max(1, args.sessions))
    done = 0
    session = 0
    try:
        while True:
            last = done >= args.statements
            if last:
                items = [Item(st, st.text(), *oracle.run(st)) for st in final_checks(gen, oracle)]
            else:
                n = min(per, args.statements - done)
                items = generate_session(gen, oracle, n, stats, args.max_line)
                done += n
            session += 1
            if script:
                script.write("".join(it.line + "\n" for it in items) + "-- reopen\n")
            if expfile:
                expfile.write("".join(it.expected for it in items))
            mm = None
            if rowsh:
                rc, out, err = rowsh.run(dbfile, items)
                mm = compare(items, rc, out, err)
            history += [it.st for it in items]
            reopen = Stmt("reopen", 0)
            oracle.run(reopen)
            history.append(reopen)
            if args.verbose:
                log("session %d: %d statements, %.1f s" % (session, len(items), time.time() - t0))
            if mm:
                where = (mm.items[mm.index].line if mm.index is not None else "(end of session)")
                log("MISMATCH %d (seed %d, session %d): %s" % (len(mismatches) + 1, args.seed,
                                                              session, mm.detail))
                log("  statement: %s" % short(where))
                if mm.index is not None:
                    log("  expected: %r" % mm.items[mm.index].expected[:400])
                    log("  actual:   %r" % mm.actual[:400].decode(errors="replace"))
                else:
                    log("  output: %r" % mm.actual[:400].decode(errors="replace"))
                target = mm.target()
                repro = None
                if target is not None and not args.no_reduce:
                    repro, ok = reduce_case(history[:-1], target, rowsh, workdir,
                                            args.reduce_seconds, log)
                    log(describe(repro, rowsh, workdir, os.path.join(
                        args.workdir or ".", "repro-%d-%d.sql" % (args.seed, len(mismatches) + 1))))
                mismatches.append((mm, repro))
                if resets >= args.keep_going:
                    break
                resets += 1
                oracle = Oracle()
                gen = Gen(rng, oracle, features)
                gen.bulk_cap = args.bulk_rows
                history = []
                dbfile = fresh_db(os.path.join(workdir, "main-%d.db" % resets))
            if last and not mm and isinstance(rowsh, Rowsh) and rowsh.fsck:
                problem = salvage_check(rowsh, dbfile, items, workdir)
                if problem:
                    log("MISMATCH %d (seed %d, salvage): %s" % (len(mismatches) + 1, args.seed,
                                                                 problem))
                    mismatches.append((None, None))
            if last:
                break
    except ModelError as e:
        log("difftest: MODEL ERROR (a bug of difftest.py): %s" % e)
        return 3
    finally:
        if script:
            script.close()
        if expfile:
            expfile.close()
        if cleanup and not args.workdir:
            shutil.rmtree(cleanup, ignore_errors=True)
    log("difftest: seed %d, %d statements in %d sessions, %d rowsh runs, %.1f s, %d mismatch(es)"
        % (args.seed, done, session, rowsh.runs if rowsh else 0, time.time() - t0,
           len(mismatches)))
    if args.verbose or args.dry_run:
        for k in sorted(stats):
            log("  %-28s %d" % (k, stats[k]))
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
