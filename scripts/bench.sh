#!/bin/sh
# The whole benchmark suite of docs/BENCHMARKS.md, in one command (README):
#   scripts/bench.sh [kdc-bench options...]
# Builds a Release tree without sanitizers in build/bench, runs kdc-bench
# (scenarios 1-6 against libcoap's coap-server-gnutls, every run bounded in
# time and count), keeps the output in bench-results/<date>.txt and plots
# the rekey fan-out time against the group size (scenario 4) into
# bench-results/<date>-rekey.png with gnuplot.  About 5 minutes on a
# 2-core machine; targets are reported, never asserted.
#
# Environment: KDC_BENCH_BUILD (build folder, default build/bench),
# KDC_BENCH_OUT (results folder, default bench-results),
# KDC_BENCH_SKIP_DEPS=1 (do not run install-deps.sh).
set -eu
cd "$(dirname "$0")/.."
src=$(pwd)
build=${KDC_BENCH_BUILD:-$src/build/bench}
out=${KDC_BENCH_OUT:-$src/bench-results}

if [ "${KDC_BENCH_SKIP_DEPS:-}" != 1 ]; then
	./scripts/install-deps.sh
fi
command -v gnuplot >/dev/null 2>&1 || {
	echo "bench.sh: gnuplot is missing (apt install gnuplot-nox); the" \
		"figures are still printed" >&2
}

cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DKDC_SANITIZE=OFF \
	-DKDC_FUZZ=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target kdc-bench

mkdir -p "$out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
txt=$out/$stamp.txt
{
	echo "# $(uname -srm), $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	echo "# kdc $(git -C "$src" describe --always --dirty 2>/dev/null || echo unknown)"
} >"$txt"
# Default sizes of scenario 4 are 100, 1000, 10000; more points for the plot.
"$build/bench/kdc-bench" --build "$build" --s4 100,300,1000,3000,10000 "$@" |
	tee -a "$txt"

dat=$out/$stamp-rekey.dat
sed -n 's/^BENCH scenario=S4 .* params=n\([0-9]*\) .* last_ms=\([0-9.]*\).*$/\1 \2/p' \
	"$txt" >"$dat"
if [ -s "$dat" ] && command -v gnuplot >/dev/null 2>&1; then
	png=$out/$stamp-rekey.png
	gnuplot <<EOF
set terminal png size 800,500
set output '$png'
set title 'Rekey fan-out: trigger to last observer notified (kdc-bench S4)'
set xlabel 'observers of the group'
set ylabel 'ms'
set logscale x
set grid
set key left top
set yrange [0:1100]
plot '$dat' using 1:2 with linespoints lw 2 pt 7 title 'last notification', \
     1000 with lines dt 2 title 'target (1 s)'
EOF
	echo "bench.sh: plot in $png"
fi
echo "bench.sh: results in $txt"
