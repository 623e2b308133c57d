#!/usr/bin/env bash
# The install test: install firecrest-auth into a temporary prefix with
# scripts/install.sh, then use it as a program outside this tree would:
#
#   tests/install/run.sh
#
# - the installed files, links and soname are what the README promises;
# - consumer.c builds with `pkg-config --cflags --libs firecrest-auth`,
#   records NEEDED libfirecrest_auth.so.SONAME, loads the installed library
#   and runs; so does consumer.f90 with the installed Fortran module;
# - the CMake project here finds the package with find_package, asking for
#   the installed version, and builds consumer.c against the shared and the
#   static library and consumer.cpp against the C++ wrapper; they all run;
#   a request for the next ABI version is refused;
# - the installed Python module loads the installed library by itself.
# Nothing here needs the network.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
libdir="$prefix/lib"

fail() {
    echo "install test: $*" >&2
    exit 1
}

# The loader must find the installed library through what the build
# recorded (rpath), not through the caller's environment.
unset LD_LIBRARY_PATH F7T_LIBRARY

"$root/scripts/install.sh" --prefix "$prefix"

echo "==> The installed files"
version="$(sed -n 's/^#define F7T_VERSION "\(.*\)"$/\1/p' \
    "$prefix/include/firecrest_auth.h")"
[[ "$version" =~ ^([0-9]+)\.([0-9]+)\.([0-9]+) ]] ||
    fail "no version in the installed header"
major="${BASH_REMATCH[1]}" minor="${BASH_REMATCH[2]}"
if [[ "$major" -eq 0 ]]; then abi="0.$minor"; else abi="$major"; fi
soname="libfirecrest_auth.so.$abi"
realname="libfirecrest_auth.so.${version%%[-+]*}"
for file in "lib/$realname" lib/libfirecrest_auth.a include/firecrest_auth.h \
    include/firecrest_auth.hpp include/firecrest_auth.f90 \
    lib/pkgconfig/firecrest-auth.pc \
    lib/cmake/FirecrestAuth/FirecrestAuthConfig.cmake \
    lib/cmake/FirecrestAuth/FirecrestAuthConfigVersion.cmake \
    lib/firecrest-auth/python/firecrest_auth.py; do
    [[ -f "$prefix/$file" ]] || fail "$file was not installed"
done
[[ "$(readlink "$libdir/$soname")" == "$realname" ]] ||
    fail "$soname does not link to the library"
[[ "$(readlink "$libdir/libfirecrest_auth.so")" == "$soname" ]] ||
    fail "libfirecrest_auth.so does not link to $soname"
installed_soname="$(readelf -d "$libdir/$soname" |
    sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
[[ "$installed_soname" == "$soname" ]] ||
    fail "the installed library's SONAME is '$installed_soname'," \
        "not $soname"
echo "    version $version, SONAME $installed_soname, links in place"

# needs PROGRAM: the program records the soname and loads the installed
# file, not some other copy of the library.
needs() {
    local needed loaded
    needed="$(readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')"
    grep -qx "$soname" <<<"$needed" ||
        fail "$1 does not record NEEDED $soname; it records: $needed"
    loaded="$(ldd "$1" | grep firecrest || true)"
    [[ "$loaded" == *"=> $libdir/$soname "* ]] ||
        fail "$1 loads another library: $loaded"
}

echo "==> pkg-config"
export PKG_CONFIG_PATH="$libdir/pkgconfig"
[[ "$(pkg-config --modversion firecrest-auth)" == "$version" ]] ||
    fail "pkg-config reports another version"
# shellcheck disable=SC2046  # pkg-config's flags are meant to split
cc -std=c99 -Wall -Wextra -Werror -pedantic \
    $(pkg-config --cflags firecrest-auth) "$here/consumer.c" \
    -o "$work/consumer_pkgconfig" $(pkg-config --libs firecrest-auth) \
    -Wl,-rpath,"$(pkg-config --variable=libdir firecrest-auth)"
needs "$work/consumer_pkgconfig"
"$work/consumer_pkgconfig" "C via pkg-config"

if command -v gfortran >/dev/null; then
    # shellcheck disable=SC2046
    gfortran -std=f2008 -Wall -Wextra -Werror -J "$work" \
        "$prefix/include/firecrest_auth.f90" "$here/consumer.f90" \
        -o "$work/consumer_fortran" $(pkg-config --libs firecrest-auth) \
        -Wl,-rpath,"$libdir"
    needs "$work/consumer_fortran"
    "$work/consumer_fortran"
else
    echo "    (no gfortran: the Fortran consumer is skipped)"
fi

echo "==> CMake find_package"
cmake -S "$here" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" \
    -DF7T_WANTED_VERSION="$version" >"$work/cmake.log" ||
    { cat "$work/cmake.log" >&2; fail "cmake could not configure"; }
grep "found FirecrestAuth" "$work/cmake.log"
cmake --build "$work/cmake" >"$work/build.log" ||
    { cat "$work/build.log" >&2; fail "the CMake project did not build"; }
needs "$work/cmake/consumer_cmake"
"$work/cmake/consumer_cmake" "C via CMake"
if readelf -d "$work/cmake/consumer_cmake_static" | grep -q firecrest; then
    fail "consumer_cmake_static depends on the shared library"
fi
"$work/cmake/consumer_cmake_static" "C via CMake, static library"
needs "$work/cmake/consumer_cmake_cxx"
"$work/cmake/consumer_cmake_cxx"
if [[ "$major" -eq 0 ]]; then
    next="0.$((minor + 1))"
else
    next="$((major + 1))"
fi
if cmake -S "$here" -B "$work/cmake-next" -DCMAKE_PREFIX_PATH="$prefix" \
    -DF7T_WANTED_VERSION="$next" -DF7T_FIND_ONLY=ON \
    >"$work/cmake-next.log" 2>&1; then
    fail "find_package(FirecrestAuth $next) accepted version $version"
fi
echo "find_package(FirecrestAuth $next) refuses $version, as it should"

echo "==> Python"
python3 - "$libdir/firecrest-auth/python" "$libdir" <<'PYTHON'
import os, sys
sys.path.insert(0, sys.argv[1])
import firecrest_auth
path = firecrest_auth.library_path()
assert os.path.dirname(os.path.realpath(path)) == \
    os.path.realpath(sys.argv[2]), path
auth = firecrest_auth.Auth.static_token("install-test-token")
assert auth.auth_headers() == {"Authorization": "Bearer install-test-token"}
print(f"Python: firecrest-auth {firecrest_auth.version()} works, from {path}")
PYTHON

echo "install test passed"
