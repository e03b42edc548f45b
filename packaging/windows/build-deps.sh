#!/bin/sh
# SPDX-License-Identifier: MIT
# Cross-builds the Windows port's dependencies (issue 16) statically with
# mingw-w64, from Debian's own source packages, into $OP_WINDEPS
# (default /var/cache/outpost-windeps). Each library is built once per
# Debian source version: the version is part of its stamp, so a changed
# package rebuilds and a cached one costs a dpkg-query. The versions built
# are listed in $OP_WINDEPS/versions.txt.
#
# Built today: libsodium, the protobuf-c runtime, libyaml. The rest the
# port needs (libuv, libvpx, libyuv, libopus, sqlite3, mbedtls, zstd) come
# with the modules that use them.
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
# in a desktop's worth of GStreamer.
pkgs="gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 wine wine64 dpkg-dev
autoconf automake libtool make"
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

# The source version apt would fetch for a package.
src_version() {
	apt-cache showsrc "$1" | sed -n 's/^Version: //p' | head -1
}

# fetch PKG: unpacks PKG's Debian source under $PREFIX/src; prints its dir.
fetch() {
	v=$(src_version "$1")
	up=${v#*:}
	up=${up%-*}
	d="$PREFIX/src/$1-$up"
	if [ ! -d "$d" ]; then
		(cd "$PREFIX/src" && apt-get source -q "$1" >/dev/null 2>&1)
	fi
	echo "$d"
}

stamp_ok() {
	[ -f "$PREFIX/.stamp-$1" ] && [ "$(cat "$PREFIX/.stamp-$1")" = "$2" ]
}

build_libsodium() {
	v=$(src_version libsodium)
	stamp_ok libsodium "$v" && return 0
	d=$(fetch libsodium)
	# Debian's tarball has no configure script (its build autoreconfs).
	(cd "$d" && autoreconf -fi >/dev/null 2>&1 &&
		./configure -q --host=$HOST --prefix="$PREFIX" \
			--disable-shared --enable-static --disable-ssp &&
		make -s -j"$JOBS" && make -s install) >/dev/null
	echo "$v" > "$PREFIX/.stamp-libsodium"
}

# Only the runtime (one C file); protoc-c itself runs on the build host.
build_protobuf_c() {
	v=$(src_version protobuf-c)
	stamp_ok protobuf-c "$v" && return 0
	d=$(fetch protobuf-c)
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
	echo "$v" > "$PREFIX/.stamp-protobuf-c"
}

# libyaml's eight sources, static (consumers define YAML_DECLARE_STATIC).
build_libyaml() {
	v=$(src_version libyaml)
	stamp_ok libyaml "$v" && return 0
	d=$(fetch libyaml)
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
	echo "$v" > "$PREFIX/.stamp-libyaml"
}

build_libsodium
build_protobuf_c
build_libyaml
{
	echo "mingw-w64 gcc $(dpkg-query -W -f='${Version}' gcc-mingw-w64-x86-64)"
	echo "wine $(dpkg-query -W -f='${Version}' wine64)"
	for s in "$PREFIX"/.stamp-*; do
		echo "${s##*/.stamp-} $(cat "$s")"
	done
} > "$PREFIX/versions.txt"
cat "$PREFIX/versions.txt"
