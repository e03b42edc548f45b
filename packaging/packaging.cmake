# SPDX-License-Identifier: MIT
# Install rules and the .deb/.rpm (CPack), included from the top-level
# CMakeLists.txt after agent/. One command builds both packages:
#
#   make package     (release preset, then cpack -G "DEB;RPM")
#
# What the packages carry: /usr/bin/outpost, the systemd unit
# (/usr/lib/systemd/system/outpost.service), /etc/outpost/outpost.yaml
# (the example config, a conffile / %config(noreplace), mode 0600), the
# man page outpost.8 and the licence (/usr/share/doc/outpost/copyright).
# Dependencies come from the binary: dpkg-shlibdeps for the .deb, rpm's
# automatic requires for the .rpm. The maintainer scripts are in deb/ and
# rpm/ beside this file.
include(GNUInstallDirs)

# Generated from the built binary, so they always match the key table:
# the man page (`outpost config man`) and the example configuration
# (`outpost config example`, the same text as config/outpost.example.yaml).
set(OP_PKG_GEN ${CMAKE_BINARY_DIR}/packaging)
add_custom_command(
	OUTPUT ${OP_PKG_GEN}/outpost.8.gz ${OP_PKG_GEN}/outpost.yaml
	COMMAND ${CMAKE_COMMAND} -E make_directory ${OP_PKG_GEN}
	COMMAND sh -c "\"$1\" config man > \"$2.roff\" && gzip -9n < \"$2.roff\" > \"$2.tmp\" && \"$1\" config example > \"$3.tmp\" && mv \"$2.tmp\" \"$2\" && mv \"$3.tmp\" \"$3\" && rm \"$2.roff\""
		sh $<TARGET_FILE:outpost> ${OP_PKG_GEN}/outpost.8.gz
		${OP_PKG_GEN}/outpost.yaml
	DEPENDS outpost
	COMMENT "Generating outpost.8 and the example configuration"
	VERBATIM)
add_custom_target(outpost-generated ALL
	DEPENDS ${OP_PKG_GEN}/outpost.8.gz ${OP_PKG_GEN}/outpost.yaml)

install(FILES ${OP_PKG_GEN}/outpost.8.gz
	DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES ${CMAKE_SOURCE_DIR}/LICENSE
	DESTINATION ${CMAKE_INSTALL_DOCDIR} RENAME copyright)
# The virtual display's own account (postinst/%post run systemd-sysusers).
install(FILES ${CMAKE_SOURCE_DIR}/service/systemd/outpost.sysusers
	DESTINATION lib/sysusers.d RENAME outpost.conf)

# The unit names the binary by its installed path, which is only known at
# install time (cpack installs with prefix /usr, `make install` with
# CMAKE_INSTALL_PREFIX). The example config goes to /etc/outpost whatever
# the prefix, but a plain `make install` never replaces an existing one.
install(CODE "
	file(READ \"${CMAKE_SOURCE_DIR}/service/systemd/outpost.service\" _u)
	string(REPLACE \"/usr/bin/outpost\" \"\${CMAKE_INSTALL_PREFIX}/bin/outpost\" _u \"\${_u}\")
	file(WRITE \"${OP_PKG_GEN}/unit/outpost.service\" \"\${_u}\")
	file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/lib/systemd/system\"
		TYPE FILE FILES \"${OP_PKG_GEN}/unit/outpost.service\"
		PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
	if(NOT EXISTS \"\$ENV{DESTDIR}/etc/outpost/outpost.yaml\")
		file(INSTALL DESTINATION \"/etc/outpost\" TYPE FILE
			FILES \"${OP_PKG_GEN}/outpost.yaml\"
			PERMISSIONS OWNER_READ OWNER_WRITE)
	else()
		message(STATUS \"Keeping: \$ENV{DESTDIR}/etc/outpost/outpost.yaml\")
	endif()
")

# --- CPack --------------------------------------------------------------
set(CPACK_PACKAGE_NAME outpost)
set(CPACK_PACKAGE_VENDOR "The Outpost authors")
set(CPACK_PACKAGE_CONTACT "Outpost maintainers <maintainers@outpost.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
	"headless unattended-access agent for RustDesk clients")
set(CPACK_PACKAGE_DESCRIPTION
	"Outpost is the host side of a remote-support setup whose technicians use
the stock RustDesk client against the organisation's own rendezvous and
relay servers. It runs as a hardened systemd service, is configured with
/etc/outpost/outpost.yaml and standard input, and never needs a GUI.")
set(CPACK_RESOURCE_FILE_LICENSE ${CMAKE_SOURCE_DIR}/LICENSE)
set(CPACK_GENERATOR "DEB;RPM")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES TRUE)
set(CPACK_OUTPUT_FILE_PREFIX ${CMAKE_BINARY_DIR}/packages)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The virtual display (display.virtual) runs Xvfb; hosts that only share a
# logged-in user's desktop do not need it.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "xvfb")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "xserver-xorg-video-dummy, xterm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
	${CMAKE_SOURCE_DIR}/packaging/deb/conffiles
	${CMAKE_SOURCE_DIR}/packaging/deb/postinst
	${CMAKE_SOURCE_DIR}/packaging/deb/prerm
	${CMAKE_SOURCE_DIR}/packaging/deb/postrm)

set(CPACK_RPM_FILE_NAME RPM-DEFAULT)
set(CPACK_RPM_PACKAGE_RELEASE 1)
set(CPACK_RPM_PACKAGE_LICENSE MIT)
set(CPACK_RPM_PACKAGE_GROUP "Applications/System")
set(CPACK_RPM_PACKAGE_AUTOREQ yes)
set(CPACK_RPM_PACKAGE_SUGGESTS "xorg-x11-server-Xvfb")
# Fixed paths (the unit, /etc/outpost): not relocatable. CPack's own
# default (CPACK_PACKAGE_RELOCATABLE true) would warn about every path
# outside /usr.
set(CPACK_PACKAGE_RELOCATABLE OFF)
set(CPACK_RPM_PACKAGE_RELOCATABLE OFF)
set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_SOURCE_DIR}/packaging/rpm/cpack-rpm.cmake)
set(CPACK_RPM_PACKAGE_AUTOPROV no)
set(CPACK_RPM_POST_INSTALL_SCRIPT_FILE ${CMAKE_SOURCE_DIR}/packaging/rpm/post)
set(CPACK_RPM_PRE_UNINSTALL_SCRIPT_FILE ${CMAKE_SOURCE_DIR}/packaging/rpm/preun)
set(CPACK_RPM_POST_UNINSTALL_SCRIPT_FILE ${CMAKE_SOURCE_DIR}/packaging/rpm/postun)
set(CPACK_RPM_USER_FILELIST
	"%config(noreplace) %attr(0600,root,root) /etc/outpost/outpost.yaml")
# Directories owned by the system, not by this package.
set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION
	/etc /usr/lib/systemd /usr/lib/systemd/system /usr/lib/sysusers.d
	/usr/share/man
	/usr/share/man/man8 /usr/share/doc)
# No /usr/lib/.build-id links and no debuginfo subpackage.
set(CPACK_RPM_SPEC_MORE_DEFINE "%define _build_id_links none")

include(CPack)
