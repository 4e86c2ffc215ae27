#!/bin/sh
# README command 1: install the dependencies, build, and start the KDC
# (one keystore, one frontend, on 127.0.0.1) with a working default
# configuration: state under ./demo-state, a development Authorization
# Server, and a demo group.  Prints the two lines that show devices joining.
# Ctrl-C stops everything; running it again reuses the state.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
./scripts/install-deps.sh

BUILD=${KDC_BUILD_DIR:-build/release}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DKDC_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
BIN=$ROOT/$BUILD

STATE=$ROOT/demo-state
PORT=${KDC_DEMO_PORT:-5683}
DTLS_PORT=$((PORT + 1))
mkdir -p "$STATE/run"
chmod 755 "$STATE" "$STATE/run"

# Who runs the frontend: this user, or nobody when this is root (the
# frontend never runs as root).
if [ "$(id -u)" -eq 0 ]; then
	FE_USER=nobody
	FE_GROUP=nogroup
else
	FE_USER=$(id -un)
	FE_GROUP=$(id -gn)
fi

CONF=$STATE/kdc.conf
if [ ! -f "$CONF" ]; then
	cat >"$CONF" <<EOF
# Demo configuration written by scripts/demo.sh (see deploy/kdc.conf).
[kdc]
state_dir = $STATE/db
runtime_dir = $STATE/run
log_level = info
[keystore]
frontend_user = $FE_USER
frontend_group = $FE_GROUP
admin_group = $FE_GROUP
default_audience = kdc-demo
[frontend]
listen = 127.0.0.1:$PORT
listen_dtls = 127.0.0.1:$DTLS_PORT
reuse_port = yes
user = $FE_USER
group = $FE_GROUP
EOF
fi
"$BIN/keystore/kdc-keystore" --check -c "$CONF" >/dev/null

PIDS=""
cleanup() {
	trap - INT TERM EXIT
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	echo "demo stopped (state kept in $STATE)"
}
trap cleanup INT TERM EXIT

"$BIN/keystore/kdc-keystore" -c "$CONF" 2>>"$STATE/keystore.log" &
PIDS="$!"
ADMIN="$BIN/tools/kdc-admin -c $CONF"
i=0
until $ADMIN status >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then
		echo "the keystore did not start; see $STATE/keystore.log" >&2
		exit 1
	fi
	sleep 0.1
done

# The development Authorization Server: tokens are COSE_Encrypt0 with
# AES-CCM-16-64-128 (RFC 9202 §3.3: symmetric PoP keys travel encrypted).
TOKEN="$BIN/tools/kdc-token"
if [ ! -f "$STATE/as.cose" ]; then
	"$TOKEN" keygen --type aes128 --kid demo-as --out "$STATE/as.cose" 2>/dev/null
fi
if ! $ADMIN as list | grep -q demo-as; then
	$ADMIN as add demo-as --kind encrypt --alg AES-CCM-16-64-128 \
		--key-file "$STATE/as.cose" --audience kdc-demo >/dev/null
fi
if ! $ADMIN group list | grep -q '^demo '; then
	$ADMIN group create demo --description "demo group" >/dev/null
fi

"$BIN/frontend/kdc-frontend" -c "$CONF" -n demo 2>>"$STATE/frontend.log" &
PIDS="$PIDS $!"
sleep 0.5

echo
echo "KDC running: CoAP 127.0.0.1:$PORT, CoAP over DTLS 127.0.0.1:$DTLS_PORT"
echo "state in $STATE (logs: keystore.log, frontend.log); Ctrl-C stops it."
echo
echo "In another terminal, a device joins the group 'demo' and watches it for a minute:"
echo
echo "  $TOKEN --aud kdc-demo --scope demo:requester+responder --lifetime 3600 --psk-kid dev1 --psk-key-hex 6465762d6f6e652d7365637265742d31 --protect encrypt --as-key-file $STATE/as.cose --ace-cbor 2>/dev/null | $BIN/tools/client/kdc-client --port $PORT --dtls-port $DTLS_PORT --group demo --roles requester+responder --psk-kid dev1 --psk-key-hex 6465762d6f6e652d7365637265742d31 --observe 60"
echo
echo "and while it watches, a second device joins (the first one prints the rekeying):"
echo
echo "  $TOKEN --aud kdc-demo --scope demo:requester --lifetime 3600 --psk-kid dev2 --psk-key-hex 6465762d74776f2d7365637265742d32 --protect encrypt --as-key-file $STATE/as.cose --ace-cbor 2>/dev/null | $BIN/tools/client/kdc-client --port $PORT --dtls-port $DTLS_PORT --group demo --roles requester --psk-kid dev2 --psk-key-hex 6465762d74776f2d7365637265742d32"
echo
wait
