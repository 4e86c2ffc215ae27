#!/bin/sh
# Install the Debian 12 packages kdc needs.  Safe to run any number of
# times: packages already installed are skipped, and nothing is fetched when
# everything is present.
#   install-deps.sh          build + run dependencies (README command 1)
#   install-deps.sh --test   also what the test suite needs (README command 2)
set -eu

BUILD="cmake pkg-config gcc make libc6-dev
       libuv1-dev libcoap3-dev libcoap3-bin libsqlite3-dev libsodium-dev
       libcmocka-dev libcbor-dev libgnutls28-dev nettle-dev libgmp-dev"
# clang + its runtime: libFuzzer targets and the sanitizer build;
# systemd: systemd-analyze for the unit checks; mandoc: man page lint;
# sqlite3: the CLI some tests use to inspect a database from outside;
# clang-tidy, clang-format, cppcheck: scripts/lint.sh (ctest lint.static);
# dpkg-dev (dpkg-shlibdeps for cpack), lintian, man-db, debootstrap,
# systemd-container (systemd-nspawn): the deployment tests (tests/deploy).
TEST="clang libclang-rt-14-dev systemd mandoc sqlite3 procps iproute2
      clang-tidy clang-format cppcheck
      dpkg-dev lintian man-db debootstrap systemd-container"

want="$BUILD"
if [ "${1:-}" = "--test" ]; then
	want="$want $TEST"
fi

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet; refresh once, then install.
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
