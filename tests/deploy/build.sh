#!/bin/sh
# deploy.build, the ctest fixture "deploy_tree" of the other deploy tests:
# the tree they install and package.  A Release build configured for /usr,
# as a distribution builds it, apart from the tree ctest runs in (whose
# binaries carry the sanitizers and the /usr/local prefix).  It stays in
# the build folder, so a second run only rebuilds what changed.
set -eu
. "$(dirname "$0")/lib.sh"
need cmake cpack dpkg-deb gzip
mkdir -p "$WORK"

# CMAKE_SKIP_INSTALL_ALL_DEPENDENCY: cpack's install step builds only the
# installed programs, not the benchmarks.
if ! cmake -S "$SRC" -B "$TREE" -DCMAKE_BUILD_TYPE=Release \
	-DCMAKE_INSTALL_PREFIX=/usr -DKDC_TESTS=OFF -DKDC_SANITIZE=OFF \
	-DKDC_FUZZ=OFF -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON \
	>"$WORK/configure.log" 2>&1; then
	cat "$WORK/configure.log"
	fail "configuring the release tree"
fi
if ! cmake --build "$TREE" -j"$(nproc)" --target kdc-keystore kdc-frontend \
	kdc-admin kdc-token kdc-client >"$WORK/build.log" 2>&1; then
	tail -50 "$WORK/build.log"
	fail "building the release tree"
fi
rm -rf "$PKGDIR"
if ! (cd "$TREE" && cpack -G DEB -B "$PKGDIR") >"$WORK/cpack.log" 2>&1; then
	cat "$WORK/cpack.log"
	fail "cpack"
fi
deb=$(deb_file)
echo "built $deb ($(wc -c <"$deb") bytes)"
