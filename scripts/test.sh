#!/usr/bin/env bash
# Every test, in the order a change is most likely to break them:
#
#   scripts/test.sh
#
# 1. cargo build (which regenerates include/firecrest_auth.h)
# 2. the committed header matches what the code generates
# 3. cargo fmt --check
# 4. cargo clippy --all-targets -- -D warnings
# 5. cargo test (its integration tests start the provider in tests/idp)
# 6. the shared library exports only f7t_ functions
# 7. CMake configures and builds the C, C++ and Fortran examples into
#    build/examples
# 8. ctest runs them against the provider, plain, under ASan+UBSan and
#    under valgrind, and compiles the header alone as C99 and C++17; the
#    C++ wrapper's and the Fortran module's examples run with them
# 9. the Python module's tests, pyFirecREST's calls among them
#    (python/run-tests.sh; its virtual environment is kept in
#    build/python-venv)
# 10. the install test: scripts/install.sh into a temporary prefix, then
#    programs built with pkg-config and CMake's find_package
#    (tests/install/run.sh)
#
# A failing step does not stop the others (except the build steps that
# later ones need); the summary at the end lists each step, and the exit
# status is non-zero if any failed.
# The step functions are called through run_step's "$@", which shellcheck
# does not follow, so it thinks their bodies unreachable.
# shellcheck disable=SC2317
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
build_dir="$root/build/examples"
library="$root/target/debug/libfirecrest_auth.so"
header="include/firecrest_auth.h"
jobs="$(nproc 2>/dev/null || echo 2)"

results=()
failures=0

# run_step NAME COMMAND...: runs one step and records its outcome. A
# command that returns 77 was skipped (it says why).
run_step() {
    local name="$1" start=$SECONDS status
    shift
    printf '\n==> %s\n' "$name"
    if "$@"; then status=0; else status=$?; fi
    local took="$((SECONDS - start)) s"
    case "$status" in
        0) results+=("PASS  $name ($took)") ;;
        77) results+=("SKIP  $name") ;;
        *)
            results+=("FAIL  $name ($took)")
            failures=$((failures + 1))
            printf '!!! %s failed\n' "$name" >&2
            ;;
    esac
    return "$status"
}

not_run() {
    results+=("----  $1 (not run: $2)")
    failures=$((failures + 1))
}

summary() {
    printf '\n==> Summary\n'
    printf '    %s\n' "${results[@]}"
    if [[ $failures -eq 0 ]]; then
        printf '\nAll tests passed.\n'
        exit 0
    fi
    printf '\n%d step(s) failed or could not run; see the output above.\n' \
        "$failures" >&2
    exit 1
}

# Functions below run inside `if`, where bash ignores `set -e`: each one
# checks its own commands.

check_header() {
    # build.rs reruns only when src/ changes, so a header edited by hand
    # survives the build; its own copy in OUT_DIR (the newest, if cargo
    # kept several) shows what the code generates.
    local generated="" out
    for out in target/debug/build/firecrest-auth-*/out/firecrest_auth.h; do
        if [[ -f "$out" && ( -z "$generated" || "$out" -nt "$generated" ) ]]
        then
            generated="$out"
        fi
    done
    if [[ -n "$generated" ]] && ! cmp -s "$generated" "$header"; then
        diff -u "$header" "$generated" >&2
        echo "$header is not what build.rs generates (diff above):" \
            "edited by hand? Regenerate it: touch build.rs; cargo build" >&2
        return 1
    fi
    if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        echo "not a git checkout: nothing to compare the header with"
        return 77
    fi
    if ! git ls-files --error-unmatch "$header" >/dev/null 2>&1; then
        echo "$header is not committed; commit it with the code" >&2
        return 1
    fi
    if ! git --no-pager diff --exit-code -- "$header"; then
        cat >&2 <<EOF

The build regenerated $header from src/ffi, and it differs from
the committed copy (the diff is above). The header is the C API: review the
change and commit the new header together with the code that caused it.
EOF
        return 1
    fi
    echo "$header matches the code"
}

check_exports() {
    local symbols offenders
    if ! symbols="$(nm -D --defined-only "$library")"; then
        echo "cannot read the symbols of $library" >&2
        return 1
    fi
    # Anything else exported (a Rust symbol, a dependency's C function)
    # could clash with the host program's own symbols.
    offenders="$(awk '$2 != "T" || $3 !~ /^f7t_/' <<<"$symbols")"
    if [[ -n "$offenders" ]]; then
        echo "$library exports symbols other than f7t_ functions:" >&2
        printf '%s\n' "$offenders" >&2
        return 1
    fi
    echo "$(wc -l <<<"$symbols") exported symbols, all f7t_ functions"
}

build_examples() {
    cmake -S examples -B "$build_dir" -DF7T_LIB_DIR="$root/target/debug" \
        -DF7T_INCLUDE_DIR="$root/include" &&
        cmake --build "$build_dir" --parallel "$jobs"
}

run_ctest() {
    (cd "$build_dir" && ctest --output-on-failure --parallel "$jobs")
}

if ! run_step "cargo build" cargo build; then
    not_run "the other steps" "the library did not build"
    summary
fi
run_step "header matches the code" check_header || true
run_step "cargo fmt --check" cargo fmt --check || true
run_step "cargo clippy" cargo clippy --all-targets -- -D warnings || true
run_step "cargo test" cargo test || true
run_step "exports are f7t_ functions only" check_exports || true
if run_step "build the examples (C, C++, Fortran)" build_examples; then
    run_step "ctest (examples, sanitizers, valgrind, header)" run_ctest || true
else
    not_run "ctest" "the examples did not build"
fi
run_step "Python module and pyFirecREST (pytest)" python/run-tests.sh || true
run_step "install into a temporary prefix (pkg-config, CMake)" \
    tests/install/run.sh || true
summary
