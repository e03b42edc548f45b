# SPDX-License-Identifier: MIT
# Cross-build for 64-bit Windows with Debian's mingw-w64 (issue 16); tests
# run under wine. Dependencies come from packaging/windows/build-deps.sh,
# static, in OP_WINDEPS (default /var/cache/outpost-windeps).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)

if(DEFINED ENV{OP_WINDEPS})
	set(OP_WINDEPS $ENV{OP_WINDEPS})
else()
	set(OP_WINDEPS /var/cache/outpost-windeps)
endif()
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32 ${OP_WINDEPS})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER) # protoc-c runs on the host
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(ENV{PKG_CONFIG_LIBDIR} ${OP_WINDEPS}/lib/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")

# Tests: wine, with a prefix of the build's own so no user's is touched.
find_program(OP_WINE NAMES wine wine64 REQUIRED)
# winerun.py: wine, once more when wine itself failed to start the test.
set(CMAKE_CROSSCOMPILING_EMULATOR /usr/bin/python3
	${CMAKE_CURRENT_LIST_DIR}/../tests/windows/winerun.py ${OP_WINE})
