# SPDX-License-Identifier: MIT
# The Windows installer (issue 16), included from the top-level
# CMakeLists.txt on the windows preset: the target `msi` (part of the
# build) makes build/windows/outpost-<version>-x64.msi with wixl from
# outpost.wxs beside this file. wixl and msibuild come from Debian's wixl
# and msitools (packaging/windows/build-deps.sh installs them).
find_program(OP_WIXL wixl REQUIRED)
find_program(OP_MSIBUILD msibuild REQUIRED)

# op_msi(TARGET OUTPUT VERSION): the MSI of outpost.exe labelled VERSION
# (the tests build a second one, labelled as the next release, to
# upgrade to). wixl looks up each File's Source relative to its working
# directory: the three files are staged there under their installed
# names. The example config is config/outpost.example.yaml (the Linux
# packages generate the same text with `outpost config example`, which a
# cross-build cannot run).
function(op_msi target output version)
	set(_stage ${output}.d)
	set(_wxs ${CMAKE_SOURCE_DIR}/packaging/windows/outpost.wxs)
	set(_yaml ${CMAKE_SOURCE_DIR}/config/outpost.example.yaml)
	set(_idt ${CMAKE_SOURCE_DIR}/packaging/windows/MsiLockPermissionsEx.idt)
	file(MAKE_DIRECTORY ${_stage})
	# wixl knows neither NeverOverwrite nor Permanent: the config's
	# component gets them afterwards, with the 64-bit bit wixl set
	# (256 + 128 + 16), so an existing outpost.yaml is never replaced
	# and uninstall leaves it. Nor Permission: ProgramData\Outpost's
	# DACL comes from MsiLockPermissionsEx.idt (Windows Installer 5).
	add_custom_command(OUTPUT ${output}
		COMMAND ${CMAKE_COMMAND} -E copy_if_different
			$<TARGET_FILE:outpost> $<TARGET_FILE:outpost-term-shim>
			${_stage}
		COMMAND ${CMAKE_COMMAND} -E copy_if_different ${_yaml}
			${_stage}/outpost.yaml
		COMMAND ${OP_WIXL} -a x64 -D Version=${version}
			-o ${output}.tmp ${_wxs}
		COMMAND ${OP_MSIBUILD} ${output}.tmp
			-q "UPDATE `Component` SET `Attributes` = 400 WHERE `Component` = 'Config'"
			-i ${_idt}
		COMMAND ${CMAKE_COMMAND} -E rename ${output}.tmp ${output}
		WORKING_DIRECTORY ${_stage}
		DEPENDS outpost outpost-term-shim ${_wxs} ${_yaml} ${_idt}
		COMMENT "Building ${output}"
		VERBATIM)
	add_custom_target(${target} ALL DEPENDS ${output})
endfunction()

set(OP_MSI ${CMAKE_BINARY_DIR}/outpost-${PROJECT_VERSION}-x64.msi)
op_msi(msi ${OP_MSI} ${PROJECT_VERSION})
