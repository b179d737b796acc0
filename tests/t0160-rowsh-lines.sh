#!/bin/sh
# t0160-rowsh-lines.sh - SQL statements over several lines in rowsh, as in
# sqlite3: a line that starts an unfinished SQL statement is continued by
# the next lines until one ends with ';' (or input ends); the joined
# statement answers exactly as the same statement on one line; a complete
# line never waits for another (seed statements, complete SQL with or
# without ';', a line ending in ';', a meta-command); comments and quoted
# ';' and '--' inside continued lines; the continuation prompt on a
# terminal; .tables and .schema reach the engine.  TAP.

# shellcheck source=tests/tap.sh
. "${top_srcdir:-.}/tests/tap.sh"
T=${ROWFS_TEST_TIMEOUT:-60}

[ -x "$ROWSH" ] || skip_all "rowsh not built"
printf 'drop table if exists probe1\n' | rsh "$work/probe.db" >"$work/probe" 2>&1
grep -q 'Expected INSERT, SELECT, or meta-command' "$work/probe" &&
	skip_all "the engine has no tables yet"

case_no=0
# same NAME LINES ONELINE: LINES (printf format) through rowsh on a fresh
# database print what ONELINE (printf format: the same statements, one a
# line) prints on another fresh database, and that is not empty.
same() {
	case_no=$((case_no + 1))
	# shellcheck disable=SC2059 # the escapes are meant to expand
	printf "$2" | rsh "$work/a$case_no.db" >"$work/a.out" 2>&1
	# shellcheck disable=SC2059
	printf "$3" | rsh "$work/b$case_no.db" >"$work/b.out" 2>&1
	if [ -s "$work/b.out" ] && cmp -s "$work/a.out" "$work/b.out"; then
		ok "$1"
	else
		not_ok "$1" "joined lines gave:" "$(cat "$work/a.out")" "one line gave:" \
			"$(cat "$work/b.out")"
	fi
}

# exact NAME LINES EXPECTED: LINES through rowsh on a fresh database print EXPECTED.
exact() {
	case_no=$((case_no + 1))
	# shellcheck disable=SC2059
	printf "$2" | rsh "$work/c$case_no.db" >"$work/out" 2>&1
	# shellcheck disable=SC2059
	printf "$3" >"$work/exp"
	check "$1" "$work/exp" "$work/out"
}

exact "create over several lines, with comments and blank lines; insert and select" \
'create table people (
  id integer primary key,  -- the key
  -- a comment line

  name text not null       -- it'"'"'s a name
);
insert into people
  values (1, '"'"'ann'"'"'),
         (2, '"'"'bob'"'"');
select id, name
  from people
 where id >= 2;
select * from people
' \
'Executed.\nExecuted.\n(2, bob)\n(1, ann)\n(2, bob)\n'

same "a continued statement answers as the same statement on one line" \
'create table t (id integer primary key, a text)
insert into t (id,
  a) values (1, '"'"'x'"'"');
select *
from t
where id = 1;
select count(*)
  from t;
' \
'create table t (id integer primary key, a text)
insert into t (id, a) values (1, '"'"'x'"'"')
select * from t where id = 1
select count(*) from t
'

same "';' and '--' inside quoted literals do not end or cut a continued line" \
'create table t (id integer primary key, a text)
insert into t values (1,
  '"'"'a;'"'"'),
  (2, '"'"'b -- c'"'"'), (3,
  E'"'"'d\\'"'"';'"'"'), (4, '"'"'it'"'"''"'"'s;'"'"'
);
select * from t
' \
'create table t (id integer primary key, a text)
insert into t values (1, '"'"'a;'"'"'), (2, '"'"'b -- c'"'"'), (3, E'"'"'d\\'"'"';'"'"'), (4, '"'"'it'"'"''"'"'s;'"'"')
select * from t
'

same "complete lines never wait: SQL with and without ';', seed forms, meta-commands" \
'create table t (id integer primary key)
insert into t values (1);
select * from t
insert 5 alice
insert 6
select
.tables
select * from
t
' \
'create table t (id integer primary key)
insert into t values (1);
select * from t
insert 5 alice
insert 6
select
.tables
select * from t
'

same "a ';' at the end of a comment does not end a statement" \
'create table t ( -- the columns;
  id integer primary key); -- done;
select count(*)
  from t -- all;
;
' \
'create table t ( id integer primary key);
select count(*) from t;
'

same "a line ending in ';' runs even when unfinished" \
'select * from;
select 1
' \
'select * from;
select 1
'

same "end of input runs an unfinished statement as it is" \
'create table t (id integer primary key)
select *
  from t
  where' \
'create table t (id integer primary key)
select * from t where
'

same "an error before the end of a line is not a continuation" \
'select * fromm t
;
' \
'select * fromm t
;
'

# A statement continued over more than one 64 KiB input chunk.
case_no=$((case_no + 1))
{
	echo 'create table big (id integer primary key, a text)'
	echo 'insert into big values'
	i=1
	while [ $i -lt 3000 ]; do
		echo "($i, 'row number $i of a statement that spans several input chunks'),"
		i=$((i + 1))
	done
	echo "(3000, 'last');"
	echo 'select count(*) from big'
} >"$work/big.sql"
rsh "$work/big.db" <"$work/big.sql" >"$work/out" 2>&1
printf 'Executed.\nExecuted.\n(3000)\n' >"$work/exp"
check "a statement spanning input chunks runs once, whole" "$work/exp" "$work/out"

# .tables and .schema are the engine's, through rowsh.
exact ".tables and .schema reach the engine" \
'create table People (ID integer primary key, Name text not null)
.tables
.schema people
' \
'Executed.\npeople\nusers\ncreate table people (id integer primary key, name text not null);\n'

# The continuation prompt on a terminal.
if command -v script >/dev/null 2>&1 && script -qc true /dev/null </dev/null >/dev/null 2>&1; then
	printf 'create table t (\nid integer primary key);\n.exit\n' |
		timeout "$T" script -qc "'$ROWSH' '$work/tty.db'" /dev/null >"$work/out" 2>&1
	if grep -q -F '   ...> ' "$work/out" && grep -q -F 'Executed.' "$work/out"; then
		ok "prompt '   ...> ' on a continued line"
	else
		not_ok "prompt '   ...> ' on a continued line" "$(od -c "$work/out" | head -20)"
	fi
else
	skip "script(1) not usable: no terminal to test the prompt"
fi

done_testing
