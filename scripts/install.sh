#!/usr/bin/env bash
# Builds the library for release and installs it the way a C library is
# installed, in one command:
#
#   scripts/install.sh --prefix DIR [--libdir DIR] [--includedir DIR]
#   DESTDIR=/staging scripts/install.sh --prefix /usr     (for packagers)
#
# The prefix defaults to /usr/local, libdir to PREFIX/lib, includedir to
# PREFIX/include. What it installs:
#
#   LIBDIR/libfirecrest_auth.so.X.Y.Z     the shared library, whose soname
#   LIBDIR/libfirecrest_auth.so.SONAME      is libfirecrest_auth.so.0.MINOR
#   LIBDIR/libfirecrest_auth.so             before 1.0 (the ABI may change
#                                           with the minor version), .MAJOR
#                                           from 1.0 on; plus the two links
#   LIBDIR/libfirecrest_auth.a            the static library
#   INCLUDEDIR/firecrest_auth.h           the C header
#   INCLUDEDIR/firecrest_auth.hpp         the C++17 wrapper
#   INCLUDEDIR/firecrest_auth.f90         the Fortran module's source
#   LIBDIR/pkgconfig/firecrest-auth.pc    for pkg-config
#   LIBDIR/cmake/FirecrestAuth/           for find_package(FirecrestAuth)
#   LIBDIR/firecrest-auth/python/         the Python module (ctypes)
#
# Version numbers come from Cargo.toml (through cargo); nothing here names
# one. The build goes to target/install, apart from cargo's usual
# target/release, because only an installed library carries a soname: the
# build-tree programs (examples, benchmarks) link the library by its path.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"

usage() {
    sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
    exit "${1:-2}"
}

fail() {
    echo "install.sh: $*" >&2
    exit 1
}

prefix=/usr/local
libdir=""
includedir=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --prefix) [[ $# -ge 2 ]] || usage; prefix="$2"; shift 2 ;;
        --prefix=*) prefix="${1#*=}"; shift ;;
        --libdir) [[ $# -ge 2 ]] || usage; libdir="$2"; shift 2 ;;
        --libdir=*) libdir="${1#*=}"; shift ;;
        --includedir) [[ $# -ge 2 ]] || usage; includedir="$2"; shift 2 ;;
        --includedir=*) includedir="${1#*=}"; shift ;;
        -h | --help) usage 0 ;;
        *) echo "install.sh: unknown argument $1" >&2; usage ;;
    esac
done
libdir="${libdir:-$prefix/lib}"
includedir="${includedir:-$prefix/include}"
for dir in "$prefix" "$libdir" "$includedir"; do
    [[ "$dir" == /* ]] || fail "$dir is not an absolute path"
    # The paths are written into the pkg-config file with sed.
    [[ "$dir" != *[\|\\\&$'\n']* ]] || fail "$dir has a character that" \
        "cannot go into the pkg-config file"
done
destdir="${DESTDIR:-}"

for tool in cargo readelf sed install; do
    command -v "$tool" >/dev/null || fail "$tool is not installed"
done

# The version, as Cargo.toml says: `cargo pkgid` prints the package id,
# ending in ...#VERSION or ...@VERSION depending on cargo's version.
package_id="$(cargo pkgid)"
version="${package_id##*[#@]}"
if [[ ! "$version" =~ ^([0-9]+)\.([0-9]+)\.([0-9]+) ]]; then
    fail "cannot read the version from \`cargo pkgid\` ($package_id)"
fi
major="${BASH_REMATCH[1]}"
minor="${BASH_REMATCH[2]}"
patch="${BASH_REMATCH[3]}"
if [[ "$major" -eq 0 ]]; then
    abi_version="0.$minor"
else
    abi_version="$major"
fi
soname="libfirecrest_auth.so.$abi_version"
realname="libfirecrest_auth.so.$major.$minor.$patch"

echo "==> Building firecrest-auth $version for release (soname $soname)"
target_dir="$root/target/install"
built="$target_dir/release"
build_log="$(mktemp)"
trap 'rm -f "$build_log"' EXIT
# The static library needs a few system libraries in its users' link line;
# rustc names them in a note, but only when it actually links, so the list
# is kept beside the build for later runs that have nothing to rebuild.
build() {
    cargo rustc --release --lib --crate-type cdylib,staticlib \
        --target-dir "$target_dir" \
        -- -C "link-arg=-Wl,-soname,$soname" --print native-static-libs \
        2>&1 | tee "$build_log"
}
build
static_libs_file="$built/native-static-libs.txt"
if grep -q 'native-static-libs: ' "$build_log"; then
    sed -n 's/.*native-static-libs: //p' "$build_log" | tail -n 1 \
        >"$static_libs_file"
elif [[ ! -s "$static_libs_file" ]]; then
    # Built before this script kept the list: link again to hear it.
    cargo clean --release -p firecrest-auth --target-dir "$target_dir"
    build
    sed -n 's/.*native-static-libs: //p' "$build_log" | tail -n 1 \
        >"$static_libs_file"
fi
native_static_libs="$(cat "$static_libs_file")"
[[ -n "$native_static_libs" ]] || fail "rustc named no native static libs"
# -lgcc_s -lutil ... as a CMake list: gcc_s;util;...
native_static_libs_cmake="$(sed -e 's/-l//g' -e 's/  */;/g' \
    <<<"$native_static_libs")"

# build.rs regenerated the header from the same source just now.
header="$root/include/firecrest_auth.h"
if ! grep -q "^#define F7T_VERSION \"$version\"$" "$header"; then
    fail "$header does not say version $version: is it stale?"
fi
dynamic_section="$(readelf -d "$built/libfirecrest_auth.so")"
if ! grep -q "(SONAME).*\[$soname\]" <<<"$dynamic_section"; then
    fail "the library was built without the soname $soname"
fi

# From the cmake config directory to the include directory, so that the
# installed tree can be moved.
includedir_from_here="$(realpath -m \
    --relative-to="$libdir/cmake/FirecrestAuth" "$includedir")"
pointer_bytes="$(getconf LONG_BIT)"
pointer_bytes=$((pointer_bytes / 8))

# fill TEMPLATE DEST: the template with its @NAME@ placeholders replaced.
fill() {
    sed -e "s|@PREFIX@|$prefix|g" \
        -e "s|@LIBDIR@|$libdir|g" \
        -e "s|@INCLUDEDIR@|$includedir|g" \
        -e "s|@INCLUDEDIR_FROM_HERE@|$includedir_from_here|g" \
        -e "s|@VERSION@|$version|g" \
        -e "s|@VERSION_MAJOR_MINOR@|$major.$minor|g" \
        -e "s|@ABI_VERSION@|$abi_version|g" \
        -e "s|@SONAME@|$soname|g" \
        -e "s|@REALNAME@|$realname|g" \
        -e "s|@NATIVE_STATIC_LIBS@|$native_static_libs|g" \
        -e "s|@NATIVE_STATIC_LIBS_CMAKE@|$native_static_libs_cmake|g" \
        -e "s|@SIZEOF_VOID_P@|$pointer_bytes|g" \
        -e "s|@SIZEOF_VOID_P_BITS@|$((pointer_bytes * 8))|g" \
        "$1" >"$2"
    if grep -n '@[A-Z_]*@' "$2" >&2; then
        fail "$1 has a placeholder this script does not fill (above)"
    fi
    chmod 0644 "$2"
}

echo "==> Installing into ${destdir}$prefix"
lib_to="$destdir$libdir"
install -d "$lib_to" "$destdir$includedir" "$lib_to/pkgconfig" \
    "$lib_to/cmake/FirecrestAuth" "$lib_to/firecrest-auth/python"
install -m 0755 "$built/libfirecrest_auth.so" "$lib_to/$realname"
ln -sfn "$realname" "$lib_to/$soname"
ln -sfn "$soname" "$lib_to/libfirecrest_auth.so"
install -m 0644 "$built/libfirecrest_auth.a" "$lib_to/libfirecrest_auth.a"
install -m 0644 include/firecrest_auth.h include/firecrest_auth.hpp \
    include/firecrest_auth.f90 "$destdir$includedir/"
fill pkgconfig/firecrest-auth.pc.in "$lib_to/pkgconfig/firecrest-auth.pc"
fill cmake/FirecrestAuthConfig.cmake.in \
    "$lib_to/cmake/FirecrestAuth/FirecrestAuthConfig.cmake"
fill cmake/FirecrestAuthConfigVersion.cmake.in \
    "$lib_to/cmake/FirecrestAuth/FirecrestAuthConfigVersion.cmake"
install -m 0644 python/firecrest_auth.py "$lib_to/firecrest-auth/python/"

cat <<EOF
    $libdir/$realname (soname $soname), .a, and the links
    $includedir/firecrest_auth.h, .hpp, .f90
    $libdir/pkgconfig/firecrest-auth.pc
    $libdir/cmake/FirecrestAuth/FirecrestAuthConfig.cmake (and ...Version)
    $libdir/firecrest-auth/python/firecrest_auth.py

Use it with
    C, Fortran: pkg-config --cflags --libs firecrest-auth
                with PKG_CONFIG_PATH=$libdir/pkgconfig
    CMake:      find_package(FirecrestAuth)
                with CMAKE_PREFIX_PATH=$prefix
    Python:     import firecrest_auth
                with PYTHONPATH=$libdir/firecrest-auth/python
If $libdir is not searched by the dynamic loader, link with
-Wl,-rpath,$libdir, or run ldconfig after installing into a directory
listed in /etc/ld.so.conf.
EOF
