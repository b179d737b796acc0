#!/bin/sh
# Build the Debian packages from this tree, install them, use what they
# installed, and remove them (check.sh's last stage; CI runs it).
#   scripts/package.sh [WORKDIR]       (default: build-deb)
# The tree (tracked files and untracked ones git does not ignore) is copied
# to WORKDIR/rowfs, where `dpkg-buildpackage -us -uc -b` builds rowfs,
# librowfs0 and librowfs-dev into WORKDIR (with DEB_BUILD_OPTIONS=nocheck
# unless DEB_BUILD_OPTIONS is set: check.sh has run the tests already).
# Then, with the installed files only: a mount by /usr/bin/rowfs (insert,
# read the rows, unmount), rowsh and fsck.rowfs on the database, the man
# pages and the bash completion, and tests/embed.c compiled with
# `pkg-config --cflags --libs rowfs` against the installed librowfs.
# Needs root or sudo (apt-get) and /dev/fuse.  Exit 0 when all passed.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$top/build-deb}
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
T=${ROWFS_TEST_TIMEOUT:-30}
PKGS="rowfs librowfs0 librowfs-dev"

fail=0
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1))
	fail=1
	echo "not ok $n - $1"
	shift
	[ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/# /'
	return 0
}
expect() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "expected: $2" "got:      $3"; fi; }

# --- build ---
rm -rf "$work"
mkdir -p "$work/rowfs"
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$top" && git ls-files -z --cached --others --exclude-standard |
		tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -C "$work/rowfs" -xf -
else
	(cd "$top" && tar --exclude='./build*' --exclude=./.git -cf - .) | tar -C "$work/rowfs" -xf -
fi
echo "== package: dpkg-buildpackage -us -uc -b in $work/rowfs"
jobs=$(nproc 2>/dev/null || echo 1)
if ! (cd "$work/rowfs" &&
	DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS-nocheck} parallel=$jobs" \
		dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
	tail -n 60 "$work/build.log"
	echo "== package: dpkg-buildpackage FAILED (log: $work/build.log)"
	exit 1
fi
ok "dpkg-buildpackage -us -uc -b"
debs=""
for p in $PKGS; do
	f=$(ls "$work/${p}_"*.deb 2>/dev/null | head -n 1)
	if [ -n "$f" ]; then debs="$debs $f"; else not_ok "package $p was built"; fi
done
[ "$fail" -eq 0 ] || exit 1

# --- install; everything after this is removed at exit ---
tmp=$(mktemp -d)
mnt=$tmp/mnt
mkdir "$mnt"
daemon=""
cleanup() {
	if mountpoint -q "$mnt" 2>/dev/null; then
		fusermount3 -u "$mnt" 2>/dev/null || fusermount3 -uz "$mnt" 2>/dev/null || true
	fi
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get purge -y -qq $PKGS >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
echo "== package: apt-get install$debs"
# shellcheck disable=SC2086
if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
	$debs >"$work/install.log" 2>&1; then
	cat "$work/install.log"
	not_ok "apt-get install the packages"
	exit 1
fi
ok "apt-get install the packages"

# --- what each package holds ---
for f in /usr/bin/rowfs /usr/bin/rowsh /usr/sbin/fsck.rowfs /usr/share/man/man1/rowfs.1.gz \
	/usr/share/man/man1/rowsh.1.gz /usr/share/man/man8/fsck.rowfs.8.gz \
	/usr/share/man/man5/rowfs.5.gz /usr/share/bash-completion/completions/rowfs \
	/usr/share/bash-completion/completions/rowsh \
	/usr/share/bash-completion/completions/fsck.rowfs; do
	if dpkg -S "$f" 2>/dev/null | grep -q '^rowfs:'; then ok "rowfs holds $f"; else
		not_ok "rowfs holds $f"; fi
done
libdir=$(pkg-config --variable=libdir rowfs 2>/dev/null || true)
for f in "$libdir/librowfs.so.0"; do
	if dpkg -S "$f" 2>/dev/null | grep -q '^librowfs0'; then ok "librowfs0 holds $f"; else
		not_ok "librowfs0 holds $f"; fi
done
for f in /usr/include/rowfs.h "$libdir/librowfs.so" "$libdir/pkgconfig/rowfs.pc"; do
	if dpkg -S "$f" 2>/dev/null | grep -q '^librowfs-dev'; then ok "librowfs-dev holds $f"; else
		not_ok "librowfs-dev holds $f"; fi
done
if dpkg -L $PKGS | grep -q '\.la$'; then not_ok "no libtool archive is packaged"; else
	ok "no libtool archive is packaged"; fi
expect "man -w rowfs finds the installed page" "/usr/share/man/man1/rowfs.1.gz" \
	"$(man -w rowfs 2>&1)"
expect "the installed completion completes rowsh's options" "complete -F _rowsh rowsh" \
	"$(bash -c '. /usr/share/bash-completion/completions/rowsh && complete -p rowsh' 2>&1)"

# --- a mount by the installed daemon ---
db=$tmp/t.db
/usr/bin/rowfs -f "$db" "$mnt" >"$tmp/daemon.log" 2>&1 &
daemon=$!
i=0
while ! mountpoint -q "$mnt" && [ $i -lt $((T * 10)) ] && kill -0 "$daemon" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
if mountpoint -q "$mnt"; then
	ok "/usr/bin/rowfs mounts $db"
	printf 'insert 1 alice\ninsert 2 bob\n' >"$mnt/ctl" && ok "insert through ctl" ||
		not_ok "insert through ctl"
	expect "cat rows" "$(printf '1\talice\n2\tbob')" "$(timeout "$T" cat "$mnt/rows" 2>&1)"
	echo "create table t (id integer primary key, v text)" >"$mnt/ctl" &&
		echo "insert into t values (7, 'seven')" >"$mnt/ctl" &&
		expect "a table's rows.ndjson" '{"id":7,"v":"seven"}' \
			"$(timeout "$T" cat "$mnt/tables/t/rows.ndjson" 2>&1)" ||
		not_ok "create table and insert through ctl"
	if timeout "$T" fusermount3 -u "$mnt"; then
		st=0
		wait "$daemon" || st=$?
		daemon=""
		expect "fusermount3 -u: the daemon exits with 0" 0 "$st"
	else
		not_ok "fusermount3 -u"
	fi
else
	not_ok "/usr/bin/rowfs mounts $db" "$(cat "$tmp/daemon.log")"
fi
expect "rowsh reads what the mount wrote" "$(printf '(1, alice)\n(2, bob)')" \
	"$(echo select | timeout "$T" /usr/bin/rowsh "$db" 2>&1)"
out=$(timeout "$T" /usr/sbin/fsck.rowfs "$db" 2>&1) && ok "fsck.rowfs: clean" ||
	not_ok "fsck.rowfs: clean" "$out"

# --- a program built against the installed librowfs ---
if out=$(cd "$tmp" && cc -o embed "$top/tests/embed.c" $(pkg-config --cflags --libs rowfs) 2>&1); then
	ok "cc tests/embed.c \$(pkg-config --cflags --libs rowfs)"
	lib=$(ldd "$tmp/embed" | sed -n 's/.*librowfs\.so\.0 => \([^ ]*\) .*/\1/p')
	expect "embed links the installed librowfs.so.0" "$(readlink -f "$libdir/librowfs.so.0")" \
		"$(readlink -f "${lib:-none}")"
	cat >"$tmp/expected" <<'OUT'
Executed.
Executed.
Executed.
(2, Kindred, 8.0)
(3, Lavinia, 7.25)
1|Solaris|9.5
2|Kindred|8.0
3|Lavinia|7.25
OUT
	if timeout "$T" "$tmp/embed" "$tmp/e.db" >"$tmp/out" 2>&1; then
		sed 1d "$tmp/out" >"$tmp/rest"
		if cmp -s "$tmp/expected" "$tmp/rest"; then ok "embed: replies and rows read back"; else
			not_ok "embed: replies and rows read back" "$(diff "$tmp/expected" "$tmp/rest")"; fi
	else
		not_ok "embed runs" "$(cat "$tmp/out")"
	fi
	expect "librowfs's version is the package's" \
		"librowfs $(dpkg-query -W -f='${Version}' librowfs0)" "$(head -n 1 "$tmp/out")"
else
	not_ok "cc tests/embed.c \$(pkg-config --cflags --libs rowfs)" "$out"
fi

# --- removal ---
# shellcheck disable=SC2086
if DEBIAN_FRONTEND=noninteractive $SUDO apt-get purge -y -qq $PKGS >"$work/purge.log" 2>&1 &&
	! [ -e /usr/bin/rowfs ] && ! [ -e /usr/include/rowfs.h ] && ! [ -e "$libdir/librowfs.so.0" ]; then
	ok "apt-get purge removes them"
else
	not_ok "apt-get purge removes them" "$(cat "$work/purge.log")"
fi
echo "1..$n"
[ "$fail" -eq 0 ]
