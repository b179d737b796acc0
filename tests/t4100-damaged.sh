#!/bin/sh
# t4100-damaged.sh - randomly damaged copies of a database and its WAL:
# bytes flipped, files truncated at random lengths, pages zeroed or filled
# with garbage or copied over other pages, the WAL removed.  On every copy
#   - fsck.rowfs exits 0 or 4 (never a crash, never 8, never a hang);
#   - rowsh runs `select` and either serves rows or refuses with a message
#     (exit status below 128, no hang);
#   - rowfs either refuses to mount with a message and a non-zero status,
#     or mounts, serves `cat rows` (what is intact) and unmounts cleanly;
#   - when fsck calls a copy clean, rowsh and the mount both serve it, and
#     they serve the same rows.
# Everything runs under a timeout.  ROWFS_DAMAGE_ITERATIONS sets the number
# of copies (default 100, 1000 with ROWFS_SLOW=1); ROWFS_DAMAGE_SEED
# replays a run (the seed is printed).  TAP.

. "${top_srcdir:-.}/tests/lib.sh"

require_fuse
TD=10   # seconds any one tool may take on a damaged copy

iterations=${ROWFS_DAMAGE_ITERATIONS:-100}
[ "${ROWFS_SLOW:-0}" = 1 ] && iterations=${ROWFS_DAMAGE_ITERATIONS:-1000}
seed=${ROWFS_DAMAGE_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "# seed $seed (ROWFS_DAMAGE_SEED=$seed replays this run), $iterations copies"

# --- the intact database: a checkpointed tree of depth 2, and a WAL --------
# 300 rows through rowsh (checkpointed at exit), then 120 more through a
# mount with sync=full; the files are copied while mounted, as a crash
# would leave them: DBFILE has the first 300, the WAL the rest.
awk 'BEGIN { for (i = 1; i <= 300; i++) printf "insert %d user%d\n", i * 3, i }' |
	t "$ROWSH" "$db" >/dev/null
mount_rowfs || { not_ok "mount the intact database"; done_testing; }
awk 'BEGIN { for (i = 1; i <= 120; i++) printf "insert %d w%d\n", i * 3 + 1, i }' >"$mnt/ctl"
printf 'insert 5000 \303\251t\303\251\n' >"$mnt/ctl"
cp "$db" "$work/base.db" && cp "$db-wal" "$work/base.db-wal"
if umount_rowfs; then ok "intact database made"; else not_ok "intact database made"; fi
for f in base.db base.db-wal; do
	echo "# $f: $(wc -c <"$work/$f") bytes"
done
t "$FSCK" "$work/base.db" >"$work/out" 2>&1
expect "fsck.rowfs: the intact copy is clean" 0 $?

# --- fixed damage: regressions ----------------------------------------------
# fixed.db: 300 rows through rowsh, checkpointed: a root and three leaves.
awk 'BEGIN { for (i = 1; i <= 300; i++) printf "insert %d user%d\n", i * 3, i }' |
	t "$ROWSH" "$work/fixed.db" >/dev/null
printf '.btree\n' | t "$ROWSH" "$work/fixed.db" >"$work/btree"
root=$(sed -n '1s/^internal (page \([0-9]*\)).*/\1/p' "$work/btree")
leaf1=$(sed -n '2s/^  leaf (page \([0-9]*\)).*/\1/p' "$work/btree")
echo "# fixed.db: root page ${root:-?}, first leaf page ${leaf1:-?}"

# fixed_copy: c.db = fixed.db, no WAL.
fixed_copy() {
	rm -f "$work/c.db" "$work/c.db-wal"
	cp "$work/fixed.db" "$work/c.db"
}

# serve_rows WHAT [any-order]: mount c.db, `cat rows` must end within $TD
# seconds with rows in strictly increasing id order, each once (unless
# any-order); unmount; no crash.
tab=$(printf '\t')

serve_rows() {
	"$ROWFS" -f "$work/c.db" "$mnt" >"$work/mount.log" 2>&1 &
	daemon_pid=$!
	echo "$daemon_pid" >"$work/daemon.pid"
	j=0
	while [ $j -lt $((TD * 10)) ] && ! mountpoint -q "$mnt" 2>/dev/null && daemon_alive; do
		sleep_a_bit
		j=$((j + 1))
	done
	if ! mountpoint -q "$mnt" 2>/dev/null; then
		not_ok "$1: mounted" "$(cat "$work/mount.log")"
		kill_daemon KILL
		return
	fi
	timeout "$TD" cat "$mnt/rows" >"$work/rows" 2>"$work/cat.err"
	st=$?
	if [ "$st" -ge 124 ]; then
		not_ok "$1: cat rows ends" "status $st after $(wc -l <"$work/rows") lines"
	elif [ -z "${2:-}" ] && ! cut -f1 "$work/rows" | sort -n -c -u 2>"$work/sort.err"; then
		not_ok "$1: rows sorted, none repeated" "$(cat "$work/sort.err")"
	else
		order=", sorted, none repeated"
		[ -n "${2:-}" ] && order=", in any order"
		ok "$1: cat rows ends (status $st, $(wc -l <"$work/rows") lines$order)"
	fi
	if timeout "$TD" fusermount3 -u "$mnt" && wait_daemon && [ "$daemon_status" -lt 124 ]; then
		ok "$1: unmounted, daemon exit $daemon_status"
	else
		not_ok "$1: unmounted cleanly" "daemon status ${daemon_status:-?}"
		unmount_quietly "$mnt"
		kill_daemon KILL
	fi
}

if [ -n "$root" ] && [ -n "$leaf1" ]; then
	# The root replaced by a copy of the first leaf: the leaf chain leads
	# back to lower keys.  `rows` seeks after its last id at every read and
	# used to go back there for ever (an endless, repeating stream).
	fixed_copy
	t dd if="$work/fixed.db" of="$work/c.db" bs=4096 skip="$leaf1" seek="$root" count=1 \
		conv=notrunc 2>/dev/null
	t "$FSCK" "$work/c.db" >/dev/null 2>&1
	expect "root page overwritten by a leaf: fsck.rowfs exit 4" 4 $?
	serve_rows "root page overwritten by a leaf"

	# The last row's id (in the row, not the cell's key) changed to 3.
	# `rows` resumes after the last id it showed at every read: it used to
	# start again at 4 after that row, for ever.
	last_leaf=$(sed -n '$s/^  leaf (page \([0-9]*\)).*/\1/p' "$work/btree")
	last_cells=$(sed -n '$s/^  leaf (page [0-9]*): \([0-9]*\) cells.*/\1/p' "$work/btree")
	fixed_copy
	printf '\003' | t dd of="$work/c.db" bs=1 conv=notrunc 2>/dev/null \
		seek=$((last_leaf * 4096 + 14 + (last_cells - 1) * 40 + 4))
	t "$FSCK" "$work/c.db" >/dev/null 2>&1
	expect "the last row's id is 3, not its key: fsck.rowfs exit 4" 4 $?
	serve_rows "the last row's id is 3, not its key"
	printf 'select\n' | timeout "$TD" "$ROWSH" "$work/c.db" >"$work/out" 2>&1
	st=$?
	if [ "$st" -lt 124 ] && [ "$(wc -l <"$work/out")" -le 301 ]; then
		ok "the last row's id is 3, not its key: rowsh select ends (status $st)"
	else
		not_ok "the last row's id is 3, not its key: rowsh select ends" "status $st"
	fi

	# A newline inside a stored name (byte 1 of the first row's name).  No
	# statement can store it; fsck should call it damage, and `rows` must
	# stay one line per row.
	fixed_copy
	printf '\n' | t dd of="$work/c.db" bs=1 seek=$((leaf1 * 4096 + 14 + 4 + 4 + 1)) \
		conv=notrunc 2>/dev/null
	t "$FSCK" "$work/c.db" >"$work/fsck.out" 2>&1
	st=$?
	if [ "$st" -eq 4 ]; then
		ok "a newline in a stored name: fsck.rowfs exit 4"
	else
		not_ok "a newline in a stored name: fsck.rowfs exit 4" "got $st: $(cat "$work/fsck.out")"
	fi
	# `rows` serves the rows before the damaged one, then reports the
	# damage (EIO) instead of a broken line.
	serve_rows "a newline in a stored name" any-order
	if ! grep -q -v "^[0-9][0-9]*$tab" "$work/rows" &&
		grep -q "Input/output error" "$work/cat.err"; then
		ok "a newline in a stored name: rows fails with EIO, no broken line"
	else
		not_ok "a newline in a stored name: rows fails with EIO, no broken line" \
			"$(wc -l <"$work/rows") lines; $(cat "$work/cat.err")"
	fi
else
	not_ok "the layout of fixed.db" "$(cat "$work/btree")"
fi

# --- the damage --------------------------------------------------------------
cat >"$work/damage.py" <<'EOF'
# damage.py SEED DB WAL: apply 1..3 random kinds of damage to DB and WAL,
# print what was done on one line.
import os, random, sys

rnd = random.Random(int(sys.argv[1]))
db, wal = sys.argv[2], sys.argv[3]
PAGE = 4096
done = []

def size(p):
    return os.path.getsize(p) if os.path.exists(p) else 0

def flip(p, n):
    s = size(p)
    if s == 0:
        return
    with open(p, "r+b") as f:
        for _ in range(n):
            off = rnd.randrange(s)
            f.seek(off)
            b = f.read(1)[0]
            f.seek(off)
            f.write(bytes([b ^ (1 << rnd.randrange(8))]))
            done.append("flip %s@%d" % (os.path.basename(p), off))

def byte_garbage(p, n):
    s = size(p)
    if s == 0:
        return
    with open(p, "r+b") as f:
        off = rnd.randrange(s)
        f.seek(off)
        f.write(bytes(rnd.randrange(256) for _ in range(n)))
        done.append("garbage %s@%d+%d" % (os.path.basename(p), off, n))

def truncate(p):
    s = size(p)
    n = rnd.choice([0, rnd.randrange(s + 1), (rnd.randrange(s // PAGE + 1)) * PAGE,
                    s - rnd.randrange(1, 64) if s > 64 else 0])
    n = max(0, n)
    os.truncate(p, n) if os.path.exists(p) else None
    done.append("truncate %s to %d" % (os.path.basename(p), n))

def page_op(p, kind):
    s = size(p)
    pages = s // PAGE
    if pages == 0:
        return
    pg = rnd.randrange(pages)
    with open(p, "r+b") as f:
        if kind == "zero":
            data = bytes(PAGE)
        elif kind == "random":
            data = bytes(rnd.randrange(256) for _ in range(PAGE))
        else:   # copy another page over this one
            src = rnd.randrange(pages)
            f.seek(src * PAGE)
            data = f.read(PAGE)
            kind = "copy of page %d" % src
        f.seek(pg * PAGE)
        f.write(data)
    done.append("%s page %d: %s" % (os.path.basename(p), pg, kind))

def extend(p):
    with open(p, "ab") as f:
        n = rnd.choice([1, 7, 100, PAGE, 3 * PAGE + 5])
        f.write(bytes(rnd.randrange(256) for _ in range(n)))
    done.append("append %d random bytes to %s" % (n, os.path.basename(p)))

ops = [
    lambda: flip(db, rnd.randint(1, 8)),
    lambda: flip(wal, rnd.randint(1, 8)),
    lambda: flip(db, 1),
    lambda: byte_garbage(db, rnd.randint(2, 64)),
    lambda: byte_garbage(wal, rnd.randint(2, 64)),
    lambda: truncate(db),
    lambda: truncate(wal),
    lambda: page_op(db, "zero"),
    lambda: page_op(db, "random"),
    lambda: page_op(db, "copy"),
    lambda: page_op(wal, "zero"),
    lambda: extend(db),
    lambda: extend(wal),
    lambda: (os.path.exists(wal) and os.unlink(wal), done.append("no WAL")),
]
for _ in range(rnd.choice([1, 1, 1, 2, 3])):
    rnd.choice(ops)()
print("; ".join(done) if done else "nothing")
EOF

# tool_status NAME STATUS: fail when a tool crashed or hung.
crashed() { [ "$1" -ge 124 ]; }

# mount_copy: mount $work/c.db; sets mounted=1 when the mount came up,
# else refused=STATUS with the daemon's message in $work/mount.log.
mount_copy() {
	mounted=0
	refused=""
	"$ROWFS" -f "$work/c.db" "$mnt" >"$work/mount.log" 2>&1 &
	daemon_pid=$!
	echo "$daemon_pid" >"$work/daemon.pid"
	j=0
	while [ $j -lt $((TD * 10)) ]; do
		if mountpoint -q "$mnt" 2>/dev/null; then
			mounted=1
			return
		fi
		if ! daemon_alive; then
			wait "$daemon_pid"
			refused=$?
			daemon_pid=""
			return
		fi
		sleep_a_bit
		j=$((j + 1))
	done
	refused=hang
}

problems=0
clean_copies=0
refused_fsck=0
refused_rowsh=0
refused_mount=0
copy=0   # (lib.sh's helpers use $i)
while [ $copy -lt "$iterations" ]; do
	copy=$((copy + 1))
	cp "$work/base.db" "$work/x.db"
	cp "$work/base.db-wal" "$work/x.db-wal"
	what=$(python3 "$work/damage.py" "$((seed + copy))" "$work/x.db" "$work/x.db-wal")
	bad=""

	# fsck.rowfs: 0 or 4, never anything else
	rm -f "$work/c.db" "$work/c.db-wal"
	cp "$work/x.db" "$work/c.db"
	[ -e "$work/x.db-wal" ] && cp "$work/x.db-wal" "$work/c.db-wal"
	timeout "$TD" "$FSCK" "$work/c.db" >"$work/fsck.out" 2>&1
	fsck_st=$?
	case $fsck_st in
	0) clean_copies=$((clean_copies + 1)) ;;
	4) refused_fsck=$((refused_fsck + 1)) ;;
	*) bad="fsck.rowfs exit $fsck_st: $(head -c 300 "$work/fsck.out")" ;;
	esac

	# rowsh select: rows, or a refusal with a message; no crash, no hang
	rm -f "$work/c.db" "$work/c.db-wal"
	cp "$work/x.db" "$work/c.db"
	[ -e "$work/x.db-wal" ] && cp "$work/x.db-wal" "$work/c.db-wal"
	printf 'select\n' | timeout "$TD" "$ROWSH" "$work/c.db" >"$work/rowsh.out" 2>"$work/rowsh.err"
	rowsh_st=$?
	if crashed "$rowsh_st"; then
		bad="$bad${bad:+; }rowsh exit $rowsh_st: $(head -c 300 "$work/rowsh.err")"
	elif [ "$rowsh_st" -ne 0 ]; then
		refused_rowsh=$((refused_rowsh + 1))
		if [ ! -s "$work/rowsh.err" ] && [ ! -s "$work/rowsh.out" ]; then
			bad="$bad${bad:+; }rowsh exit $rowsh_st without a message"
		fi
		[ "$fsck_st" -eq 0 ] && bad="$bad${bad:+; }fsck clean, rowsh failed: $(head -c 300 "$work/rowsh.err")"
	fi
	sed -n 's/^(\([0-9]*\), \(.*\))$/\1\t\2/p' "$work/rowsh.out" >"$work/rowsh.rows"

	# the mount: refuse with a message, or serve rows and unmount cleanly
	rm -f "$work/c.db" "$work/c.db-wal"
	cp "$work/x.db" "$work/c.db"
	[ -e "$work/x.db-wal" ] && cp "$work/x.db-wal" "$work/c.db-wal"
	mount_copy
	if [ "$mounted" = 1 ]; then
		timeout "$TD" cat "$mnt/rows" >"$work/mount.rows" 2>"$work/cat.err"
		cat_st=$?
		if crashed "$cat_st"; then
			bad="$bad${bad:+; }cat rows exit $cat_st"
		elif [ "$fsck_st" -eq 0 ] && [ "$cat_st" -ne 0 ]; then
			bad="$bad${bad:+; }fsck clean, cat rows failed: $(cat "$work/cat.err")"
		elif [ "$fsck_st" -eq 0 ] && [ "$rowsh_st" -eq 0 ]; then
			if grep -q -v "^[0-9][0-9]*$tab" "$work/mount.rows"; then
				bad="$bad${bad:+; }fsck clean, but rows has a broken line"
			elif ! cmp -s "$work/rowsh.rows" "$work/mount.rows"; then
				bad="$bad${bad:+; }rowsh and the mount serve different rows"
			fi
		fi
		timeout "$TD" cat "$mnt/btree" "$mnt/stats" >/dev/null 2>&1
		crashed $? && bad="$bad${bad:+; }cat btree stats hung"
		if ! timeout "$TD" fusermount3 -u "$mnt" 2>>"$work/mount.log"; then
			bad="$bad${bad:+; }fusermount3 -u failed"
			unmount_quietly "$mnt"
		fi
		if ! wait_daemon; then
			bad="$bad${bad:+; }daemon still running after unmount"
			kill -9 "$daemon_pid" 2>/dev/null
			wait "$daemon_pid" 2>/dev/null
			daemon_pid=""
		elif crashed "$daemon_status"; then
			bad="$bad${bad:+; }daemon exit $daemon_status: $(tail -c 300 "$work/mount.log")"
		fi
	elif [ "$refused" = hang ]; then
		bad="$bad${bad:+; }mount neither came up nor failed in ${TD}s"
		kill -9 "$daemon_pid" 2>/dev/null
		wait "$daemon_pid" 2>/dev/null
		daemon_pid=""
		unmount_quietly "$mnt"
	else
		refused_mount=$((refused_mount + 1))
		if crashed "$refused"; then
			bad="$bad${bad:+; }rowfs exit $refused: $(tail -c 300 "$work/mount.log")"
		elif [ "$refused" -eq 0 ] || [ ! -s "$work/mount.log" ]; then
			bad="$bad${bad:+; }rowfs refused with status $refused and no message"
		elif [ "$fsck_st" -eq 0 ]; then
			bad="$bad${bad:+; }fsck clean, mount refused: $(head -c 300 "$work/mount.log")"
		fi
	fi

	if [ -n "$bad" ]; then
		problems=$((problems + 1))
		not_ok "copy $copy ($what)" "$bad" "replay: ROWFS_DAMAGE_SEED=$seed (copy $copy)"
	fi
done
if [ "$problems" -eq 0 ]; then
	ok "$iterations damaged copies: no crash, no hang, every refusal with a message"
fi
echo "# fsck: $clean_copies clean, $refused_fsck damaged; rowsh refused $refused_rowsh;" \
	"rowfs refused $refused_mount"
done_testing
