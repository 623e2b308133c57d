#!/usr/bin/env bash
# Benchmarks: prints, as a Markdown table, each figure with how it was
# measured. Separate from scripts/test.sh: figures are printed, never
# asserted.
#
#   scripts/bench.sh
#
# 1. cargo build --release
# 2. builds the C programs in bench/ into build/bench
# 3. a Python virtual environment in build/bench-venv with pyFirecREST 3.10
#    from PyPI (reused when present; without it the pyFirecREST figures are
#    reported as not measured)
# 4. starts the bundled OpenID provider on 127.0.0.1 (tests/idp/with-idp.sh)
#    and measures, against it only:
#    - cached get_access_token through the C ABI, 1 to 16 threads;
#    - the same for pyFirecREST's ClientCredentialsAuth;
#    - a stampede of 64 threads on an expired token, both libraries;
#    - one fetch in a fresh process, the library versus curl;
#    - threads, RSS, stripped library size, time to first token.
# The table also goes to build/bench/results.md, the raw key=value output
# of each program to build/bench/raw/ (`scripts/bench.sh --report` prints
# the table from those again).
#
# Needs cargo, a C compiler, curl, python3 and Node.js with npm. Nothing
# is sent anywhere but 127.0.0.1, apart from cargo, npm and pip fetching
# packages on first use. Takes about a minute on an idle machine, longer
# when disturbed runs are retried (each retry loop is bounded).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
out="$root/build/bench"
venv="$root/build/bench-venv"

# Thread counts of the cached-read figures; stampede size, token lifetime
# and repetitions (each with a new client); fresh-process runs per command;
# seconds per timed throughput run.
THREADS=(1 2 4 16)
STAMPEDE_THREADS=64
STAMPEDE_TTL=3
STAMPEDE_ROUNDS=3
COLD_RUNS=50
SECONDS_PER_RUN=1
# A measurement waits (at most QUIET_WAIT_S seconds) until other processes
# use less than QUIET_PCT percent of the machine: this machine is shared.
QUIET_PCT=10
QUIET_WAIT_S=60

# Settings from the caller's environment would change what is measured.
unset F7T_CACHE_DIR F7T_LOG F7T_IDP_CLIENT_ID F7T_IDP_CLIENT_SECRET \
    HTTP_PROXY HTTPS_PROXY ALL_PROXY http_proxy https_proxy all_proxy
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost

say() {
    printf '==> %s\n' "$*" >&2
}

die() {
    printf 'bench.sh: %s\n' "$*" >&2
    exit 1
}

# ---------------------------------------------------------------------------
# Measuring, run by with-idp.sh with the provider up (this script again,
# with --measure).

# value FILE KEY: the value of KEY= in a key=value file, or "n/a".
value() {
    local found
    found="$(sed -n "s/^$2=//p" "$1" 2>/dev/null | head -n1)"
    printf '%s' "${found:-n/a}"
}

# calc EXPRESSION: floating-point arithmetic; "n/a" if an operand is.
calc() {
    if [[ "$1" == *n/a* ]]; then
        printf 'n/a'
    else
        awk "BEGIN { printf \"%.${2:-2}f\", ($1) }"
    fi
}

# Busy + steal ticks of all CPUs, from /proc/stat.
machine_ticks() {
    awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# wait_quiet: waits until, over one second, other processes used less than
# QUIET_PCT percent of the machine (this script sleeps meanwhile), at most
# QUIET_WAIT_S seconds. Leaves the last reading in $quiet_pct.
quiet_pct=0
wait_quiet() {
    local hz cpus before after tries=0
    hz="$(getconf CLK_TCK)"
    cpus="$(nproc)"
    while ((tries < QUIET_WAIT_S)); do
        before="$(machine_ticks)"
        sleep 1
        after="$(machine_ticks)"
        quiet_pct="$(calc "($after - $before) / $hz / $cpus * 100" 0)"
        if ((quiet_pct < QUIET_PCT)); then
            return 0
        fi
        if ((tries == 0)); then
            say "other processes use ${quiet_pct}% of the CPUs; waiting" \
                "up to ${QUIET_WAIT_S} s for them"
        fi
        tries=$((tries + 1))
    done
    say "still ${quiet_pct}% busy; measuring anyway (the table says so)"
}

# token_requests CLIENT_ID: the provider's count of token requests.
token_requests() {
    curl -sS -f --noproxy '*' --max-time 10 \
        "$F7T_IDP_ISSUER/test/count?client_id=$1" |
        sed -n 's/.*"token_requests":\([0-9]*\).*/\1/p'
}

# register_client ID TTL: a client_secret_post client with short tokens.
register_client() {
    curl -sS -f --noproxy '*' --max-time 10 -o /dev/null \
        -H 'Content-Type: application/json' \
        -d "{\"client_id\":\"$1\",\"client_secret\":\"$1-secret\",
             \"token_endpoint_auth_method\":\"client_secret_post\",
             \"grant_types\":[\"client_credentials\"],
             \"access_token_ttl\":$2}" \
        "$F7T_IDP_ISSUER/test/clients"
}

# stampede RESULT_FILE CLIENT_ID COMMAND...: runs a stampede program
# (bench/stampede.c's protocol), reading the provider's counter after the
# program's first fetch and after the stampede.
stampede() {
    local file="$1" client="$2" line before after status=0
    shift 2
    register_client "$client" "$STAMPEDE_TTL"
    coproc STAMP {
        FIRECREST_CLIENT_ID="$client" \
            FIRECREST_CLIENT_SECRET="$client-secret" \
            timeout 120 "$@"
    }
    local pid="$STAMP_PID" from to
    # Bash closes a coprocess's descriptors when it ends: keep copies.
    exec {from}<&"${STAMP[0]}" {to}>&"${STAMP[1]}"
    if ! read -r -t 60 line <&"$from" || [[ "$line" != primed ]]; then
        die "stampede: $1 did not get its first token"
    fi
    before="$(token_requests "$client")"
    echo go >&"$to"
    exec {to}>&-
    cat <&"$from" >"$file"
    exec {from}<&-
    wait "$pid" || status=$?
    after="$(token_requests "$client")"
    echo "token_requests=$((after - before))" >>"$file"
    ((status == 0)) || die "stampede: $1 failed (status $status)"
}

measure() {
    local raw="$out/raw" py="" round
    mkdir -p "$raw"
    rm -f "$raw"/*.txt
    [[ -x "$venv/bin/python" ]] && py="$venv/bin/python"
    {
        echo "- CPU: $(sed -n 's/^model name[[:space:]]*: //p' \
            /proc/cpuinfo | head -n1), $(nproc) cores (nproc);" \
            "Linux $(uname -r)"
        echo "- library: git $(git rev-parse --short HEAD 2>/dev/null ||
            echo unknown)$(git diff --quiet HEAD -- src Cargo.toml \
            Cargo.lock 2>/dev/null ||
            echo ', with uncommitted changes in src/ or Cargo.*')"
        echo "- $(rustc --version); $(cc --version | head -n1);" \
            "Python $("${py:-python3}" --version 2>&1 | cut -d' ' -f2)," \
            "pyFirecREST $(
                "${py:-false}" -c 'import firecrest
print(firecrest.__version__)' 2>/dev/null || echo n/a)"
        echo "- measured $(date -u '+%Y-%m-%d %H:%M UTC')"
    } >"$raw/machine.txt"

    say "cached reads, C ABI (${THREADS[*]} threads)"
    wait_quiet
    echo "quiet_pct_before=$quiet_pct" >"$raw/cached_c.txt"
    timeout 300 "$out/cached" "$SECONDS_PER_RUN" "${THREADS[@]}" \
        >>"$raw/cached_c.txt"

    if [[ -n "$py" ]]; then
        say "cached reads, pyFirecREST (${THREADS[*]} Python threads)"
        wait_quiet
        echo "quiet_pct_before=$quiet_pct" >"$raw/cached_py.txt"
        timeout 300 "$py" bench/pyfirecrest_bench.py cached \
            "$SECONDS_PER_RUN" "${THREADS[@]}" >>"$raw/cached_py.txt"
    fi

    say "stampede: $STAMPEDE_THREADS threads on an expired" \
        "${STAMPEDE_TTL} s token, $STAMPEDE_ROUNDS rounds each"
    for ((round = 1; round <= STAMPEDE_ROUNDS; round++)); do
        stampede "$raw/stampede_c_$round.txt" "bench-stampede-c-$round" \
            "$out/stampede" "$STAMPEDE_THREADS" "$STAMPEDE_TTL"
        if [[ -n "$py" ]]; then
            # pyFirecREST keeps a token until 10 s before expiry by default,
            # which would refetch a 3 s token on every call; with 1 s it
            # reuses a fresh token like the library does, so what is
            # measured is the stampede alone.
            stampede "$raw/stampede_py_$round.txt" \
                "bench-stampede-py-$round" \
                "$py" bench/pyfirecrest_bench.py stampede \
                "$STAMPEDE_THREADS" "$STAMPEDE_TTL" 1
        fi
    done

    say "one fetch in a fresh process: library vs curl, $COLD_RUNS runs each"
    wait_quiet
    echo "quiet_pct_before=$quiet_pct" >"$raw/cold.txt"
    timeout 300 "$out/cold" "$COLD_RUNS" -- "$out/first_token" -- \
        curl -sS -f --noproxy '*' --max-time 30 -o /dev/null \
        -w 'fetch_s=%{time_total}\n' -H 'Accept: application/json' \
        -d grant_type=client_credentials \
        -d "client_id=$FIRECREST_CLIENT_ID" \
        -d "client_secret=$FIRECREST_CLIENT_SECRET" \
        "$AUTH_TOKEN_URL" >>"$raw/cold.txt"

    say "threads, RSS and new handles in a warm process ($COLD_RUNS handles)"
    timeout 120 "$out/first_token" "$COLD_RUNS" >"$raw/first_token.txt"
}

# ---------------------------------------------------------------------------
# The table.

# row COLUMNS CELL...: one row of a Markdown table; arguments past the
# last column are joined with spaces into the last cell.
row() {
    local columns="$1" line="|" i
    shift
    for ((i = 1; i < columns; i++)); do
        line+=" $1 |"
        shift
    done
    printf '%s %s |\n' "$line" "$*"
}

# stats FILE PREFIX UNIT: "MEDIAN UNIT median, P90 UNIT p90" of a series.
stats() {
    printf '%s %s median, %s %s p90' "$(value "$1" "${2}_median")" "$3" \
        "$(value "$1" "${2}_p90")" "$3"
}

# across NAME KEY: KEY's values in the stampede rounds' files NAME_*.txt.
across() {
    local round list=""
    for ((round = 1; round <= STAMPEDE_ROUNDS; round++)); do
        list+="${list:+, }$(value "$out/raw/${1}_$round.txt" "$2")"
    done
    printf '%s' "$list"
}

# delta FILE KEY: KEY_after_fetch - KEY_before.
delta() {
    local before after
    before="$(value "$1" "${2}_before")"
    after="$(value "$1" "${2}_after_fetch")"
    [[ "$before$after" == *n/a* ]] && { printf 'n/a'; return; }
    printf '%s' "$((after - before))"
}

# scaled NUMBER DIVISOR SUFFIX: a count in millions or thousands.
scaled() {
    [[ "$1" == n/a ]] && { printf 'n/a'; return; }
    printf '%s %s' "$(calc "$1 / $2" 1)" "$3"
}

# runs FILE PREFIX [DIVISOR SUFFIX]: "(min A, max B; N retried; others
# L%)", the spread of the kept runs, how many disturbed runs were retried
# and the worst load of others during the kept ones.
runs() {
    local low high
    low="$(value "$1" "${2}_min")"
    high="$(value "$1" "${2}_max")"
    if [[ $# -eq 4 ]]; then
        low="$(scaled "$low" "$3" "$4")"
        high="$(scaled "$high" "$3" "$4")"
    fi
    printf '(min %s, max %s; %s retried; others %s%%)' "$low" "$high" \
        "$(value "$1" "${2}_discarded")" "$(value "$1" "${2}_other_pct")"
}

report() {
    local c="$out/raw/cached_c.txt" p="$out/raw/cached_py.txt"
    local cold="$out/raw/cold.txt" ft="$out/raw/first_token.txt"
    local cores one one_ns t base ratio size stripped curl_fetch warm py_one
    local rss busy
    cores="$(value "$c" nproc)"
    one="$(value "$c" calls_per_s_1_median)"
    one_ns="$(value "$c" one_thread_ns_median)"
    curl_fetch="$(value "$cold" b_fetch_ms_median)"
    warm="$(value "$ft" warm_fetch_ms_median)"

    cp target/release/libfirecrest_auth.so "$out/libfirecrest_auth.so"
    strip "$out/libfirecrest_auth.so"
    size="$(stat -c %s target/release/libfirecrest_auth.so)"
    stripped="$(stat -c %s "$out/libfirecrest_auth.so")"

    echo "## Figures"
    echo
    cat "$out/raw/machine.txt"
    echo "- \"others\" is the share of" \
        "the CPUs other processes used during the kept runs; runs during" \
        "which it reached ${QUIET_PCT}% were retried"
    echo
    row 4 "Figure" "firecrest-auth" "pyFirecREST 3.10 or curl" "How"
    row 4 "---" "---" "---" "---"
    py_one="$(value "$p" one_thread_ns_median) ns/call,"
    py_one+=" $(calc "$(value "$p" one_thread_ns_median) / $one_ns" 0) x"
    row 4 "cached read, 1 thread" \
        "$one_ns ns/call $(runs "$c" one_thread_ns)" \
        "$py_one $(runs "$p" one_thread_ns)" \
        "median of 7 runs of 5,000,000 calls (Python: 200,000) on one" \
        "handle, token cached; callback included. The same C loop and" \
        "callback without the library: $(value "$c" floor_ns_median) ns"
    for t in "${THREADS[@]}"; do
        row 4 "cached read, $t thread$( ((t == 1)) || echo s), calls/s" \
            "$(scaled "$(value "$c" "calls_per_s_${t}_median")" 1e6 M)" \
            "$(scaled "$(value "$p" "calls_per_s_${t}_median")" 1e3 k)" \
            "median of 3 runs of ${SECONDS_PER_RUN} s, threads released" \
            "together, not pinned; C $(runs "$c" "calls_per_s_${t}" 1e6 M)," \
            "Python $(runs "$p" "calls_per_s_${t}" 1e3 k)"
    done
    row 4 "stampede: token requests" \
        "$(across stampede_c token_requests)" \
        "$(across stampede_py token_requests)" \
        "$STAMPEDE_THREADS threads released by a barrier on one handle" \
        "whose ${STAMPEDE_TTL} s token expired 1 s before; the provider's" \
        "counter before and after; $STAMPEDE_ROUNDS rounds, each with a" \
        "new client (pyFirecREST: min_token_validity=1)"
    row 4 "stampede: distinct tokens" \
        "$(across stampede_c distinct_tokens)" \
        "$(across stampede_py distinct_tokens)" \
        "same rounds; threads that got a token:" \
        "$(across stampede_c ok) and $(across stampede_py ok)"
    row 4 "stampede: release to last token" \
        "$(across stampede_c last_token_after_release_ms) ms" \
        "$(across stampede_py last_token_after_release_ms) ms" "same rounds"
    row 4 "one fetch in a fresh process (wall)" \
        "$(stats "$cold" a_wall_ms ms)" \
        "curl: $(stats "$cold" b_wall_ms ms)" \
        "$(value "$cold" runs) runs each, alternating, fork to exit:" \
        "bench/first_token (new handle, one fetch) vs curl POSTing the" \
        "same form; 3 unmeasured runs first;" \
        "others $(value "$cold" quiet_pct_before)% just before"
    row 4 "... ratio library / curl" \
        "$(value "$cold" ratio_wall_median) median, $(value "$cold" \
            ratio_wall_p90) p90" "" "same runs"
    row 4 "... the fetch alone" \
        "$(stats "$cold" a_fetch_ms ms)" \
        "curl time_total: $(stats "$cold" b_fetch_ms ms)" \
        "the library's first get_access_token in that process (starts the" \
        "network thread, builds the HTTP client) vs curl -w %{time_total}"
    row 4 "new handle in a warm process" \
        "$(stats "$ft" warm_fetch_ms ms)" \
        "$(calc "$warm / $curl_fetch") x curl's time_total" \
        "$(value "$ft" warm_runs) handles in turn in one process," \
        "get_access_token to callback"
    row 4 "time to first token" "$(stats "$cold" a_ttft_ms ms)" "" \
        "fork() to the token callback in the new process (exec, loading," \
        "handle, fetch); same runs as the fresh-process fetch"
    row 4 "threads started" "$(delta "$ft" tasks)" \
        "" "/proc/self/task: $(value "$ft" tasks_before) at start," \
        "$(value "$ft" tasks_after_new) after the handle," \
        "$(value "$ft" tasks_after_fetch) after the fetch," \
        "$(value "$ft" tasks_after_free) after free," \
        "$(value "$ft" tasks_after_warm_runs) after" \
        "$(value "$ft" warm_runs) more handles"
    rss="$(delta "$ft" rss_kb) kB ($(delta "$ft" rss_anon_kb) kB anonymous,"
    rss+=" $(delta "$ft" rss_file_kb) kB file-backed)"
    row 4 "RSS added by handle + fetch" "$rss" "" \
        "VmRSS: $(value "$ft" rss_kb_before) kB at start," \
        "$(value "$ft" rss_kb_after_new) after the handle," \
        "$(value "$ft" rss_kb_after_fetch) after the fetch," \
        "$(value "$ft" rss_kb_after_warm_runs) after" \
        "$(value "$ft" warm_runs) more handles"
    row 4 "shared library, stripped" "$stripped bytes" "" \
        "strip on a copy of target/release/libfirecrest_auth.so" \
        "($size bytes before)"

    echo
    echo "## Targets of issue 4"
    echo
    row 3 "Target" "Measured" "Verdict"
    row 3 "---" "---" "---"
    # A figure taken while other processes held a core says nothing about
    # the library: it is not judged (except a met latency target, which
    # only gets easier on an idle machine).
    busy="$(value "$c" one_thread_ns_other_pct)"
    if [[ "$(calc "$one_ns <= 50" 0)" == 1 ]]; then
        set -- "met, $(calc "50 / $one_ns" 1) x under"
    elif [[ "$(calc "$busy >= $QUIET_PCT" 0)" == 1 ]]; then
        set -- "not judged: others used $busy% of the CPUs; run again"
    else
        set -- "missed by $(calc "$one_ns - 50" 1) ns"
    fi
    row 3 "at most 50 ns per cached call, 1 thread" "$one_ns ns" "$1"
    for t in "${THREADS[@]}"; do
        ((t == 1)) && continue
        base=$((t < cores ? t : cores))
        ratio="$(calc "$(value "$c" "calls_per_s_${t}_median") / \
            ($base * $one)" 3)"
        busy="$(calc "$(value "$c" "calls_per_s_${t}_other_pct") > \
            $(value "$c" calls_per_s_1_other_pct) ? \
            $(value "$c" "calls_per_s_${t}_other_pct") : \
            $(value "$c" calls_per_s_1_other_pct)" 1)"
        if [[ "$(calc "$busy >= $QUIET_PCT" 0)" == 1 ]]; then
            set -- "not judged: others used $busy% of the CPUs; run again"
        elif [[ "$(calc "$ratio >= 0.9" 0)" == 1 ]]; then
            set -- met
        else
            set -- "missed by $(calc "0.9 - $ratio" 3)"
        fi
        row 3 "$t threads: >= 0.9 x min($t, $cores) x 1-thread calls/s" \
            "$ratio x min($t, $cores) x 1-thread" "$1"
    done
    t="$(across stampede_c token_requests)"
    if [[ "$t" =~ ^1(,\ 1)*$ ]]; then
        set -- met
    else
        set -- missed
    fi
    row 3 "stampede: 1 token request for $STAMPEDE_THREADS threads" \
        "$t" "$1"
}

# ---------------------------------------------------------------------------

case "${1:-}" in
    --measure)
        measure
        report | tee "$out/results.md"
        exit 0
        ;;
    --report) # the table again, from the raw files of the last run
        report
        exit 0
        ;;
esac

for tool in cargo cc curl python3 node npm strip; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done

say "building the library (cargo build --release)"
cargo build --release

say "building bench/*.c into build/bench"
mkdir -p "$out"
for program in cached stampede first_token cold; do
    cc -std=c99 -O2 -Wall -Wextra -Werror -Iinclude "bench/$program.c" \
        -Ltarget/release -lfirecrest_auth -Wl,-rpath,"$root/target/release" \
        -pthread -o "$out/$program"
done

if "$venv/bin/python" -c 'import firecrest, sys
sys.exit(not firecrest.__version__.startswith("3.10."))' 2>/dev/null; then
    say "reusing pyFirecREST in $venv"
else
    say "installing pyFirecREST 3.10 into $venv (pip, from PyPI)"
    if ! { python3 -m venv "$venv" &&
        "$venv/bin/pip" install --quiet --disable-pip-version-check \
            'pyfirecrest==3.10.*'; }; then
        say "could not install pyFirecREST; its figures will be n/a"
        rm -rf "$venv"
    fi
fi

say "starting the OpenID provider on 127.0.0.1 and measuring"
tests/idp/with-idp.sh "$root/scripts/bench.sh" --measure
say "table saved in build/bench/results.md"
