# clinic_add_plugin(NAME SOURCES ...): a plugin module clinic_NAME.so linked
# against the kernel SDK (clinic::kernel), with hidden symbols but the ones
# CLINIC_PLUGIN exports, installed into the daemon's plugin directory.
#
# The one definition serves the source tree (CMakeLists.txt includes this
# file) and plugins built outside it against an installed SDK
# (find_package(clinicd) includes it from clinicdConfig.cmake).
#   CLINICD_PLUGIN_OUTPUT_DIR   where the .so lands in the build (default:
#                               the current binary directory)
#   CLINICD_PLUGIN_INSTALL_DIR  where `cmake --install` puts it (default:
#                               ${CMAKE_INSTALL_LIBDIR}/clinicd/plugins, where
#                               the packaged daemon looks)
include_guard(GLOBAL)
include(GNUInstallDirs)

function(clinic_add_plugin name)
  if(NOT DEFINED CLINICD_PLUGIN_INSTALL_DIR)
    set(CLINICD_PLUGIN_INSTALL_DIR "${CMAKE_INSTALL_LIBDIR}/clinicd/plugins")
  endif()
  add_library(clinic_${name} MODULE ${ARGN})
  set_target_properties(clinic_${name} PROPERTIES
    PREFIX ""
    OUTPUT_NAME clinic_${name}
    CXX_VISIBILITY_PRESET hidden
    INSTALL_RPATH "$ORIGIN/..")
  if(DEFINED CLINICD_PLUGIN_OUTPUT_DIR)
    set_target_properties(clinic_${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${CLINICD_PLUGIN_OUTPUT_DIR})
  endif()
  target_link_libraries(clinic_${name} PRIVATE clinic::kernel)
  set_property(GLOBAL APPEND PROPERTY CLINICD_PLUGIN_TARGETS clinic_${name})
  install(TARGETS clinic_${name} LIBRARY DESTINATION ${CLINICD_PLUGIN_INSTALL_DIR} COMPONENT runtime)
endfunction()
