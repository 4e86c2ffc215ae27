# Shared by the deployment tests (tests/deploy/*.sh), sourced with ".".
# ctest gives every test KDC_SOURCE_DIR (the checkout) and KDC_DEPLOY_WORK
# (a folder of this build tree that the fixtures share: the release tree
# built for /usr and its .deb).

: "${KDC_SOURCE_DIR:?set by ctest}"
: "${KDC_DEPLOY_WORK:?set by ctest}"
SRC=$KDC_SOURCE_DIR
WORK=$KDC_DEPLOY_WORK
TREE=$WORK/tree
PKGDIR=$WORK/pkg

# ctest's SKIP_RETURN_CODE: only for a tool that is genuinely missing
# (scripts/install-deps.sh --test installs them all).
skip() {
	echo "SKIP: $*"
	exit 77
}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

need() {
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 ||
			skip "$t is not installed (scripts/install-deps.sh --test)"
	done
}

need_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root ($*)"
}

# wait_for SECONDS CMD...: run CMD every 0.1 s until it succeeds; 1 when
# SECONDS pass first.
wait_for() {
	_limit=$(($1 * 10))
	shift
	_i=0
	until "$@" >/dev/null 2>&1; do
		_i=$((_i + 1))
		[ "$_i" -le "$_limit" ] || return 1
		sleep 0.1
	done
	return 0
}

# The .deb the fixture built (exactly one).
deb_file() {
	set -- "$PKGDIR"/kdc_*.deb
	[ -f "$1" ] || fail "no package in $PKGDIR (deploy.build failed?)"
	[ $# -eq 1 ] || fail "several packages in $PKGDIR"
	echo "$1"
}

# Install the fixture's release tree into DESTDIR $1.
install_tree() {
	[ -f "$TREE/CMakeCache.txt" ] || fail "no release tree in $TREE (deploy.build failed?)"
	rm -rf "$1"
	DESTDIR=$1 cmake --install "$TREE" >"$1.log" 2>&1 ||
		{ cat "$1.log"; fail "cmake --install failed"; }
}

# A private folder, removed on exit with whatever the test registered in
# CLEANUP (commands run first, in order).  Traversable by the unprivileged
# users the daemons run as.
CLEANUP=""
TMP=""
make_tmp() {
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/kdc-deploy-XXXXXX")
	chmod 755 "$TMP"
	trap 'run_cleanup' EXIT
	trap 'exit 1' INT TERM
}
run_cleanup() {
	_st=$?
	trap - EXIT
	eval "$CLEANUP" || true
	if [ -n "$TMP" ] && [ -z "${KDC_DEPLOY_KEEP:-}" ]; then
		rm -rf "$TMP"
	elif [ -n "$TMP" ]; then
		echo "kept $TMP"
	fi
	exit "$_st"
}
