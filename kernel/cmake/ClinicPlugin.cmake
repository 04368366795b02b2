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
#   CLINICD_PLUGIN_COMPONENT    the install component (default: runtime, the
#                               clinicd package)
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
  if(NOT DEFINED CLINICD_PLUGIN_COMPONENT)
    set(CLINICD_PLUGIN_COMPONENT runtime)
  endif()
  install(TARGETS clinic_${name} LIBRARY DESTINATION ${CLINICD_PLUGIN_INSTALL_DIR}
    COMPONENT ${CLINICD_PLUGIN_COMPONENT})
  # A plugin's public service headers (include/clinic/<name>/...) are for
  # itself and for the plugins that use it (the SDK installs them beside its
  # own, where an out-of-tree plugin finds them through clinic::kernel).
  if(IS_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/include)
    target_include_directories(clinic_${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/include)
  endif()
endfunction()

# clinic_plugin_uses(CONSUMER PROVIDER): CONSUMER (a plugin name, or any
# target) may include PROVIDER's public service headers,
# plugins/PROVIDER/include, and nothing else of PROVIDER. Finding the service
# at run time stays optional: find() answers nullptr when PROVIDER is not
# loaded. Outside the source tree the installed headers are already on the
# SDK's include path, so this adds nothing there.
function(clinic_plugin_uses consumer provider)
  set(target ${consumer})
  if(TARGET clinic_${consumer})
    set(target clinic_${consumer})
  endif()
  set(public_headers ${PROJECT_SOURCE_DIR}/plugins/${provider}/include)
  if(IS_DIRECTORY ${public_headers})
    target_include_directories(${target} PRIVATE ${public_headers})
  elseif(EXISTS ${PROJECT_SOURCE_DIR}/plugins/${provider})
    message(FATAL_ERROR "clinic_plugin_uses(${consumer} ${provider}): plugin ${provider} has no include/ of public headers")
  endif()
endfunction()
