#!/bin/sh
# deploy.nspawn: the real units under a real systemd.  The Debian 12 root
# of deploy.debian_root (the package installed with dpkg) boots in
# systemd-nspawn with a private network (its own loopback: the packaged
# configuration is used unchanged, 0.0.0.0:5683/5684 inside), with
# kdc-keystore, kdc-frontend@1 and kdc-frontend@2 enabled.  A oneshot unit
# inside runs the operator's first steps and joins devices, then powers the
# container off; its findings come back in a file of the root.
set -eu
. "$(dirname "$0")/lib.sh"
need_root "systemd-nspawn"
need systemd-nspawn chroot timeout
ROOT=$WORK/root
[ -f "$WORK/root.ok" ] || fail "no Debian root with the package (deploy.debian_root failed or was skipped)"

in_root() { chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"; }
# systemd as init, and libcoap's client for the CoAP check.
if ! in_root apt-get -q -y --no-install-recommends install systemd-sysv libcoap3-bin \
	>"$WORK/apt-nspawn.log" 2>&1; then
	cat "$WORK/apt-nspawn.log"
	fail "apt-get install systemd-sysv libcoap3-bin in the root"
fi
rm -f "$ROOT/usr/sbin/policy-rc.d" "$ROOT/root/deploy-test.log" "$ROOT/root/deploy-test.result"

cat >"$ROOT/usr/local/sbin/kdc-deploy-test" <<'EOS'
#!/bin/sh
# Run by kdc-deploy-test.service inside the booted container.
set -eu
exec >/root/deploy-test.log 2>&1
rm -f /root/as.cose /root/backup.sqlite /root/deploy-test.result
# A command that fails without a message (set -e) still leaves a verdict.
trap '[ -f /root/deploy-test.result ] || { echo "FAIL: stopped (exit $?)"; echo FAIL >/root/deploy-test.result; }' EXIT
set -x
fail() {
	echo "FAIL: $*"
	journalctl --no-pager -b -u kdc-keystore -u kdc-frontend@1 -u kdc-frontend@2 | tail -60
	echo FAIL >/root/deploy-test.result
	exit 1
}
wait_for() { # SECONDS CMD...
	_w=0
	_max=$(($1 * 10))
	shift
	until "$@" >/dev/null 2>&1; do
		_w=$((_w + 1))
		[ "$_w" -le "$_max" ] || return 1
		sleep 0.1
	done
}
units="kdc-keystore.service kdc-frontend@1.service kdc-frontend@2.service"
# Type=notify: active means READY=1 came after ExecStartPre= passed.
for u in $units; do
	[ "$(systemctl is-active "$u")" = active ] || fail "$u is $(systemctl is-active "$u")"
done
echo "units active: $units"
KS=$(systemctl show -P MainPID kdc-keystore.service)
FE1=$(systemctl show -P MainPID kdc-frontend@1.service)
FE2=$(systemctl show -P MainPID kdc-frontend@2.service)
[ "$(stat -c %U /proc/$KS)" = kdc-keystore ] || fail "the keystore does not run as kdc-keystore"
[ "$(stat -c %U /proc/$FE1)" = kdc-frontend ] || fail "frontend 1 does not run as kdc-frontend"
# PrivateNetwork=yes: the keystore has a network namespace of its own.
[ "$(readlink /proc/$KS/ns/net)" != "$(readlink /proc/1/ns/net)" ] ||
	fail "the keystore shares the host's network namespace"
grep -q '^CapEff:[[:space:]]*0*$' /proc/$KS/status || fail "the keystore has capabilities"
grep -q '^CapEff:[[:space:]]*0*$' /proc/$FE1/status || fail "frontend 1 has capabilities"
grep -q '^NoNewPrivs:[[:space:]]*1$' /proc/$FE1/status || fail "frontend 1 may gain privileges"
grep -q '^Seccomp:[[:space:]]*2$' /proc/$KS/status || fail "the keystore has no seccomp filter"
[ "$(stat -c '%a %U' /var/lib/kdc)" = "700 kdc-keystore" ] || fail "/var/lib/kdc is $(stat -c '%a %U' /var/lib/kdc)"
[ "$(stat -c '%a %U %G' /var/lib/kdc/kek)" = "600 kdc-keystore kdc-keystore" ] || fail "the kek is $(stat -c '%a %U %G' /var/lib/kdc/kek)"
[ "$(stat -c '%a %G' /run/kdc/admin.sock)" = "660 kdc-admin" ] || fail "admin.sock is $(stat -c '%a %G' /run/kdc/admin.sock)"
[ "$(stat -c '%a %G' /run/kdc/frontend.sock)" = "660 kdc-frontend" ] || fail "frontend.sock is $(stat -c '%a %G' /run/kdc/frontend.sock)"
[ "$(stat -c '%a %G' /etc/kdc)" = "750 kdc-frontend" ] || fail "/etc/kdc is $(stat -c '%a %G' /etc/kdc)"
for u in kdc-keystore.service kdc-frontend@1.service; do
	systemd-analyze security "$u" | tail -1
done
echo "users, sandbox and folders as the units say"

journal_has() { journalctl --no-pager -b -u "$1" | grep -q "$2"; }
for i in 1 2; do
	wait_for 10 journal_has "kdc-frontend@$i.service" 'connected to the keystore' ||
		fail "frontend $i did not reach the keystore"
done
kdc-token keygen --type aes128 --kid dev-as --out /root/as.cose 2>/dev/null
kdc-admin as add dev-as --kind encrypt --alg AES-CCM-16-64-128 --key-file /root/as.cose ||
	fail "kdc-admin as add"
kdc-admin group create g1 || fail "kdc-admin group create"
join() {
	key=$(printf 'secret-of-dev%-3s' "$1" | od -An -tx1 | tr -d ' \n')
	kdc-token --aud kdc --scope g1:requester --lifetime 600 --psk-kid "dev$1" \
		--psk-key-hex "$key" --protect encrypt --as-key-file /root/as.cose \
		--ace-cbor 2>/dev/null >/root/token.cbor || fail "kdc-token"
	kdc-client --group g1 --roles requester --psk-kid "dev$1" --psk-key-hex "$key" \
		--timeout 5 --token /root/token.cbor >/root/client.out 2>&1 || {
		cat /root/client.out
		fail "dev$1 could not join"
	}
	grep -q '^joined group g1 as n' /root/client.out || fail "dev$1: no join"
}
both() {
	kdc-admin --json audit --action join --limit 1000 >/root/audit.json &&
		grep -q "\"1 pid=$FE1 uid=" /root/audit.json &&
		grep -q "\"2 pid=$FE2 uid=" /root/audit.json
}
n=0
while :; do
	n=$((n + 1))
	join "$n"
	[ "$n" -lt 2 ] || ! both || break
	[ "$n" -lt 32 ] || fail "32 joins, not through both frontends"
done
echo "$n joins, through both frontends"
coap-client-gnutls -B 10 -v 7 -m get -u dev1 -k 'secret-of-dev1  ' \
	coaps://127.0.0.1/ace-group/g1 >/root/coap.out 2>&1 || true
grep -aq 'c:2\.05' /root/coap.out || fail "coap-client-gnutls did not read the group"
echo "coap-client-gnutls read the group"

systemctl reload kdc-keystore.service kdc-frontend@1.service || fail "systemctl reload"
wait_for 10 journal_has kdc-keystore.service 'configuration reloaded' || fail "no keystore reload"
wait_for 10 journal_has kdc-frontend@1.service 'configuration reloaded' || fail "no frontend reload"
systemctl restart kdc-keystore.service || fail "systemctl restart kdc-keystore"
reconnected() { # INSTANCE N: N connections in this boot's journal
	[ "$(journalctl --no-pager -b -u "kdc-frontend@$1.service" |
		grep -c 'connected to the keystore')" -ge "$2" ]
}
for i in 1 2; do
	wait_for 20 reconnected "$i" 2 ||
		fail "frontend $i did not reconnect after the keystore restart"
done
join 100
kdc-admin db backup /root/backup.sqlite || fail "kdc-admin db backup"
echo "reload, keystore restart and backup under systemd"

# The key-encryption key as an encrypted systemd credential, as the unit's
# comment says: the plain file goes away, and with create_kek = no a
# keystore that did not get the credential could not start.
systemd-creds encrypt --with-key=host --name=kdc-kek /var/lib/kdc/kek /etc/kdc/kek.cred ||
	fail "systemd-creds encrypt"
mkdir -p /etc/systemd/system/kdc-keystore.service.d
printf '[Service]\nLoadCredentialEncrypted=kdc-kek:/etc/kdc/kek.cred\n' \
	>/etc/systemd/system/kdc-keystore.service.d/credential.conf
sed -i 's/^create_kek = yes$/create_kek = no/' /etc/kdc/kdc.conf
grep -q '^create_kek = no$' /etc/kdc/kdc.conf || fail "create_kek is not in kdc.conf"
systemctl stop kdc-keystore.service
mv /var/lib/kdc/kek /root/kek.plain
systemctl daemon-reload
systemctl start kdc-keystore.service || fail "the keystore did not start with the credential"
[ ! -e /var/lib/kdc/kek ] || fail "the keystore wrote a key file"
for i in 1 2; do
	wait_for 20 reconnected "$i" 3 || fail "frontend $i did not reconnect"
done
join 101
echo "key-encryption key from an encrypted credential"
for u in $units; do
	[ "$(systemctl show -P NRestarts "$u")" = 0 ] || fail "$u restarted by itself"
done
echo PASS >/root/deploy-test.result
EOS
chmod 755 "$ROOT/usr/local/sbin/kdc-deploy-test"
cat >"$ROOT/etc/systemd/system/kdc-deploy-test.service" <<'EOS'
[Unit]
Description=kdc deployment test (tests/deploy/nspawn.sh)
Wants=kdc-keystore.service kdc-frontend@1.service kdc-frontend@2.service
After=kdc-keystore.service kdc-frontend@1.service kdc-frontend@2.service
SuccessAction=poweroff
FailureAction=poweroff

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/kdc-deploy-test
TimeoutStartSec=120

[Install]
WantedBy=multi-user.target
EOS
in_root systemctl enable kdc-keystore.service kdc-frontend@1.service \
	kdc-frontend@2.service kdc-deploy-test.service >/dev/null 2>&1 ||
	fail "systemctl enable in the root"

echo "== booting the root in systemd-nspawn"
st=0
timeout 180 systemd-nspawn --quiet --register=no --keep-unit --private-network \
	--directory="$ROOT" --boot >"$WORK/nspawn.log" 2>&1 || st=$?
result=$(cat "$ROOT/root/deploy-test.result" 2>/dev/null || echo none)
if [ "$result" = PASS ]; then
	grep -v '^+ ' "$ROOT/root/deploy-test.log"
else
	cat "$ROOT/root/deploy-test.log" 2>/dev/null || true
	echo "---- systemd-nspawn (exit $st):"
	sed 's/\x1b\[[0-9;]*m//g' "$WORK/nspawn.log" | tail -60
	fail "the units under systemd in the container: $result"
fi
echo "deploy.nspawn: OK (container exit $st)"
