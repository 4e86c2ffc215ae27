#!/bin/sh
# deploy.man: the man pages of deploy/man
#   - render without a single warning, with mandoc -Tlint (warnings and
#     worse; the "referenced manual not found" style notes are left out:
#     the sibling pages are found once installed) and with man -l (groff,
#     every warning on);
#   - say what the code does: every key of the configuration parser's table
#     (common/conf.c) is documented in kdc.conf.5 and present in
#     deploy/kdc.conf, kdc.conf.5 documents no key the parser lacks, and
#     every long option of the daemons and of kdc-client is in its page.
set -eu
. "$(dirname "$0")/lib.sh"
need mandoc man
MAN=$SRC/deploy/man
rc=0

for p in "$MAN"/*.[1-8]; do
	out=$(mandoc -Tlint -Wwarning "$p" 2>&1 | grep -v 'mandoc.db' || true)
	if [ -n "$out" ]; then
		echo "$out"
		echo "FAIL: mandoc -Tlint: $p" >&2
		rc=1
	fi
	out=$(MANWIDTH=80 man --warnings=all -l "$p" 2>&1 >/dev/null || echo "man -l failed")
	if [ -n "$out" ]; then
		echo "$out"
		echo "FAIL: man -l: $p" >&2
		rc=1
	fi
done

# The parser's table: one '{"section", "name", T_...' entry per key.
table=$(sed -n '/^static const struct conf_key keys\[\] = {/,/^};/p' "$SRC/common/conf.c")
[ -n "$table" ] || fail "no key table in common/conf.c"
keys=$(echo "$table" | sed -n 's/^[[:space:]]*{"\([a-z_]*\)", "\([a-z_]*\)", T_[A-Z]*,.*/\1.\2/p')
# Every entry line must have been understood, or keys would go unchecked.
entries=$(echo "$table" | grep -c '^[[:space:]]*{"')
nkeys=$(echo "$keys" | grep -c .)
[ "$entries" -eq "$nkeys" ] ||
	fail "common/conf.c: $entries table entries, $nkeys understood"
[ "$nkeys" -ge 20 ] || fail "only $nkeys keys found in common/conf.c"

# Keys documented in kdc.conf.5: ".It Cm key No = ..." under ".Ss Section [s]".
doc=$(awk '
	/^\.Ss Section / { s = $3; gsub(/\\&|\[|\]/, "", s) }
	/^\.Sh / { s = "" }
	s != "" && /^\.It Cm [a-z_]+ No =/ { print s "." $3 }
' "$MAN/kdc.conf.5")
for k in $keys; do
	if ! echo "$doc" | grep -qx "$k"; then
		echo "FAIL: key $k of common/conf.c is not documented in deploy/man/kdc.conf.5" >&2
		rc=1
	fi
	sect=${k%%.*}
	name=${k#*.}
	# In its section of deploy/kdc.conf, set or commented out.
	if ! awk -v s="[$sect]" -v n="$name" '
		$0 == s { in_s = 1; next }
		/^\[/ { in_s = 0 }
		in_s && $0 ~ ("^#?" n " = ") { found = 1 }
		END { exit !found }
	' "$SRC/deploy/kdc.conf"; then
		echo "FAIL: key $k of common/conf.c is missing from deploy/kdc.conf" >&2
		rc=1
	fi
done
for k in $doc; do
	if ! echo "$keys" | grep -qx "$k"; then
		echo "FAIL: deploy/man/kdc.conf.5 documents $k, unknown to common/conf.c" >&2
		rc=1
	fi
done
echo "kdc.conf keys: $nkeys in common/conf.c, $(echo "$doc" | grep -c .) in kdc.conf.5"

# Long options: {"name", ..._argument, ...} in each main.c.
check_opts() {
	opts=$(sed -n 's/^[[:space:]]*{"\([a-z-]*\)", [a-z_]*_argument,.*/\1/p' "$SRC/$1")
	[ -n "$opts" ] || fail "no long options found in $1"
	for o in $opts; do
		# Described in the options list: on an .It line.
		if ! grep -q "^\.It .*Fl -$o\( \|$\)" "$MAN/$2"; then
			echo "FAIL: option --$o of $1 is not in deploy/man/$2" >&2
			rc=1
		fi
	done
}
check_opts keystore/main.c kdc-keystore.8
check_opts frontend/main.c kdc-frontend.8
check_opts tools/client/main.c kdc-client.1
exit $rc
