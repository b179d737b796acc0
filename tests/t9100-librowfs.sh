#!/bin/sh
# t9100-librowfs.sh - librowfs, the engine as a shared library: its soname,
# that it exports exactly the functions <rowfs.h> declares (no internal
# symbol), that the header stands alone (C11 and C++), and a program built
# against it (tests/embed.c, linked with the build tree's librowfs): the
# rows it writes, its replies, and an error text on a second run.
#
# TAP output.

# shellcheck source=tests/tap.sh
. "${top_srcdir:-.}/tests/tap.sh"

lib=$top_builddir/engine/.libs/librowfs.so
hdr=$top_srcdir/engine/rowfs.h
CC=${CC:-cc}

# 1. soname
if soname=$(readelf -d "$lib" 2>&1); then
	soname=$(printf '%s\n' "$soname" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
	expect "soname is librowfs.so.0" "librowfs.so.0" "$soname"
else
	not_ok "readelf -d librowfs.so" "$soname"
fi

# 2. exports: the functions rowfs.h declares, every one and nothing else
grep -E '^[a-z][a-z0-9_ ]*[ *]rowfs_[a-z0-9_]+\(' "$hdr" |
	sed 's/^.*[ *]\(rowfs_[a-z0-9_]*\)(.*/\1/' | sort -u >"$work/declared"
nm -D --defined-only "$lib" | awk 'NF == 3 && $2 != "A" { print $3 }' | sort -u >"$work/exported"
check "librowfs exports exactly the functions rowfs.h declares" "$work/declared" "$work/exported"
count=$(wc -l <"$work/declared")
if [ "$count" -ge 40 ]; then ok "rowfs.h declares $count functions"; else
	not_ok "rowfs.h declares $count functions (40 or more expected)"; fi
# the engine has internal globals of the same prefix: they stay hidden
if nm --defined-only "$top_builddir/engine/libengine.a" 2>/dev/null | grep -q ' T rowfs_db_pager$'; then
	if grep -qx rowfs_db_pager "$work/exported"; then
		not_ok "internal rowfs_db_pager is not exported"
	else
		ok "internal rowfs_db_pager is not exported"
	fi
else
	skip "the engine has no internal rowfs_db_pager"
fi

# 3. the header alone: only <rowfs.h> in the include path, strict C11 (its
# change times are struct timespec, which C11 and POSIX have, C99 does not)
mkdir "$work/inc" && cp "$hdr" "$work/inc/rowfs.h"
printf '#include <rowfs.h>\nint main(void) { return rowfs_version() == 0; }\n' >"$work/h.c"
if out=$($CC -std=c11 -pedantic -Wall -Wextra -Werror -I"$work/inc" -c -o "$work/h.o" \
	"$work/h.c" 2>&1); then
	ok "rowfs.h compiles alone as C11 (-pedantic)"
else
	not_ok "rowfs.h compiles alone as C11 (-pedantic)" "$out"
fi
if command -v c++ >/dev/null 2>&1; then
	cp "$work/h.c" "$work/h.cc"
	if out=$(c++ -Wall -Wextra -Werror -I"$work/inc" -c -o "$work/hcc.o" "$work/h.cc" 2>&1); then
		# extern "C": the call names the C symbol, not a mangled one
		expect "C++ calls rowfs_version by its C name" "rowfs_version" \
			"$(nm -u "$work/hcc.o" | awk '$2 ~ /rowfs/ { print $2 }')"
	else
		not_ok "rowfs.h compiles as C++" "$out"
	fi
else
	skip "no C++ compiler"
fi

# 4. a program embedding the engine through the shared library
real=$top_builddir/tests/.libs/embed
[ -x "$real" ] || real=$top_builddir/tests/.libs/lt-embed
if [ -x "$real" ]; then
	expect "tests/embed needs librowfs.so.0" "librowfs.so.0" \
		"$(readelf -d "$real" | sed -n 's/.*(NEEDED).*\[\(librowfs[^]]*\)\].*/\1/p')"
else
	not_ok "tests/embed is linked against the shared librowfs (no tests/.libs/embed)"
fi
cat >"$work/expected" <<'OUT'
Executed.
Executed.
Executed.
(2, Kindred, 8.0)
(3, Lavinia, 7.25)
1|Solaris|9.5
2|Kindred|8.0
3|Lavinia|7.25
OUT
if t "$top_builddir/tests/embed" "$work/e.db" >"$work/out" 2>"$work/err"; then
	head -n 1 "$work/out" | grep -q '^librowfs [0-9][0-9.]*$' &&
		ok "embed prints the library's version" ||
		not_ok "embed prints the library's version" "$(head -n 1 "$work/out")"
	sed 1d "$work/out" >"$work/rest"
	check "embed: replies and the rows read back" "$work/expected" "$work/rest"
else
	not_ok "embed runs" "$(cat "$work/out" "$work/err")"
fi
if out=$(t "$FSCK" "$work/e.db" 2>&1); then ok "fsck.rowfs: the embedded database is clean"; else
	not_ok "fsck.rowfs: the embedded database is clean" "$out"; fi
# a second run finds the table: the statement's error text, exit 1
if t "$top_builddir/tests/embed" "$work/e.db" >"$work/out" 2>"$work/err"; then
	not_ok "embed fails on a second run"
else
	expect "embed's second run: the create fails with its text" \
		"embed: create table books (id integer primary key, title text, price real): Error: table books already exists (ROWFS_DUPLICATE)" \
		"$(cat "$work/err")"
fi
done_testing
