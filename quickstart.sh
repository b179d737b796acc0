#!/bin/sh
# Install what is missing, build rowfs, and mount the default database
# ./rowfs.db on ./mnt.
set -eu
top=$(cd "$(dirname "$0")" && pwd)
cd "$top"
sh scripts/deps.sh
sh scripts/build.sh "$top/build"
mkdir -p mnt
if mountpoint -q mnt; then
	echo "mnt is already mounted"
else
	./build/src/rowfs rowfs.db mnt
fi
cat <<MSG
rowfs is mounted on ./mnt (database ./rowfs.db, log ./rowfs.db-wal).
  echo "insert 1 alice" > mnt/ctl     # insert a row
  cat mnt/rows                        # every row, in key order
  cat mnt/by-id/1; rm mnt/by-id/1     # one row as a file
  cat mnt/range/1-100 mnt/rows.csv    # ranges and renderings (see README)
  cat mnt/btree mnt/stats             # the tree and the engine's counters
  ./build/src/rowsh rowfs.db          # the REPL (unmount first: one owner at a time)
Unmount with: fusermount3 -u mnt
MSG
