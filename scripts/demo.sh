#!/bin/sh
# README command 1: install the dependencies, build, and start the KDC
# (one keystore, one frontend, on 127.0.0.1) with a working default
# configuration: state under ./demo-state, a development Authorization
# Server, and a demo group.  Prints the two lines that show devices joining.
# Ctrl-C stops everything (exit status 0 when every process stopped
# cleanly); running it again reuses the state, its configuration included.
#
# Knobs (environment), e.g. for tests or a second demo next to the first:
#   KDC_DEMO_PORT=N       plain CoAP on 127.0.0.1:N and CoAP over DTLS on
#                         N+1 (default 5683, or the ports of the reused
#                         configuration)
#   KDC_DEMO_STATE=DIR    the state folder (default ./demo-state)
#   KDC_BUILD_DIR=DIR     run the binaries of this already built tree:
#                         nothing is installed and nothing is built
#   KDC_DEMO_SKIP_DEPS=1  build, but do not install the Debian packages
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)

if [ -n "${KDC_BUILD_DIR:-}" ]; then
	case $KDC_BUILD_DIR in
	/*) BIN=$KDC_BUILD_DIR ;;
	*) BIN=$ROOT/$KDC_BUILD_DIR ;;
	esac
	for b in keystore/kdc-keystore frontend/kdc-frontend tools/kdc-admin \
		tools/kdc-token tools/client/kdc-client; do
		if [ ! -x "$BIN/$b" ]; then
			echo "demo: $BIN/$b is missing; build that tree first" >&2
			exit 1
		fi
	done
else
	if [ "${KDC_DEMO_SKIP_DEPS:-0}" != 1 ]; then
		./scripts/install-deps.sh
	fi
	BUILD=build/release
	cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DKDC_TESTS=OFF >/dev/null
	cmake --build "$BUILD" -j"$(nproc)"
	BIN=$ROOT/$BUILD
fi

STATE=${KDC_DEMO_STATE:-$ROOT/demo-state}
mkdir -p "$STATE/run"
STATE=$(cd "$STATE" && pwd)
chmod 755 "$STATE" "$STATE/run"

if [ -n "${KDC_DEMO_PORT:-}" ]; then
	case $KDC_DEMO_PORT in
	'' | *[!0-9]*)
		echo "demo: KDC_DEMO_PORT must be a port number" >&2
		exit 1
		;;
	esac
	if [ "$KDC_DEMO_PORT" -lt 1 ] || [ "$KDC_DEMO_PORT" -gt 65534 ]; then
		echo "demo: KDC_DEMO_PORT must be from 1 to 65534" >&2
		exit 1
	fi
fi
PORT=${KDC_DEMO_PORT:-5683}
DTLS_PORT=$((PORT + 1))

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
	cat >"$CONF" <<EOC
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
EOC
elif [ -n "${KDC_DEMO_PORT:-}" ]; then
	# Asked for other ports than the reused configuration's.
	sed -i -e "s/^listen = .*/listen = 127.0.0.1:$PORT/" \
		-e "s/^listen_dtls = .*/listen_dtls = 127.0.0.1:$DTLS_PORT/" "$CONF"
else
	# Reused as it is: the lines printed below name its ports.
	PORT=$(sed -n 's/^listen = [0-9.]*:\([0-9][0-9]*\)$/\1/p' "$CONF")
	DTLS_PORT=$(sed -n 's/^listen_dtls = [0-9.]*:\([0-9][0-9]*\)$/\1/p' "$CONF")
	if [ -z "$PORT" ] || [ -z "$DTLS_PORT" ]; then
		echo "demo: $CONF has no IPv4 listen and listen_dtls lines" >&2
		exit 1
	fi
fi
"$BIN/keystore/kdc-keystore" --check -c "$CONF" >/dev/null

# Every process started here is stopped on Ctrl-C, on TERM and on any
# failure below; a process that does not stop cleanly is reported.
PIDS=""
cleanup() {
	trap - INT TERM EXIT
	rc=0
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $PIDS; do
		st=0
		wait "$p" || st=$?
		if [ "$st" -ne 0 ]; then
			echo "demo: process $p exited with status $st" >&2
			rc=1
		fi
	done
	echo "demo stopped (state kept in $STATE)"
	return $rc
}
trap 'cleanup && exit 0; exit 1' INT TERM
trap 'st=$?; cleanup || st=1; exit $st' EXIT

"$BIN/keystore/kdc-keystore" -c "$CONF" 2>>"$STATE/keystore.log" &
KS_PID=$!
PIDS="$KS_PID"
ADMIN="$BIN/tools/kdc-admin -c $CONF"
i=0
until $ADMIN status >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$KS_PID" 2>/dev/null; then
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

# Ready when this run's frontend says it reached the keystore (the log is
# appended to across runs: only what this run wrote counts).
FE_LOG=$STATE/frontend.log
FE_LOG_START=1
if [ -f "$FE_LOG" ]; then
	FE_LOG_START=$(($(wc -c <"$FE_LOG") + 1))
fi
"$BIN/frontend/kdc-frontend" -c "$CONF" -n demo 2>>"$FE_LOG" &
FE_PID=$!
PIDS="$PIDS $FE_PID"
i=0
until tail -c +"$FE_LOG_START" "$FE_LOG" | grep -q "connected to the keystore"; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$FE_PID" 2>/dev/null; then
		echo "the frontend did not start; see $FE_LOG" >&2
		exit 1
	fi
	sleep 0.1
done

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
