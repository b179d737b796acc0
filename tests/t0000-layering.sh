#!/bin/sh
# t0000-layering.sh - the include rules of STYLE.md, checked mechanically.
#
# Every #include "..." line of engine/, fs/ and src/ is compared with the
# table below.  The engine is layered
#     os < wal < pager < btree < cursor < vm      (storage side)
#     cache < snapshot < pager                    (the pager's page cache and version store)
#     tokenizer < parser < compiler < vm          (statement side)
# with util.h (the bottom utility module: byte order, varints, UTF-8,
# FNV-1a) usable by every engine module and including none, textform.c
# (the text forms of a value, rowfs.h's; on util alone), lines.c (the
# lines of the renderings and their sizes; on row and util), sizes.c (per
# table: last change and byte counts; on lines), format.h
# (constants) and row.h (the pure codec of users' rows) usable by every
# storage module, record.h (the pure record codec of version-2 tables) by
# parser, table and up, table.h (version-2 table B-trees) beside btree on
# the pager, catalog.h on table and parser, access.h (the VM's one path
# to both kinds of table) on catalog, table, btree and cursor, input
# (rows given as CSV / JSON / a value, made statements) on catalog, parser
# and record, btree_int.h shared by btree, cursor and check only,
# table_int.h (the pure decoders of table pages) by table and check,
# db.c / check.c (the facade and the checker) allowed every engine
# header, logrec.h (the framing of log records) on format and util, and
# salvage.c (rowfs_salvage, which reads a
# damaged file without the pager) beside the pager, on wal, os, the codecs
# (row, record, logrec, table_int's page decoders) and the pure
# create-statement checks (parser, catalog_schema_from_create).  fs/ and
# src/ see only rowfs.h from the engine (src/rowfs.c and fs/ may also
# include fs/ headers, src/ files the headers of src/); no engine file
# includes an fs/ or src/ header or libfuse.  A new engine module must be
# added to the table.
#
# TAP output, one test per file.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# tap.sh is found beside this file: the self-test at the end runs it again
# with top_srcdir pointing at a planted tree.
# shellcheck source=tests/tap.sh
. "$(dirname "$0")/tap.sh"

# allowed MODULE: the project headers (stems) MODULE may include besides
# its own header; fails for a module that is not in the table.
allowed() {
	case $1 in
	format | rowfs | util) echo "" ;;
	status | os) echo "util rowfs" ;;
	row | record) echo "format util rowfs" ;;
	textform) echo "util rowfs" ;;
	lines) echo "row util rowfs" ;;
	sizes) echo "lines rowfs" ;;
	wal) echo "os format row util rowfs" ;;
	cache) echo "format util rowfs" ;;
	snapshot) echo "cache format util rowfs" ;;
	pager) echo "cache snapshot wal os format row util rowfs" ;;
	logrec) echo "format util rowfs" ;;
	salvage) echo "wal os format row util logrec record table_int parser catalog rowfs" ;;
	table_int) echo "table format util rowfs" ;;
	btree_int) echo "pager format row util rowfs" ;;
	btree) echo "pager btree_int format row util rowfs" ;;
	table) echo "table_int pager record format row util rowfs" ;;
	cursor) echo "btree btree_int pager format row util rowfs" ;;
	tokenizer) echo "format row util rowfs" ;;
	parser) echo "tokenizer record format util rowfs" ;;
	catalog) echo "table pager parser record format row util rowfs" ;;
	access) echo "catalog table btree cursor pager record format row util rowfs" ;;
	compiler) echo "parser catalog record format util rowfs" ;;
	input) echo "catalog parser record util rowfs" ;;
	vm) echo "compiler access catalog logrec lines table cursor btree pager record format row util rowfs" ;;
	db_int) echo "pager rowfs" ;;
	db | check) echo "$engine_stems" ;;
	*) return 1 ;;
	esac
}

# Project includes of a file, one per line: the quoted name.
quoted_includes() {
	sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$1"
}

# 1 if FILE includes a libfuse header in any form.
includes_fuse() {
	grep -Eq '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]fuse' "$1"
}

contains() {
	case " $1 " in
	*" $2 "*) return 0 ;;
	*) return 1 ;;
	esac
}

engine_stems=""
for f in "$top_srcdir"/engine/*.h; do
	[ -e "$f" ] || continue
	b=${f##*/}
	engine_stems="$engine_stems ${b%.h}"
done
fs_headers=""
for f in "$top_srcdir"/fs/*.h; do
	[ -e "$f" ] || continue
	fs_headers="$fs_headers ${f##*/}"
done
src_headers=""
for f in "$top_srcdir"/src/*.h; do
	[ -e "$f" ] || continue
	src_headers="$src_headers ${f##*/}"
done

# Engine files.
for f in "$top_srcdir"/engine/*.c "$top_srcdir"/engine/*.h; do
	[ -e "$f" ] || continue
	name=${f##*/}
	stem=${name%.*}
	if ! table=$(allowed "$stem"); then
		not_ok "engine/$name" "module '$stem' is not in the layering table of $0"
		continue
	fi
	bad=""
	for inc in $(quoted_includes "$f"); do
		h=${inc##*/}
		s=${h%.h}
		[ "$inc" = "config.h" ] && continue
		if [ "$inc" != "$h" ]; then
			bad="$bad $inc(path)"
		elif [ "$s" = "$stem" ]; then
			continue
		elif ! contains "$engine_stems" "$s"; then
			bad="$bad $inc(not-engine)"
		elif ! contains "$table" "$s"; then
			bad="$bad $inc"
		fi
	done
	if includes_fuse "$f"; then
		bad="$bad fuse"
	fi
	if [ -n "$bad" ]; then
		not_ok "engine/$name" "forbidden includes:$bad" "allowed: $stem.h $table"
	else
		ok "engine/$name"
	fi
done

# fs/ and src/: only rowfs.h from the engine; src/ files also the headers
# of src/ (the modules of rowsh).
for f in "$top_srcdir"/fs/*.c "$top_srcdir"/fs/*.h "$top_srcdir"/src/*.c \
	"$top_srcdir"/src/*.h; do
	[ -e "$f" ] || continue
	rel=${f#"$top_srcdir"/}
	case $rel in
	fs/* | src/rowfs.c) may_fs=1 ;;
	*) may_fs=0 ;;
	esac
	case $rel in
	src/*) may_src=1 ;;
	*) may_src=0 ;;
	esac
	bad=""
	for inc in $(quoted_includes "$f"); do
		h=${inc##*/}
		if [ "$inc" = "config.h" ] || [ "$inc" = "rowfs.h" ]; then
			continue
		elif [ $may_fs = 1 ] && [ "$inc" = "$h" ] && contains "$fs_headers" "$h" &&
			! contains "$engine_stems" "${h%.h}"; then
			continue
		elif [ $may_src = 1 ] && [ "$inc" = "$h" ] && contains "$src_headers" "$h" &&
			! contains "$engine_stems" "${h%.h}"; then
			continue
		fi
		bad="$bad $inc"
	done
	if [ -n "$bad" ]; then
		not_ok "$rel" "forbidden includes:$bad" \
			"allowed: rowfs.h$([ $may_fs = 1 ] && echo " and fs/ headers")$([ $may_src = 1 ] && echo " and src/ headers")"
	else
		ok "$rel"
	fi
done

if [ $n -eq 0 ]; then
	not_ok "no source files found under $top_srcdir"
fi

# The checker itself: planted upward includes must be caught.
if [ -z "$ROWFS_LAYERING_INNER" ]; then
	mkdir "$work/engine" "$work/fs" "$work/src"
	for h in rowfs os wal pager; do
		: >"$work/engine/$h.h"
	done
	printf '#include "wal.h"\n#include "os.h"\n' >"$work/engine/pager.c"
	ROWFS_LAYERING_INNER=1 top_srcdir=$work sh "$0" >"$work/good.out" 2>&1
	good=$?
	printf '#include "pager.h"\n' >"$work/engine/wal.c"
	printf '#include "rowfs.h"\n#include "pager.h"\n' >"$work/src/rowsh.c"
	printf '#include <fuse.h>\n' >"$work/engine/os.c"
	ROWFS_LAYERING_INNER=1 top_srcdir=$work sh "$0" >"$work/bad.out" 2>&1
	bad=$?
	if [ $good = 0 ] && [ $bad != 0 ] &&
		[ "$(grep -c '^not ok' "$work/bad.out")" = 3 ]; then
		ok "planted violations are caught"
	else
		not_ok "planted violations are caught" "clean tree exit $good, planted tree exit $bad" \
			"$(cat "$work/bad.out")"
	fi
fi
done_testing
