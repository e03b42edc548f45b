#!/bin/sh
# SPDX-License-Identifier: MIT
# Cross-builds the Windows port's dependencies (issue 16) statically with
# mingw-w64, from Debian's own source packages, into $OP_WINDEPS
# (default /var/cache/outpost-windeps). Each library is built once per
# Debian source version: the version is part of its stamp, so a changed
# package rebuilds and a cached one costs a dpkg-query. The versions built
# are listed in $OP_WINDEPS/versions.txt.
#
# Built today: libsodium, the protobuf-c runtime, libyaml, libuv, mbedtls,
# zstd, sqlite3, libvpx, libyuv and libopus.
#
# The cache is extended, never trusted blindly: every library has its own
# stamp holding its Debian version and the recipe revision below, so a
# cache made by an older script that lacks a library (or built it another
# way) builds exactly what is missing or stale.
set -eu

PREFIX=${OP_WINDEPS:-/var/cache/outpost-windeps}
HOST=x86_64-w64-mingw32
JOBS=$(nproc 2>/dev/null || echo 2)

need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "build-deps.sh: run as root (apt-get)" >&2
		exit 1
	fi
}

# Toolchain and wine (the test runner), without the recommends that pull
# in a desktop's worth of GStreamer; Xvfb and python3 for the GUI tests
# (tests/windows/with-xvfb.py); a PipeWire with its pulse server, the
# session bus and numpy for the audio test (tests/windows/wine-audio.py,
# whose sound reaches wine's winepulse); wixl and msibuild for the MSI
# (packaging/windows/msi.cmake).
pkgs="gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 binutils-mingw-w64-x86-64
wine wine64 dpkg-dev xvfb python3
pipewire pipewire-bin wireplumber pipewire-pulse dbus-daemon python3-numpy
wixl msitools
autoconf automake libtool make cmake tcl nasm"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	need_root
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends $missing
fi

# apt-get source needs deb-src lines; add them beside the deb ones.
src_list=/etc/apt/sources.list.d/outpost-deb-src.sources
if ! apt-get source --print-uris -q libsodium >/dev/null 2>&1; then
	need_root
	for f in /etc/apt/sources.list.d/*.sources; do
		[ "$f" = "$src_list" ] && continue
		sed -n 's/^Types: deb$/Types: deb-src/p; /^URIs:/p; /^Suites:/p;
			/^Components:/p; /^Signed-By:/p; /^$/p' "$f"
	done > "$src_list"
	if [ -f /etc/apt/sources.list ]; then
		sed -n 's/^deb /deb-src /p' /etc/apt/sources.list \
			> /etc/apt/sources.list.d/outpost-deb-src.list
	fi
	apt-get update -q
fi

mkdir -p "$PREFIX/src" "$PREFIX/lib/pkgconfig" "$PREFIX/include"

# The source versions apt knows for a package, newest first.
src_versions() {
	apt-cache showsrc "$1" | sed -n 's/^Version: //p' | sort -rV
}

# fetch PKG: unpacks the newest source version of PKG that the archive
# really serves (a security update can be listed before its mirror has
# it) under $PREFIX/src; sets $d (the directory) and $v (the version).
fetch() {
	for v in $(src_versions "$1"); do
		up=${v#*:}
		up=${up%-*}
		d="$PREFIX/src/$1-$up"
		[ "$(cat "$d/.op-version" 2>/dev/null)" = "$v" ] && return 0
		t="$PREFIX/src/.fetch"
		rm -rf "$t"
		mkdir -p "$t"
		if (cd "$t" && apt-get source -q "$1=$v" >/dev/null 2>&1) &&
			[ -d "$t/$1-$up" ]; then
			rm -rf "$d"
			mv "$t/$1-$up" "$d"
			mv "$t"/* "$PREFIX/src/"
			rm -rf "$t"
			echo "$v" > "$d/.op-version"
			return 0
		fi
		echo "build-deps.sh: $1 $v: not served, trying an older one" >&2
	done
	echo "build-deps.sh: cannot fetch the source of $1" >&2
	exit 1
}

# The stamp of a library holds its Debian version, plus " rN" for the
# recipes that changed since the first script.
stamp_ok() {
	[ -f "$PREFIX/.stamp-$1" ] && [ "$(cat "$PREFIX/.stamp-$1")" = "$2" ]
}

# stale PKG [REV]: false when PKG's stamp matches the newest version, or
# the newest one the archive serves; otherwise fetches it ($d, $v) and is
# true: build, then `stamp PKG [REV]`.
stale() {
	newest=$(src_versions "$1" | head -1)
	stamp_ok "$1" "$newest${2:+ $2}" && return 1
	fetch "$1"
	stamp_ok "$1" "$v${2:+ $2}" && return 1
	return 0
}

stamp() {
	echo "$v${2:+ $2}" > "$PREFIX/.stamp-$1"
}

# cmake_lib PKG STAMP [CMAKE ARGS...]: configures, builds and installs a
# CMake project from PKG's Debian source, static, into $PREFIX.
# Call after stale().
cmake_lib() {
	src=$d
	[ -f "$d/build/cmake/CMakeLists.txt" ] && src=$d/build/cmake # zstd
	rm -rf "$d/build-win"
	cmake -S "$src" -B "$d/build-win" -DCMAKE_SYSTEM_NAME=Windows \
		-DCMAKE_C_COMPILER=$HOST-gcc -DCMAKE_CXX_COMPILER=$HOST-g++ \
		-DCMAKE_RC_COMPILER=$HOST-windres \
		-DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$PREFIX" \
		-DBUILD_SHARED_LIBS=OFF "$@" >/dev/null
	cmake --build "$d/build-win" -j"$JOBS" >/dev/null
	cmake --install "$d/build-win" >/dev/null
}

# libuv: the static library is libuv_a (pkg-config libuv-static).
build_libuv() {
	stale libuv1 r1 || return 0
	cmake_lib -DLIBUV_BUILD_TESTS=OFF -DLIBUV_BUILD_BENCH=OFF
	rm -f "$PREFIX/lib/libuv.dll.a" "$PREFIX/bin/libuv.dll"
	stamp libuv1 r1
}

# mbedtls has no pkg-config file; the agent finds it with find_library.
build_mbedtls() {
	stale mbedtls r1 || return 0
	cmake_lib -DENABLE_PROGRAMS=OFF -DENABLE_TESTING=OFF \
		-DUSE_STATIC_MBEDTLS_LIBRARY=ON -DUSE_SHARED_MBEDTLS_LIBRARY=OFF \
		-DMBEDTLS_FATAL_WARNINGS=OFF
	stamp mbedtls r1
}

build_zstd() {
	stale libzstd r1 || return 0
	cmake_lib -DZSTD_BUILD_PROGRAMS=OFF -DZSTD_BUILD_TESTS=OFF \
		-DZSTD_BUILD_SHARED=OFF -DZSTD_BUILD_STATIC=ON \
		-DZSTD_MULTITHREAD_SUPPORT=OFF
	stamp libzstd r1
}

# Debian ships SQLite's source tree, not the amalgamation: sqlite3.c is
# generated natively first (the generator is tclsh plus host C tools),
# then that one file is cross-compiled.
build_sqlite3() {
	stale sqlite3 r1 || return 0
	rm -rf "$d/build-native"
	mkdir -p "$d/build-native"
	(cd "$d/build-native" && ../configure -q --disable-tcl >/dev/null &&
		make -s sqlite3.c >/dev/null)
	$HOST-gcc -O2 -c "$d/build-native/sqlite3.c" -o "$PREFIX/src/sqlite3.o" \
		-DSQLITE_THREADSAFE=1 -DSQLITE_OMIT_LOAD_EXTENSION
	rm -f "$PREFIX/lib/libsqlite3.a"
	$HOST-ar rcs "$PREFIX/lib/libsqlite3.a" "$PREFIX/src/sqlite3.o"
	cp "$d/build-native/sqlite3.h" "$d/build-native/sqlite3ext.h" \
		"$PREFIX/include/"
	cat > "$PREFIX/lib/pkgconfig/sqlite3.pc" <<PC
prefix=$PREFIX
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: SQLite
Description: SQLite amalgamation (static, mingw-w64)
Version: ${v%%-*}
Libs: -L\${libdir} -lsqlite3
Cflags: -I\${includedir}
PC
	stamp sqlite3 r1
}

# libvpx's own configure, its x86 assembly through nasm. It threads with
# winpthreads, so a consumer links -lpthread after -lvpx (vpx.pc says so
# only in Libs.private: use pkg-config --static).
build_libvpx() {
	stale libvpx r1 || return 0
	rm -rf "$d/build-win"
	mkdir -p "$d/build-win"
	(cd "$d/build-win" && CROSS=$HOST- ../configure \
		--target=x86_64-win64-gcc --prefix="$PREFIX" --as=nasm \
		--enable-static --disable-shared --disable-examples \
		--disable-tools --disable-docs --disable-unit-tests \
		--enable-vp8 --enable-vp9 >/dev/null &&
		make -s -j"$JOBS" >/dev/null 2>&1 && make -s install >/dev/null)
	stamp libvpx r1
}

# Only the `yuv` target: the tools and tests need more than we have.
build_libyuv() {
	stale libyuv r1 || return 0
	rm -rf "$d/build-win"
	cmake -S "$d" -B "$d/build-win" -DCMAKE_SYSTEM_NAME=Windows \
		-DCMAKE_SYSTEM_PROCESSOR=x86_64 \
		-DCMAKE_C_COMPILER=$HOST-gcc -DCMAKE_CXX_COMPILER=$HOST-g++ \
		-DCMAKE_BUILD_TYPE=Release -DCMAKE_DISABLE_FIND_PACKAGE_JPEG=TRUE \
		>/dev/null
	cmake --build "$d/build-win" --target yuv -j"$JOBS" >/dev/null
	cp "$d/build-win/libyuv.a" "$PREFIX/lib/"
	cp -r "$d/include/libyuv" "$d/include/libyuv.h" "$PREFIX/include/"
	cat > "$PREFIX/lib/pkgconfig/libyuv.pc" <<PC
prefix=$PREFIX
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: libyuv
Description: libyuv (static, mingw-w64; C++: link with g++ or -lstdc++)
Version: ${v%-*}
Libs: -L\${libdir} -lyuv -lstdc++
Cflags: -I\${includedir}
PC
	stamp libyuv r1
}

# libopus' own configure (the release tarball has one), without its
# default -fstack-protector-strong in the DSP loops; its _FORTIFY_SOURCE
# objects need libssp, which every Windows link line ends with
# (CMakeLists.txt).
build_opus() {
	stale opus r2 || return 0
	rm -rf "$d/build-win"
	mkdir -p "$d/build-win"
	(cd "$d/build-win" && ../configure -q --host=$HOST --prefix="$PREFIX" \
		--disable-shared --enable-static --disable-doc \
		--disable-extra-programs --disable-stack-protector >/dev/null &&
		make -s -j"$JOBS" >/dev/null 2>&1 && make -s install >/dev/null)
	stamp opus r2
}

build_libsodium() {
	stale libsodium || return 0
	# Debian's tarball has no configure script (its build autoreconfs).
	(cd "$d" && autoreconf -fi >/dev/null 2>&1 &&
		./configure -q --host=$HOST --prefix="$PREFIX" \
			--disable-shared --enable-static --disable-ssp &&
		make -s -j"$JOBS" && make -s install) >/dev/null
	stamp libsodium
}

# Only the runtime (one C file); protoc-c itself runs on the build host.
build_protobuf_c() {
	stale protobuf-c || return 0
	mkdir -p "$PREFIX/include/protobuf-c"
	$HOST-gcc -O2 -c "$d/protobuf-c/protobuf-c.c" -I"$d" \
		-o "$PREFIX/src/protobuf-c.o"
	rm -f "$PREFIX/lib/libprotobuf-c.a"
	$HOST-ar rcs "$PREFIX/lib/libprotobuf-c.a" "$PREFIX/src/protobuf-c.o"
	cp "$d/protobuf-c/protobuf-c.h" "$PREFIX/include/protobuf-c/"
	cat > "$PREFIX/lib/pkgconfig/libprotobuf-c.pc" <<PC
prefix=$PREFIX
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: libprotobuf-c
Description: protobuf-c runtime (static, mingw-w64)
Version: ${v%-*}
Libs: -L\${libdir} -lprotobuf-c
Cflags: -I\${includedir}
PC
	stamp protobuf-c
}

# libyaml's eight sources, static (consumers define YAML_DECLARE_STATIC).
build_libyaml() {
	stale libyaml || return 0
	up=${v%-*}
	rm -f "$PREFIX/lib/libyaml.a"
	for f in api dumper emitter loader parser reader scanner writer; do
		$HOST-gcc -O2 -c "$d/src/$f.c" -I"$d/include" -DYAML_DECLARE_STATIC \
			-DYAML_VERSION_MAJOR=${up%%.*} \
			-DYAML_VERSION_MINOR=$(echo "$up" | cut -d. -f2) \
			-DYAML_VERSION_PATCH=$(echo "$up" | cut -d. -f3) \
			-DYAML_VERSION_STRING="\"$up\"" -o "$PREFIX/src/yaml-$f.o"
		$HOST-ar rcs "$PREFIX/lib/libyaml.a" "$PREFIX/src/yaml-$f.o"
	done
	cp "$d/include/yaml.h" "$PREFIX/include/"
	cat > "$PREFIX/lib/pkgconfig/yaml-0.1.pc" <<PC
prefix=$PREFIX
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: LibYAML
Description: libyaml (static, mingw-w64)
Version: $up
Libs: -L\${libdir} -lyaml
Cflags: -I\${includedir} -DYAML_DECLARE_STATIC
PC
	stamp libyaml
}

build_libsodium
build_protobuf_c
build_libyaml
build_libuv
build_mbedtls
build_zstd
build_sqlite3
build_libvpx
build_libyuv
build_opus
{
	echo "mingw-w64 gcc $(dpkg-query -W -f='${Version}' gcc-mingw-w64-x86-64)"
	echo "wine $(dpkg-query -W -f='${Version}' wine64)"
	for s in "$PREFIX"/.stamp-*; do
		echo "${s##*/.stamp-} $(cat "$s")"
	done
} > "$PREFIX/versions.txt"
cat "$PREFIX/versions.txt"
