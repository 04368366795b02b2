# The .deb: `cmake -S . -B build-deb -DCMAKE_INSTALL_PREFIX=/usr -DCLINICD_TESTS=OFF
#   && cmake --build build-deb -j2 && (cd build-deb && cpack -G DEB)`
include(GNUInstallDirs)

install(FILES ${CMAKE_SOURCE_DIR}/systemd/clinicd.service
        DESTINATION /lib/systemd/system COMPONENT runtime)
install(FILES ${CMAKE_SOURCE_DIR}/systemd/clinicd.sysusers.conf
        DESTINATION /usr/lib/sysusers.d RENAME clinicd.conf COMPONENT runtime)
install(FILES ${CMAKE_SOURCE_DIR}/systemd/clinicd.tmpfiles.conf
        DESTINATION /usr/lib/tmpfiles.d RENAME clinicd.conf COMPONENT runtime)
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)
if(EXISTS ${CMAKE_SOURCE_DIR}/packaging/prometheus)
  install(DIRECTORY ${CMAKE_SOURCE_DIR}/packaging/prometheus ${CMAKE_SOURCE_DIR}/packaging/grafana
          DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples COMPONENT runtime OPTIONAL)
endif()

set(CPACK_PACKAGE_NAME clinicd)
set(CPACK_PACKAGE_VENDOR "clinicd")
set(CPACK_PACKAGE_CONTACT "clinicd maintainers <maintainers@clinicd.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# libdate-tz3 reads tzdata for the scheduling plugin; shlibdeps finds it too,
# named here so the package says so even when the plugin is built elsewhere.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, tzdata, libdate-tz3")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "sqlite3")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "mariadb-server, prometheus")
list(APPEND CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/packaging/deb/postinst
    ${CMAKE_SOURCE_DIR}/packaging/deb/prerm
    ${CMAKE_SOURCE_DIR}/packaging/deb/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Files under /etc are the clinic's: listed as conffiles, dpkg keeps local
# edits on upgrade.
set(conffiles "${CMAKE_INSTALL_FULL_SYSCONFDIR}/clinicd/clinicd.properties\n")
file(GLOB rule_files RELATIVE ${CMAKE_SOURCE_DIR}/lua/rules ${CMAKE_SOURCE_DIR}/lua/rules/*.lua)
foreach(f ${rule_files})
  string(APPEND conffiles "${CMAKE_INSTALL_FULL_SYSCONFDIR}/clinicd/rules/${f}\n")
endforeach()
file(WRITE ${CMAKE_BINARY_DIR}/packaging/conffiles "${conffiles}")
list(APPEND CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_BINARY_DIR}/packaging/conffiles)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
include(CPack)
