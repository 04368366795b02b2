# The .debs: `cmake -S . -B build-deb -DCMAKE_INSTALL_PREFIX=/usr -DCLINICD_TESTS=OFF
#   && cmake --build build-deb -j2 && (cd build-deb && cpack -G DEB)`
# (tests/package/package_test.sh builds, checks, installs and purges them).
# make two packages from the install components: clinicd (runtime: the
# daemon, its plugins, config, units) and clinicd-dev (dev: the plugin SDK's
# headers, the kernel's link name and the CMake package for
# find_package(clinicd)).
include(GNUInstallDirs)

# A plugin's *_INSTALLED definitions (where its installed data lives) are the
# only flags that differ between the main build (/usr/local) and the package
# build (/usr). Moved from the plugin to the one source file that reads each,
# so every other file compiles the same in both and the package build finds
# the main build's objects in ccache.
get_property(clinicd_plugin_targets GLOBAL PROPERTY CLINICD_PLUGIN_TARGETS)
foreach(target ${clinicd_plugin_targets})
  get_target_property(definitions ${target} COMPILE_DEFINITIONS)
  if(NOT definitions)
    continue()
  endif()
  get_target_property(sources ${target} SOURCES)
  get_target_property(source_dir ${target} SOURCE_DIR)
  set(kept)
  foreach(definition ${definitions})
    string(REGEX MATCH "^[A-Z_]+_INSTALLED" macro "${definition}")
    set(users)
    if(macro)
      foreach(source ${sources})
        get_filename_component(path ${source} ABSOLUTE BASE_DIR ${source_dir})
        if(path MATCHES "\\.cpp$")
          file(READ ${path} text)
          string(FIND "${text}" "${macro}" at)
          if(at GREATER -1)
            list(APPEND users ${path})
          endif()
        endif()
      endforeach()
    endif()
    if(users)
      set_property(SOURCE ${users} TARGET_DIRECTORY ${target} APPEND PROPERTY COMPILE_DEFINITIONS "${definition}")
    else()
      list(APPEND kept "${definition}")
    endif()
  endforeach()
  set_property(TARGET ${target} PROPERTY COMPILE_DEFINITIONS "${kept}")
endforeach()

install(FILES ${CMAKE_SOURCE_DIR}/systemd/clinicd.service
        DESTINATION /lib/systemd/system COMPONENT runtime)
install(FILES ${CMAKE_SOURCE_DIR}/systemd/clinicd.sysusers.conf
        DESTINATION /usr/lib/sysusers.d RENAME clinicd.conf COMPONENT runtime)
install(FILES ${CMAKE_SOURCE_DIR}/systemd/clinicd.tmpfiles.conf
        DESTINATION /usr/lib/tmpfiles.d RENAME clinicd.conf COMPONENT runtime)
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)

# What Debian policy asks of every package: a copyright file and the Debian
# changelog in each package's doc directory, and manual pages for the
# programs in /usr/sbin. Compressed here with -n (no name or time stamp), so
# two builds of one version make the same bytes.
set(deb_generated ${CMAKE_BINARY_DIR}/packaging/deb)
file(MAKE_DIRECTORY ${deb_generated})
find_program(GZIP_PROGRAM gzip REQUIRED)
foreach(page clinicd.8 clinicctl.8)
  add_custom_command(OUTPUT ${deb_generated}/${page}.gz
    COMMAND ${GZIP_PROGRAM} -9n -c ${CMAKE_SOURCE_DIR}/packaging/man/${page} > ${deb_generated}/${page}.gz
    DEPENDS ${CMAKE_SOURCE_DIR}/packaging/man/${page} VERBATIM)
  list(APPEND deb_docs ${deb_generated}/${page}.gz)
  install(FILES ${deb_generated}/${page}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man8 COMPONENT runtime)
endforeach()
add_custom_command(OUTPUT ${deb_generated}/changelog.Debian.gz
  COMMAND ${GZIP_PROGRAM} -9n -c ${CMAKE_SOURCE_DIR}/packaging/deb/changelog > ${deb_generated}/changelog.Debian.gz
  DEPENDS ${CMAKE_SOURCE_DIR}/packaging/deb/changelog VERBATIM)
add_custom_target(clinicd-package-docs ALL DEPENDS ${deb_docs} ${deb_generated}/changelog.Debian.gz)
install(FILES ${CMAKE_SOURCE_DIR}/packaging/deb/copyright ${deb_generated}/changelog.Debian.gz
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/clinicd COMPONENT runtime)
install(FILES ${CMAKE_SOURCE_DIR}/packaging/deb/copyright ${deb_generated}/changelog.Debian.gz
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/clinicd-dev COMPONENT dev)
if(EXISTS ${CMAKE_SOURCE_DIR}/packaging/prometheus)
  install(DIRECTORY ${CMAKE_SOURCE_DIR}/packaging/prometheus ${CMAKE_SOURCE_DIR}/packaging/grafana
          DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples COMPONENT runtime OPTIONAL)
endif()

set(CPACK_PACKAGE_NAME clinicd)
set(CPACK_PACKAGE_VENDOR "clinicd")
set(CPACK_PACKAGE_CONTACT "clinicd maintainers <maintainers@clinicd.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# The Debian revision: packaging/deb/changelog names the same version.
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
# Installed binaries and plugins lose their symbols (116 MB unstripped).
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME clinicd)
set(CPACK_DEBIAN_DEV_PACKAGE_NAME clinicd-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_DEV_DESCRIPTION "clinicd plugin SDK: headers and CMake package for building plugins")
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION "clinicd serves a clinic's appointments, patient records,
prescriptions and reminders over an HTTP(S) JSON API on the clinic LAN, with
the clinic's booking policy in Lua rules it reloads without a restart, durable
jobs for reminders and messages, and Prometheus metrics. Data lives in SQLite
or MariaDB. The package runs it as a hardened systemd service under its own
user; clinicctl administers it (accounts, migrations, backup and restore).")
# libdate-tz3 reads tzdata for the scheduling plugin; shlibdeps finds it too,
# named here so the package says so even when the plugin is built elsewhere.
set(CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS "adduser, tzdata, libdate-tz3")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_RECOMMENDS "sqlite3")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SUGGESTS "mariadb-server, prometheus, clinicd-dev")
# The SDK's headers include POCO's and prometheus-cpp's; a plugin links the
# daemon's own kernel library, so the versions must match exactly.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "clinicd (= ${PROJECT_VERSION}), libpoco-dev, prometheus-cpp-dev, cmake, g++")
set(CPACK_DEBIAN_DEV_PACKAGE_SHLIBDEPS OFF)
# Lintian tags that do not apply to a package made outside Debian, each with
# its reason in the file.
install(FILES ${CMAKE_SOURCE_DIR}/packaging/deb/clinicd.lintian-overrides
        DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides RENAME clinicd COMPONENT runtime)
install(FILES ${CMAKE_SOURCE_DIR}/packaging/deb/clinicd-dev.lintian-overrides
        DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides RENAME clinicd-dev COMPONENT dev)
list(APPEND CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA
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
list(APPEND CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA ${CMAKE_BINARY_DIR}/packaging/conffiles)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)

# Only a build configured for /usr may make a package: the unit, the
# shipped configuration (plugins.dir) and the maintainer scripts name /usr
# paths, and the daemon's built-in plugin directory comes from the prefix.
# Checked when cpack runs, so the default /usr/local build still configures.
set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_BINARY_DIR}/packaging/cpack-prefix-check.cmake)
file(WRITE ${CPACK_PROJECT_CONFIG_FILE}
  "if(NOT \"${CMAKE_INSTALL_PREFIX}\" STREQUAL \"/usr\")\n"
  "  message(FATAL_ERROR \"clinicd packages are built from a tree configured with \"\n"
  "    \"-DCMAKE_INSTALL_PREFIX=/usr (this one has ${CMAKE_INSTALL_PREFIX}): \"\n"
  "    \"cmake -S . -B build-deb -DCMAKE_INSTALL_PREFIX=/usr -DCLINICD_TESTS=OFF\")\n"
  "endif()\n")
include(CPack)
