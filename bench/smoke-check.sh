#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# bench.smoke: run kdc-bench --smoke (tiny counts, seconds) and check that
# every scenario printed a well-formed summary line.  Timings are never
# checked: a slow machine must not fail this test.
#
#   smoke-check.sh KDC_BENCH BUILD_DIR
set -u
bench=$1
build=$2
out=$(mktemp)
trap 'rm -f "$out"' EXIT

"$bench" --smoke --build "$build" >"$out"
rc=$?
cat "$out"
if [ "$rc" -ne 0 ]; then
	echo "bench.smoke: kdc-bench exited with $rc" >&2
	exit 1
fi

num='-?[0-9]+(\.[0-9]+)?'
line="^BENCH scenario=[A-Z0-9/]+ name=[a-z0-9-]+ system=(kdc|ceiling) fe=[0-9] params=[A-Za-z0-9x-]+ ops=[0-9]+ errors=[0-9]+ secs=$num ops_per_s=$num p50_ms=$num p99_ms=$num rss_ks_kib=$num rss_fe1_kib=$num rss_fe2_kib=$num rss_ceiling_kib=$num ratio=$num"
fail=0
for want in "S1 name=admission system=ceiling fe=0" "S1 name=admission system=kdc fe=1" \
	"S2/S3 name=get-open system=ceiling" "S2 name=rejoin system=kdc fe=1" \
	"S3 name=reads system=kdc fe=1" "S4 name=rekey-fanout" \
	"S5 name=scale-join" "S6 name=admission system=kdc fe=2" \
	"S6 name=rejoin system=kdc fe=2"; do
	if ! grep -E "$line" "$out" | grep -q "scenario=$want"; then
		echo "bench.smoke: no well-formed line for scenario=$want" >&2
		fail=1
	fi
done
# Every line ran something (a count, not a time).
if grep -E '^BENCH ' "$out" | grep -q ' ops=0 '; then
	echo "bench.smoke: a scenario completed no operation" >&2
	fail=1
fi
if ! grep -q '^| Scenario |' "$out" || ! grep -q '^TARGET S6' "$out"; then
	echo "bench.smoke: no result table or targets" >&2
	fail=1
fi
exit $fail
