#!/bin/sh
# deploy.debian_root (ctest fixture "deploy_root", for deploy.nspawn): the
# .deb on a fresh Debian 12 root made by debootstrap, from the Debian
# mirror apt uses on this machine (so the test needs the network to it):
#   - dpkg -i, then apt-get -f install for the dependencies: the package
#     configures, its postinst creates the users and groups with
#     systemd-sysusers and /etc/kdc with systemd-tmpfiles;
#   - the installed programs find their libraries and accept the packaged
#     configuration; systemd-analyze verify the units inside the root;
#   - installing again (the upgrade path), removing and purging work;
#   - it is installed again and the root kept for deploy.nspawn.
set -eu
. "$(dirname "$0")/lib.sh"
need_root "debootstrap and chroot"
need debootstrap chroot dpkg apt-get systemd-analyze
deb=$(deb_file)
ROOT=$WORK/root
rm -rf "$ROOT" "$WORK/root.ok"
mkdir -p "$WORK"

mirror=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT) $(TARGET_OF)' |
	awk '$2 == "bookworm" && $3 == "main" && $4 == "deb" { print $1; exit }')
[ -n "$mirror" ] || skip "apt has no Debian bookworm main source on this machine"

echo "== debootstrap bookworm from $mirror"
if ! debootstrap --variant=minbase bookworm "$ROOT" "$mirror" >"$WORK/debootstrap.log" 2>&1; then
	tail -20 "$WORK/debootstrap.log"
	rm -rf "$ROOT"
	if grep -q -e 'Failed getting release file' -e 'Release signed by unknown key' \
		-e 'Temporary failure resolving' "$WORK/debootstrap.log"; then
		skip "the Debian mirror $mirror cannot be reached from here"
	fi
	fail "debootstrap failed"
fi
in_root() { chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"; }
# No service may start inside the chroot (Debian's policy-rc.d protocol).
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod 755 "$ROOT/usr/sbin/policy-rc.d"
in_root grep -q '^VERSION_ID="12"' /etc/os-release || fail "the root is not Debian 12"

install_pkg() {
	cp "$deb" "$ROOT/tmp/kdc.deb"
	# dpkg -i leaves the package unconfigured when dependencies are
	# missing (exit 1); apt-get -f installs them and configures it.
	in_root dpkg -i /tmp/kdc.deb >"$WORK/dpkg.log" 2>&1 || true
	if ! in_root apt-get -q -y --no-install-recommends -f install >"$WORK/apt.log" 2>&1; then
		cat "$WORK/dpkg.log" "$WORK/apt.log"
		fail "apt-get -f install"
	fi
	in_root dpkg-query -W -f '${Status}' kdc | grep -qx 'install ok installed' || {
		cat "$WORK/dpkg.log" "$WORK/apt.log"
		fail "kdc is not installed and configured"
	}
}
echo "== dpkg -i + apt-get -f install"
in_root apt-get -q update >"$WORK/apt-update.log" 2>&1 || {
	cat "$WORK/apt-update.log"
	fail "apt-get update in the root"
}
install_pkg
echo "installed: $(in_root dpkg-query -W -f '${Package} ${Version}' kdc)"
# Every file as shipped (md5sums).
out=$(in_root dpkg --verify kdc 2>&1) || true
[ -z "$out" ] || fail "dpkg --verify kdc: $out"

# The users and groups of kdc.sysusers, made by the postinst.
for u in kdc-keystore kdc-frontend; do
	line=$(in_root getent passwd "$u") || fail "postinst did not create the user $u"
	uid=$(echo "$line" | cut -d: -f3)
	shell=$(echo "$line" | cut -d: -f7)
	[ "$uid" -lt 1000 ] || fail "$u is not a system user (uid $uid)"
	[ "$shell" = /usr/sbin/nologin ] || fail "$u has the shell $shell"
done
in_root getent group kdc-admin >/dev/null || fail "no group kdc-admin"
in_root getent group kdc-frontend | grep -q ':kdc-keystore$' ||
	fail "kdc-keystore is not in the group kdc-frontend"
[ "$(in_root stat -c '%a %U %G' /etc/kdc)" = "750 root kdc-frontend" ] ||
	fail "/etc/kdc is $(in_root stat -c '%a %U %G' /etc/kdc)"
[ "$(in_root stat -c '%a %U %G' /etc/kdc/kdc.conf)" = "640 root kdc-frontend" ] ||
	fail "/etc/kdc/kdc.conf is $(in_root stat -c '%a %U %G' /etc/kdc/kdc.conf)"
echo "postinst: users, groups and /etc/kdc as kdc.sysusers and kdc.tmpfiles say"

# The programs run in the fresh root: libraries and the packaged file.
in_root kdc-keystore --check | grep -q 'configuration OK' || fail "kdc-keystore --check"
in_root setpriv --reuid=kdc-frontend --regid=kdc-frontend --clear-groups \
	kdc-frontend --check | grep -q 'configuration OK' ||
	fail "kdc-frontend --check as kdc-frontend"
in_root kdc-admin --help >/dev/null || fail "kdc-admin"
in_root kdc-token --help >/dev/null 2>&1 || fail "kdc-token"
in_root kdc-client --help >/dev/null || fail "kdc-client"
in_root man -w kdc-keystore >/dev/null 2>&1 || in_root test -f /usr/share/man/man8/kdc-keystore.8.gz ||
	fail "man page kdc-keystore(8)"
# The host's man reads the root's pages of Documentation=.
out=$(MANPATH=$ROOT/usr/share/man systemd-analyze verify --root="$ROOT" \
	kdc-keystore.service kdc-frontend@1.service 2>&1) ||
	fail "systemd-analyze verify in the root: $out"
[ -z "$out" ] || fail "systemd-analyze verify in the root: $out"
echo "programs and units OK in the root"

echo "== reinstall, remove, purge"
install_pkg
in_root dpkg -r kdc >"$WORK/dpkg.log" 2>&1 || { cat "$WORK/dpkg.log"; fail "dpkg -r kdc"; }
[ ! -e "$ROOT/usr/sbin/kdc-keystore" ] || fail "dpkg -r left the programs"
[ -f "$ROOT/etc/kdc/kdc.conf" ] || fail "dpkg -r removed the conffile"
in_root dpkg -P kdc >"$WORK/dpkg.log" 2>&1 || { cat "$WORK/dpkg.log"; fail "dpkg -P kdc"; }
[ ! -e "$ROOT/etc/kdc/kdc.conf" ] || fail "dpkg -P left /etc/kdc/kdc.conf"
install_pkg
touch "$WORK/root.ok"
echo "deploy.debian_root: OK"
