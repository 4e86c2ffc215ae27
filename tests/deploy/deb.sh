#!/bin/sh
# deploy.deb: the Debian package cpack built (fixture deploy_tree)
#   - dpkg-deb --info: name, version, architecture, the runtime libraries
#     in Depends (from dpkg-shlibdeps), conffiles, maintainer scripts;
#   - dpkg-deb --contents: the layout of a Debian 12 package (units in
#     /lib/systemd/system, compressed man pages and changelog, copyright),
#     everything owned by root, units that start /usr/sbin programs;
#   - lintian with no error and no warning; what is overridden is in
#     deploy/debian/lintian-overrides, each with its reason.
set -eu
. "$(dirname "$0")/lib.sh"
need dpkg-deb dpkg lintian
deb=$(deb_file)
make_tmp
echo "package: $(basename "$deb"), $(wc -c <"$deb") bytes"

version=$(sed -n 's/^project(kdc VERSION \([0-9.]*\) .*/\1/p' "$SRC/CMakeLists.txt")
[ -n "$version" ] || fail "no project version in CMakeLists.txt"
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = kdc ] || fail "Package: $(field Package)"
[ "$(field Version)" = "$version" ] || fail "Version $(field Version), project $version"
[ "$(field Architecture)" = "$(dpkg --print-architecture)" ] ||
	fail "Architecture: $(field Architecture)"
depends=$(field Depends)
for lib in systemd procps libc6 libuv1 libcoap3 libsqlite3-0 libsodium23 libcbor0.8 \
	libgnutls30 libhogweed6; do
	echo "$depends" | tr ',' '\n' | sed 's/^ *//' | grep -q "^$lib\( \|$\)" ||
		fail "Depends lacks $lib: $depends"
done
echo "Depends: $depends"

dpkg-deb --info "$deb" >"$TMP/info"
grep -q ' conffiles' "$TMP/info" || fail "no conffiles"
mkdir "$TMP/control"
dpkg-deb --control "$deb" "$TMP/control"
[ "$(cat "$TMP/control/conffiles")" = /etc/kdc/kdc.conf ] ||
	fail "conffiles: $(cat "$TMP/control/conffiles")"
for s in postinst prerm; do
	[ -x "$TMP/control/$s" ] || fail "$s missing or not executable"
	sh -n "$TMP/control/$s" || fail "$s: syntax"
done
grep -q '^[[:space:]]*systemd-sysusers .*kdc\.conf$' "$TMP/control/postinst" ||
	fail "postinst does not create the users with systemd-sysusers"
# md5sums cover every regular file of the package.
nfiles=$(dpkg-deb --contents "$deb" | grep -c '^-')
[ "$(wc -l <"$TMP/control/md5sums")" -eq "$nfiles" ] ||
	fail "md5sums lists $(wc -l <"$TMP/control/md5sums") files of $nfiles"

dpkg-deb --contents "$deb" >"$TMP/contents"
paths=$(awk '{ print $6 }' "$TMP/contents")
for p in ./lib/systemd/system/kdc-keystore.service \
	./lib/systemd/system/kdc-frontend@.service \
	./usr/lib/sysusers.d/kdc.conf ./usr/lib/tmpfiles.d/kdc.conf \
	./etc/kdc/kdc.conf ./usr/sbin/kdc-keystore ./usr/sbin/kdc-frontend \
	./usr/sbin/kdc-admin ./usr/bin/kdc-token ./usr/bin/kdc-client \
	./usr/share/man/man8/kdc-keystore.8.gz ./usr/share/man/man8/kdc-frontend.8.gz \
	./usr/share/man/man8/kdc-admin.8.gz ./usr/share/man/man5/kdc.conf.5.gz \
	./usr/share/man/man1/kdc-token.1.gz ./usr/share/man/man1/kdc-client.1.gz \
	./usr/share/doc/kdc/copyright ./usr/share/doc/kdc/changelog.gz \
	./usr/share/doc/kdc/OPERATIONS.md ./usr/share/kdc/schema/001_initial.sql; do
	echo "$paths" | grep -qx "$p" || fail "$p is not in the package"
done
if echo "$paths" | grep -q -e '^\./usr/etc' -e '^\./usr/local' -e '\.[1-8]$'; then
	fail "misplaced or uncompressed files: $(echo "$paths" | grep -e '^\./usr/etc' -e '^\./usr/local' -e '\.[1-8]$')"
fi
if awk '$2 != "root/root"' "$TMP/contents" | grep -q .; then
	fail "files not owned by root: $(awk '$2 != "root/root"' "$TMP/contents")"
fi
mkdir "$TMP/data"
dpkg-deb --extract "$deb" "$TMP/data"
for u in kdc-keystore.service kdc-frontend@.service; do
	grep -q '^ExecStart=/usr/sbin/kdc-' "$TMP/data/lib/systemd/system/$u" ||
		fail "$u does not start a /usr/sbin program"
done
top=$(gzip -dc "$TMP/data/usr/share/doc/kdc/changelog.gz" | sed -n '1s/^kdc (\([^)]*\)).*/\1/p')
[ "$top" = "$version" ] ||
	fail "deploy/debian/changelog's latest entry is $top, the package $version"
echo "dpkg-deb checks OK"

# lintian refuses nothing as root but says it is not recommended; that
# line is not a finding.
lintian --fail-on error,warning --show-overrides "$deb" >"$TMP/lintian" 2>&1 || {
	cat "$TMP/lintian"
	fail "lintian found errors or warnings"
}
grep -v 'running with root privileges' "$TMP/lintian" || true
if grep -q '^[EW]: ' "$TMP/lintian"; then
	fail "lintian: errors or warnings"
fi
echo "lintian: no error, no warning"
