#!/bin/sh
# Static checks the tree is kept clean of (ctest "lint.static"):
#   clang-format  every C file matches .clang-format
#   clang-tidy    the checks of .clang-tidy, warnings are errors
#   cppcheck      warning, performance and portability classes
# Usage: scripts/lint.sh [BUILD_DIR]   (a configured tree with
# compile_commands.json; default build/test, the tree of scripts/test.sh)
set -eu
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-${KDC_BUILD_DIR:-build/test}}
SRC="common ipc keystore frontend tools"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
rc=0

for tool in clang-format clang-tidy run-clang-tidy cppcheck; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "lint: $tool missing (scripts/install-deps.sh --test)"
		exit 1
	fi
done
if [ ! -f "$BUILD_DIR/compile_commands.json" ]; then
	echo "lint: no $BUILD_DIR/compile_commands.json (configure first)"
	exit 1
fi

# Every C file of the project, tests and benchmarks included.
files=$(find $SRC tests bench -name '*.[ch]' 2>/dev/null | sort)

# shellcheck disable=SC2086
if ! clang-format --dry-run --Werror $files >"$log" 2>&1; then
	echo "lint: clang-format (fix with: clang-format -i FILE)"
	grep -E '^[^ ].*: (warning|error):' "$log" | head -50
	rc=1
fi

# clang-tidy on the daemons' and tools' sources (tests and fuzzers use
# cmocka/libFuzzer idioms the bugprone checks do not fit).
if ! run-clang-tidy -p "$BUILD_DIR" -quiet -j "$(nproc)" \
	"$(pwd)/(common|ipc|keystore|frontend|tools)/" >"$log" 2>&1; then
	echo "lint: clang-tidy"
	sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '(warning|error):' | sort -u | head -50
	rc=1
fi

# shellcheck disable=SC2086
if ! cppcheck -q --std=c11 --inline-suppr --error-exitcode=1 \
	--enable=warning,performance,portability \
	--suppress=missingIncludeSystem \
	-I common -I ipc -I keystore -I frontend -I tools/core \
	$SRC >"$log" 2>&1; then
	echo "lint: cppcheck"
	head -50 "$log"
	rc=1
fi

[ "$rc" -eq 0 ] && echo "lint: clean"
exit "$rc"
