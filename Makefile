# SPDX-License-Identifier: MIT
# The README's two commands. Everything else is CMake (CMakePresets.json).
.PHONY: run test build clean package

# Build with the release preset and run the agent on the built-in defaults
# (or /etc/outpost/outpost.yaml when it exists).
run:
	packaging/install-deps.sh build
	cmake --preset release >/dev/null
	cmake --build --preset release -j2
	build/release/agent/outpost run

# gcc -Werror build, then the whole suite (unit, fuzz smoke, integration)
# under clang ASan + UBSan.
test:
	packaging/install-deps.sh all
	cmake --preset dev >/dev/null
	cmake --build --preset dev -j2
	cmake --preset asan-ubsan >/dev/null
	cmake --build --preset asan-ubsan -j2
	ctest --preset asan-ubsan

# The .deb and the .rpm, in build/release/packages/ (README "Deployment").
package:
	packaging/install-deps.sh all
	cmake --preset release >/dev/null
	cmake --build --preset release -j2
	cd build/release && cpack -G "DEB;RPM"

build:
	cmake --preset dev >/dev/null
	cmake --build --preset dev -j2

clean:
	rm -rf build
