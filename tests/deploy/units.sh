#!/bin/sh
# deploy.units: the installed systemd units
#   - pass `systemd-analyze verify` with no output at all (it exits 0 on
#     unknown keys and other problems it only warns about), man pages of
#     Documentation= included;
#   - score an exposure of at most 1.5 with
#     `systemd-analyze security --offline=true` (issue 7's bar).
# The units are checked as installed, with one change: ExecStart*= point
# into the DESTDIR, where the programs are (verify checks they exist).
set -eu
. "$(dirname "$0")/lib.sh"
need systemd-analyze man
make_tmp
DEST=$TMP/dest
install_tree "$DEST"

UNITDIR=$DEST/lib/systemd/system
units="kdc-keystore.service kdc-frontend@.service"
mkdir "$TMP/units"
for u in $units; do
	[ -f "$UNITDIR/$u" ] || fail "$u is not installed in lib/systemd/system"
	sed "s#^\(Exec[A-Za-z]*=[-+!@:]*\)/usr/#\1$DEST/usr/#" "$UNITDIR/$u" >"$TMP/units/$u"
	grep -q "^ExecStart=$DEST/usr/sbin/" "$TMP/units/$u" ||
		fail "$u: no ExecStart= into /usr/sbin"
done

rc=0
# The Documentation= man pages are looked up in the installed tree.
export MANPATH="$DEST/usr/share/man"
for u in $units; do
	out=$(cd "$TMP/units" && systemd-analyze verify --man=yes "./$u" 2>&1) || {
		echo "$out"
		echo "FAIL: systemd-analyze verify $u exited non-zero" >&2
		rc=1
		continue
	}
	if [ -n "$out" ]; then
		echo "$out"
		echo "FAIL: systemd-analyze verify $u printed warnings" >&2
		rc=1
	else
		echo "verify $u: clean"
	fi
done

# The bar of issue 7.
max=1.5
for u in $units; do
	out=$(systemd-analyze security --offline=true "$TMP/units/$u" 2>&1) || true
	level=$(echo "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9]*\.[0-9]\).*/\1/p')
	if [ -z "$level" ]; then
		echo "$out"
		echo "FAIL: no exposure level for $u" >&2
		rc=1
		continue
	fi
	echo "exposure $u: $level (at most $max)"
	if ! awk -v l="$level" -v m="$max" 'BEGIN { exit !(l <= m) }'; then
		echo "$out" | grep -v '✓' || true
		echo "FAIL: $u scores $level, above $max" >&2
		rc=1
	fi
done
exit $rc
