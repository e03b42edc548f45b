# SPDX-License-Identifier: MIT
# Included by cpack once per generator (CPACK_PROJECT_CONFIG_FILE).
# CMake 3.25's CPackRPM checks weak-dependency support by running
# ${RPM_EXECUTABLE} --suggests but never sets RPM_EXECUTABLE, so it drops
# the Suggests tag with a developer warning; name the binary for it.
if(CPACK_GENERATOR STREQUAL "RPM" AND NOT RPM_EXECUTABLE)
	find_program(RPM_EXECUTABLE rpm)
endif()
