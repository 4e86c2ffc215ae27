#!/bin/sh
# deploy.installed: `cmake --install` of the release tree into a DESTDIR,
# then the installed programs run the way the systemd units run them, with
# the operator's tasks of docs/OPERATIONS.md:
#   1. the layout (GNUInstallDirs for /usr; /etc and /lib/systemd/system
#      outside /usr), and the sysusers.d / tmpfiles.d files applied to an
#      empty root;
#   2. the installed default configuration, changed only for paths (under
#      a private root folder) and loopback ports; the ExecStartPre= and
#      ExecStart= lines read from the installed units; as root the daemons
#      run as the units' User=/Group=/SupplementaryGroups= (created on this
#      host with the installed sysusers.d file, as the package's postinst
#      does), with no capabilities and no_new_privs;
#   3. one keystore and two frontends (kdc-frontend@1, @2) on one port; an
#      Authorization Server and a group created with the installed
#      kdc-admin; devices join with the installed kdc-token and kdc-client
#      until both frontends have served a join (the audit log names them),
#      and coap-client-gnutls reads the group over one device's DTLS-PSK
#      session; SIGHUP reloads;
#   4. backup and restore (kdc-admin db backup, the file put back while the
#      keystore is stopped) and a key-encryption key rotation
#      (kdc-keystore --rekey-kek, refused while the keystore runs), each
#      followed by a join.
set -eu
. "$(dirname "$0")/lib.sh"
need cmake coap-client-gnutls ss setpriv od awk
make_tmp
DEST=$TMP/dest
ROOT=$TMP/root
install_tree "$DEST"

# ---- 1. layout ------------------------------------------------------------
echo "== layout"
for f in usr/sbin/kdc-keystore usr/sbin/kdc-frontend usr/sbin/kdc-admin \
	usr/bin/kdc-token usr/bin/kdc-client; do
	[ -x "$DEST/$f" ] || fail "$f is not installed (executable)"
done
for f in lib/systemd/system/kdc-keystore.service \
	lib/systemd/system/kdc-frontend@.service \
	usr/lib/sysusers.d/kdc.conf usr/lib/tmpfiles.d/kdc.conf \
	etc/kdc/kdc.conf \
	usr/share/man/man8/kdc-keystore.8 usr/share/man/man8/kdc-frontend.8 \
	usr/share/man/man8/kdc-admin.8 usr/share/man/man5/kdc.conf.5 \
	usr/share/man/man1/kdc-token.1 usr/share/man/man1/kdc-client.1 \
	usr/share/doc/kdc/README.md usr/share/doc/kdc/OPERATIONS.md \
	usr/share/doc/kdc/copyright; do
	[ -f "$DEST/$f" ] || fail "$f is not installed"
done
for s in "$SRC"/schema/*.sql; do
	[ -f "$DEST/usr/share/kdc/schema/$(basename "$s")" ] ||
		fail "schema $(basename "$s") is not in usr/share/kdc/schema"
done
# Nothing outside the standard places (GNUInstallDirs' /usr/etc trap, a
# /usr/local leftover).
stray=$(cd "$DEST" && find . -type f | sed 's#^\./##' |
	grep -v -e '^usr/bin/' -e '^usr/sbin/' -e '^usr/share/' \
		-e '^usr/lib/sysusers\.d/' -e '^usr/lib/tmpfiles\.d/' \
		-e '^lib/systemd/system/' -e '^etc/kdc/' || true)
[ -z "$stray" ] || fail "files outside the expected folders: $stray"
# The binaries do not point back into the build tree.
if command -v readelf >/dev/null 2>&1; then
	for b in "$DEST"/usr/sbin/kdc-* "$DEST"/usr/bin/kdc-*; do
		if readelf -d "$b" | grep -q -e RPATH -e RUNPATH; then
			fail "$b carries an RPATH"
		fi
	done
fi
echo "layout OK"

# The sysusers.d and tmpfiles.d files do what the package relies on, in an
# empty root (the host is not touched here).
if [ "$(id -u)" -eq 0 ] && command -v systemd-sysusers >/dev/null 2>&1; then
	SR=$TMP/sysroot
	mkdir -p "$SR/etc"
	systemd-sysusers --root="$SR" "$DEST/usr/lib/sysusers.d/kdc.conf" >/dev/null 2>&1
	systemd-tmpfiles --root="$SR" --create "$DEST/usr/lib/tmpfiles.d/kdc.conf"
	for u in kdc-keystore kdc-frontend; do
		grep -q "^$u:x:[0-9]*:[0-9]*:[^:]*:[^:]*:/usr/sbin/nologin$" "$SR/etc/passwd" ||
			fail "sysusers: no system user $u with nologin"
	done
	grep -q '^kdc-admin:x:' "$SR/etc/group" || fail "sysusers: no group kdc-admin"
	grep -q '^kdc-frontend:x:[0-9]*:kdc-keystore$' "$SR/etc/group" ||
		fail "sysusers: kdc-keystore is not in the group kdc-frontend"
	# Numeric: the names are those of the root, not of this host.
	gid=$(sed -n 's/^kdc-frontend:x:\([0-9]*\):.*/\1/p' "$SR/etc/group")
	st=$(stat -c '%a %u %g' "$SR/etc/kdc")
	[ "$st" = "750 0 $gid" ] || fail "tmpfiles: /etc/kdc is '$st', not '750 0 $gid'"
	echo "sysusers.d and tmpfiles.d OK"
fi

# ---- 2. the units' way ----------------------------------------------------
UNITDIR=$DEST/lib/systemd/system
unit_key() { # UNIT KEY: the value of KEY= (the last one)
	sed -n "s/^$2=//p" "$UNITDIR/$1" | tail -1
}
# ExecStart*= with the installed programs and the private configuration.
# Only absolute paths under /usr/ and the configuration path change.
CONF=$ROOT/etc/kdc/kdc.conf
unit_cmd() { # UNIT KEY INSTANCE
	unit_key "$1" "$2" | sed -e "s#^/usr/#$DEST/usr/#" \
		-e "s# /etc/kdc/kdc.conf# $CONF#g" -e "s#%i#$3#g"
}

# Below the kernel's ephemeral range (32768 and up by default), where
# client sockets of other programs come and go; -a: every UDP socket.
for p in $(seq 1 200); do
	r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	PORT=$((20000 + (r % 6000) * 2))
	if [ -z "$(ss -Haun "( sport = :$PORT or sport = :$((PORT + 1)) )")" ]; then
		break
	fi
	[ "$p" -lt 200 ] || fail "no free UDP port pair"
done
DPORT=$((PORT + 1))

KS_USER=$(unit_key kdc-keystore.service User)
KS_GROUP=$(unit_key kdc-keystore.service Group)
KS_SUPP=$(unit_key kdc-keystore.service SupplementaryGroups | tr ' ' ',')
FE_USER=$(unit_key kdc-frontend@.service User)
FE_GROUP=$(unit_key kdc-frontend@.service Group)
[ -n "$KS_USER" ] && [ -n "$FE_USER" ] || fail "the units name no User="
AS_ROOT=no
if [ "$(id -u)" -eq 0 ]; then
	AS_ROOT=yes
	# What the package's postinst does.
	if ! systemd-sysusers "$DEST/usr/lib/sysusers.d/kdc.conf" >"$TMP/sysusers.log" 2>&1 ||
		! id "$KS_USER" >/dev/null 2>&1 || ! id "$FE_USER" >/dev/null 2>&1; then
		cat "$TMP/sysusers.log"
		echo "the units' users cannot be created here: running as nobody"
		KS_USER=nobody KS_GROUP=nogroup KS_SUPP="" FE_USER=nobody FE_GROUP=nogroup
	fi
fi

# The folders systemd would create (StateDirectory=, RuntimeDirectory=)
# and kdc.tmpfiles's /etc/kdc, with their owners and modes.
mkdir -p "$ROOT/etc/kdc" "$ROOT/var/lib/kdc" "$ROOT/run/kdc" "$ROOT/run/kdc-frontend"
chmod 755 "$ROOT" "$ROOT/etc" "$ROOT/var" "$ROOT/var/lib" "$ROOT/run" \
	"$ROOT/run/kdc" "$ROOT/run/kdc-frontend"
chmod 700 "$ROOT/var/lib/kdc"
chmod 750 "$ROOT/etc/kdc"

# The installed configuration; only paths and ports change.
sed -e "s#^state_dir = /var/lib/kdc\$#state_dir = $ROOT/var/lib/kdc#" \
	-e "s#^runtime_dir = /run/kdc\$#runtime_dir = $ROOT/run/kdc#" \
	-e "s#^lock_dir = /run/kdc-frontend\$#lock_dir = $ROOT/run/kdc-frontend#" \
	-e "s#^listen = 0\.0\.0\.0:5683\$#listen = 127.0.0.1:$PORT#" \
	-e "s#^listen_dtls = 0\.0\.0\.0:5684\$#listen_dtls = 127.0.0.1:$DPORT#" \
	"$DEST/etc/kdc/kdc.conf" >"$CONF"
changed=$(diff "$DEST/etc/kdc/kdc.conf" "$CONF" | grep -c '^>' || true)
[ "$changed" -eq 5 ] ||
	fail "the installed kdc.conf changed: $changed of its 5 path and port lines rewritten"
chmod 640 "$CONF"
if [ "$AS_ROOT" = yes ]; then
	chown "$KS_USER:$KS_GROUP" "$ROOT/var/lib/kdc" "$ROOT/run/kdc"
	chown "$FE_USER:$FE_GROUP" "$ROOT/run/kdc-frontend"
	chgrp "$FE_GROUP" "$ROOT/etc/kdc" "$CONF"
fi

# as_unit USER GROUP SUPPLEMENTARY CMD...: what systemd does with User=,
# Group=, SupplementaryGroups=, NoNewPrivileges=, an empty
# CapabilityBoundingSet=, UMask=0077 and a clean environment.  It execs:
# call it in a subshell, or with & (then $! is the daemon itself).
as_unit() {
	_u=$1 _g=$2 _s=$3
	shift 3
	if [ "$AS_ROOT" = yes ]; then
		_grp=--clear-groups
		[ -z "$_s" ] || _grp=--groups=$_s
		set -- setpriv --reuid="$_u" --regid="$_g" "$_grp" --no-new-privs \
			--inh-caps=-all --bounding-set=-all -- "$@"
	fi
	umask 077
	exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
}
as_keystore() { as_unit "$KS_USER" "$KS_GROUP" "$KS_SUPP" "$@"; }
as_frontend() { as_unit "$FE_USER" "$FE_GROUP" "" "$@"; }

ADMIN="$DEST/usr/sbin/kdc-admin -c $CONF"
TOKEN=$DEST/usr/bin/kdc-token
CLIENT=$DEST/usr/bin/kdc-client
KS_PID=""
FE_PIDS=""
stop_all() {
	for p in $FE_PIDS $KS_PID; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $FE_PIDS $KS_PID; do wait "$p" 2>/dev/null || true; done
	FE_PIDS="" KS_PID=""
}
CLEANUP='stop_all'

dump_logs() {
	for l in "$TMP"/*.log; do
		echo "---- $l"
		tail -40 "$l"
	done
}
die() {
	dump_logs
	fail "$*"
}

# ExecStartPre= then ExecStart=, as the unit's user, in the background.
start_keystore() {
	pre=$(unit_cmd kdc-keystore.service ExecStartPre "")
	# shellcheck disable=SC2086
	(as_keystore $pre) >>"$TMP/keystore.log" 2>&1 || die "keystore ExecStartPre failed: $pre"
	cmd=$(unit_cmd kdc-keystore.service ExecStart "")
	# shellcheck disable=SC2086
	as_keystore $cmd >>"$TMP/keystore.log" 2>&1 &
	KS_PID=$!
	wait_for 20 $ADMIN status || die "the keystore did not answer kdc-admin status"
}
stop_keystore() {
	kill -TERM "$KS_PID"
	st=0
	wait "$KS_PID" || st=$?
	KS_PID=""
	[ "$st" -eq 0 ] || die "the keystore exited with $st on SIGTERM"
}
# connected INSTANCE N: the frontend's log says it reached the keystore N times.
connected() {
	[ "$(grep -c 'connected to the keystore' "$TMP/frontend@$1.log")" -ge "$2" ]
}
start_frontend() {
	pre=$(unit_cmd kdc-frontend@.service ExecStartPre "$1")
	# shellcheck disable=SC2086
	(as_frontend $pre) >>"$TMP/frontend@$1.log" 2>&1 || die "frontend ExecStartPre failed: $pre"
	cmd=$(unit_cmd kdc-frontend@.service ExecStart "$1")
	# shellcheck disable=SC2086
	as_frontend $cmd >>"$TMP/frontend@$1.log" 2>&1 &
	FE_PIDS="$FE_PIDS $!"
	eval "FE_PID_$1=\$!"
	wait_for 20 connected "$1" 1 || die "frontend @$1 did not reach the keystore"
}

echo "== start: keystore as $KS_USER, frontends as $FE_USER, ports $PORT/$DPORT"
start_keystore
start_frontend 1
start_frontend 2
# The sockets and the state as the units leave them.
[ "$(stat -c %a "$ROOT/var/lib/kdc/kek")" = 600 ] || die "kek is not 0600"
[ "$(stat -c %a "$ROOT/var/lib/kdc/kdc.sqlite")" = 600 ] || die "the database is not 0600"
if [ "$AS_ROOT" = yes ] && [ "$KS_USER" != nobody ]; then
	[ "$(stat -c %U:%G "$ROOT/run/kdc/frontend.sock")" = "$KS_USER:$FE_GROUP" ] ||
		die "frontend.sock is $(stat -c %U:%G "$ROOT/run/kdc/frontend.sock")"
	[ "$(stat -c %G "$ROOT/run/kdc/admin.sock")" = kdc-admin ] ||
		die "admin.sock is not in the group kdc-admin"
	# Numeric: ps cuts user names at 8 characters.
	[ "$(ps -o uid= -p "$KS_PID" | tr -d ' ')" = "$(id -u "$KS_USER")" ] ||
		die "the keystore does not run as $KS_USER"
	for p in $FE_PIDS; do
		[ "$(ps -o uid= -p "$p" | tr -d ' ')" = "$(id -u "$FE_USER")" ] ||
			die "a frontend does not run as $FE_USER"
	done
fi

# ---- 3. first group and joins --------------------------------------------
echo "== first group"
"$TOKEN" keygen --type aes128 --kid dev-as --out "$TMP/as.cose" 2>/dev/null
$ADMIN as add dev-as --kind encrypt --alg AES-CCM-16-64-128 \
	--key-file "$TMP/as.cose" >"$TMP/admin.out" 2>&1 || die "as add: $(cat "$TMP/admin.out")"
$ADMIN group create g1 --description "deploy test" >"$TMP/admin.out" 2>&1 ||
	die "group create: $(cat "$TMP/admin.out")"
$ADMIN group list | grep -q '^g1 ' || die "group list does not show g1"

# join ID: a device with kid devID and the ASCII key "secret-of-devID."
# (16 bytes, so that coap-client -k can use it too) joins g1.
join() {
	key=$(printf 'secret-of-dev%-3s' "$1" | od -An -tx1 | tr -d ' \n')
	"$TOKEN" --aud kdc --scope g1:requester --lifetime 600 --psk-kid "dev$1" \
		--psk-key-hex "$key" --protect encrypt --as-key-file "$TMP/as.cose" \
		--ace-cbor 2>"$TMP/token.err" >"$TMP/token.cbor" ||
		die "kdc-token: $(cat "$TMP/token.err")"
	if ! "$CLIENT" --port "$PORT" --dtls-port "$DPORT" --group g1 \
		--roles requester --psk-kid "dev$1" --psk-key-hex "$key" \
		--timeout 5 --token "$TMP/token.cbor" >"$TMP/client.out" 2>&1; then
		cat "$TMP/client.out"
		die "device dev$1 could not join"
	fi
	grep -q '^joined group g1 as n' "$TMP/client.out" &&
		grep -q '^  kdc-cred-verify *valid$' "$TMP/client.out" || {
		cat "$TMP/client.out"
		die "kdc-client did not report dev$1's join"
	}
}
# The audit log names the peer of every join: "<name> pid=<pid> uid=<uid>",
# the name being the unit's instance (-n %i).
served_by_both() {
	$ADMIN --json audit --action join --limit 1000 >"$TMP/audit.json" 2>&1 &&
		grep -q "\"1 pid=$FE_PID_1 uid=" "$TMP/audit.json" &&
		grep -q "\"2 pid=$FE_PID_2 uid=" "$TMP/audit.json"
}
n=0
while :; do
	n=$((n + 1))
	join "$n"
	[ "$n" -lt 2 ] || ! served_by_both || break
	[ "$n" -lt 32 ] || die "32 joins, not all through both frontends: $(cat "$TMP/audit.json")"
done
echo "$n joins, both frontends served joins"

# A real CoAP client over device dev1's DTLS-PSK session (kid "dev1", the
# ASCII key): a member reads the group's keying material, 2.05.
coap_read() {
	coap-client-gnutls -B 10 -v 7 -m get -u dev1 -k 'secret-of-dev1  ' \
		"coaps://127.0.0.1:$DPORT/ace-group/g1" >"$TMP/coap.out" 2>&1 || true
	# It exits 0 on failure too: the answer is read from its log.
	grep -q 'c:2\.05' "$TMP/coap.out"
}
coap_read || { cat "$TMP/coap.out"; die "coap-client-gnutls did not read /ace-group/g1"; }
echo "coap-client-gnutls read the group: 2.05"

# ExecReload= of each unit, with $MAINPID: both reload.
for u in kdc-keystore.service:$KS_PID:keystore kdc-frontend@.service:$FE_PID_1:frontend@1; do
	unit=${u%%:*} rest=${u#*:}
	pid=${rest%%:*} log=${rest#*:}
	reload=$(unit_key "$unit" ExecReload | sed "s/\$MAINPID/$pid/")
	# shellcheck disable=SC2086
	$reload || die "$unit: ExecReload failed"
	wait_for 10 grep -q 'configuration reloaded' "$TMP/$log.log" ||
		die "$unit: no reload after ExecReload"
done
echo "ExecReload reloads both"

# ---- 4. backup, restore, key-encryption key rotation ---------------------
echo "== backup and restore"
STATE=$ROOT/var/lib/kdc
$ADMIN db backup "$TMP/backup.sqlite" >"$TMP/admin.out" 2>&1 ||
	die "db backup: $(cat "$TMP/admin.out")"
[ "$(stat -c %a "$TMP/backup.sqlite")" = 600 ] || die "the backup is not 0600"
$ADMIN db check >"$TMP/admin.out" 2>&1 || die "db check: $(cat "$TMP/admin.out")"
# A change after the backup, which the restore takes away.
$ADMIN group create g2 >/dev/null 2>&1 || die "group create g2"
stop_keystore
# The restore of docs/OPERATIONS.md: the copy replaces the database and its
# write-ahead log goes, with the owner and mode the keystore gives them.
rm -f "$STATE/kdc.sqlite-wal" "$STATE/kdc.sqlite-shm"
if [ "$AS_ROOT" = yes ]; then
	install -m 0600 -o "$KS_USER" -g "$KS_GROUP" "$TMP/backup.sqlite" "$STATE/kdc.sqlite"
else
	install -m 0600 "$TMP/backup.sqlite" "$STATE/kdc.sqlite"
fi
start_keystore
wait_for 20 connected 1 2 && wait_for 20 connected 2 2 ||
	die "the frontends did not reconnect to the restarted keystore"
$ADMIN group list >"$TMP/groups.out" 2>&1 || die "group list after the restore"
grep -q '^g1 ' "$TMP/groups.out" && ! grep -q '^g2 ' "$TMP/groups.out" ||
	die "the restored database is not the backup: $(cat "$TMP/groups.out")"
join 100
coap_read || { cat "$TMP/coap.out"; die "coap-client-gnutls after the restore"; }
echo "restored from the backup; joins go on"

echo "== key-encryption key rotation"
KSBIN=$DEST/usr/sbin/kdc-keystore
# Refused while the keystore runs: the state folder is locked.
if (as_keystore "$KSBIN" -c "$CONF" --rekey-kek "$STATE/kek.new") >"$TMP/rekek.out" 2>&1; then
	die "--rekey-kek ran next to a running keystore"
fi
grep -q 'in use by another kdc-keystore' "$TMP/rekek.out" ||
	die "--rekey-kek next to the keystore: $(cat "$TMP/rekek.out")"
stop_keystore
if [ "$AS_ROOT" = yes ] && [ "$KS_USER" != nobody ]; then
	# As root it would leave root-owned files in the state folder.
	if "$KSBIN" -c "$CONF" --rekey-kek "$STATE/kek.new" >"$TMP/rekek.out" 2>&1; then
		die "--rekey-kek ran as root on $KS_USER's state folder"
	fi
	grep -q 'run --rekey-kek as the owner' "$TMP/rekek.out" ||
		die "--rekey-kek as root: $(cat "$TMP/rekek.out")"
fi
cp -p "$STATE/kek" "$TMP/kek.old"
(as_keystore "$KSBIN" -c "$CONF" --rekey-kek "$STATE/kek.new") >"$TMP/rekek.out" 2>&1 ||
	die "--rekey-kek failed: $(cat "$TMP/rekek.out")"
grep -q 'sealed values now under the key in' "$TMP/rekek.out" ||
	die "--rekey-kek said: $(cat "$TMP/rekek.out")"
[ "$(stat -c %a "$STATE/kek.new")" = 600 ] || die "the new key is not 0600"
(as_keystore mv "$STATE/kek.new" "$STATE/kek") || die "mv kek.new kek"
cmp -s "$STATE/kek" "$TMP/kek.old" && die "the key did not change"
start_keystore
wait_for 20 connected 1 3 && wait_for 20 connected 2 3 ||
	die "the frontends did not reconnect after the rotation"
join 200
coap_read || { cat "$TMP/coap.out"; die "coap-client-gnutls after the rotation"; }
echo "key-encryption key rotated; joins go on"

stop_all
for l in "$TMP"/keystore.log "$TMP"/frontend@*.log; do
	if grep -q '^<[0-3]>' "$l"; then
		grep '^<[0-3]>' "$l"
		die "error lines in $(basename "$l")"
	fi
done
echo "deploy.installed: OK"
