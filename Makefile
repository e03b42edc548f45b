# SPDX-License-Identifier: MIT
# The README's two commands. Everything else is CMake (CMakePresets.json).
.PHONY: run test test-windows build clean package package-windows

# cmake, ctest and cpack run without make's own environment: inherited
# MAKEFLAGS/MAKELEVEL make the Makefiles CMake generates print hundreds of
# "gmake[N]: Entering directory" lines, and a -jN jobserver would
# override the -j2 below.
CMAKE_ENV = MAKEFLAGS= MFLAGS= MAKELEVEL=

# Build with the release preset and run the agent on the built-in defaults
# (or /etc/outpost/outpost.yaml when it exists).
run:
	packaging/install-deps.sh build
	$(CMAKE_ENV) cmake --preset release >/dev/null
	$(CMAKE_ENV) cmake --build --preset release -j2
	build/release/agent/outpost run

# gcc -Werror build, then the whole suite (unit, fuzz smoke, integration)
# under clang ASan + UBSan, then the Windows port's tests under wine.
test:
	packaging/install-deps.sh all
	$(CMAKE_ENV) cmake --preset dev >/dev/null
	$(CMAKE_ENV) cmake --build --preset dev -j2
	$(CMAKE_ENV) cmake --preset asan-ubsan >/dev/null
	$(CMAKE_ENV) cmake --build --preset asan-ubsan -j2
	$(CMAKE_ENV) ctest --preset asan-ubsan
	$(MAKE) test-windows

# The Windows port so far (issue 16): mingw-w64 cross-build of the ported
# modules, their tests under wine. The dependencies are built once per
# Debian version into /var/cache/outpost-windeps.
test-windows:
	packaging/windows/build-deps.sh
	$(CMAKE_ENV) cmake --preset windows >/dev/null
	$(CMAKE_ENV) cmake --build --preset windows -j2
	$(CMAKE_ENV) ctest --preset windows

# The .deb and the .rpm, in build/release/packages/ (README "Deployment").
package:
	packaging/install-deps.sh all
	$(CMAKE_ENV) cmake --preset release >/dev/null
	$(CMAKE_ENV) cmake --build --preset release -j2
	cd build/release && $(CMAKE_ENV) cpack -G "DEB;RPM"

# The Windows installer, build/windows/outpost-<version>-x64.msi (README
# "Windows"); the windows build makes it too.
package-windows:
	packaging/windows/build-deps.sh
	$(CMAKE_ENV) cmake --preset windows >/dev/null
	$(CMAKE_ENV) cmake --build --preset windows -j2 --target msi

build:
	$(CMAKE_ENV) cmake --preset dev >/dev/null
	$(CMAKE_ENV) cmake --build --preset dev -j2

clean:
	rm -rf build
