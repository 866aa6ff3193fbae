# gls_install_pkgconfig(<target>...): generates <target>.pc for each library
# target from cmake/gls.pc.in and installs it to <libdir>/pkgconfig, like
# gRPC (grpc++.pc) and Abseil (absl_*.pc) do, so that non-CMake builds use
#
#   g++ main.cc $(pkg-config --cflags --libs gls_interceptors)
#
# Requires and Libs are derived from each target's link libraries, so they
# follow session/ and interceptors/CMakeLists.txt:
#   absl::<x>              -> absl_<x>.pc         (Debian's libabsl-dev)
#   gRPC::<x>              -> <x>.pc              (grpc++.pc, grpc.pc, gpr.pc)
#   protobuf::libprotobuf  -> protobuf.pc         (grpc++.pc does not require it)
#   another gls target     -> its own .pc         (generated here too)
#   Threads::Threads, dl   -> -pthread / -ldl flags
# Libraries are static by default, so every dependency is in Requires/Libs;
# with BUILD_SHARED_LIBS=ON the private ones move to Requires.private /
# Libs.private.
#
# The prefix is written relative to the .pc file (${pcfiledir}), as Meson's
# relocatable pkg-config files do: the files stay right under
# `cmake --install <build> --prefix <anywhere>` and DESTDIR staging, where a
# prefix fixed at configure time would not.
#
# A description per target comes from GLS_PC_DESCRIPTION_<target>.

set(GLS_PC_TEMPLATE ${CMAKE_CURRENT_LIST_DIR}/gls.pc.in)

# Maps one link item of a gls target to a pkg-config module (appended to
# <modules_var>) or a linker flag (appended to <flags_var>).
function(_gls_pc_map_item owner item gls_targets modules_var flags_var)
  set(modules ${${modules_var}})
  set(flags ${${flags_var}})
  if(item MATCHES "^\\$<LINK_ONLY:(.*)>$")
    set(item "${CMAKE_MATCH_1}")
  endif()
  if(item STREQUAL "")
    return()
  endif()
  if(TARGET "${item}")
    get_target_property(aliased "${item}" ALIASED_TARGET)
    if(aliased)
      set(item "${aliased}")
    endif()
  endif()
  if(item IN_LIST gls_targets)
    list(APPEND modules "${item}")
  elseif(item MATCHES "^absl::(.+)$")
    list(APPEND modules "absl_${CMAKE_MATCH_1}")
  elseif(item MATCHES "^gRPC::(.+)$")
    list(APPEND modules "${CMAKE_MATCH_1}")
  elseif(item STREQUAL "protobuf::libprotobuf")
    list(APPEND modules protobuf)
  elseif(item STREQUAL "protobuf::libprotobuf-lite")
    list(APPEND modules protobuf-lite)
  elseif(item STREQUAL "Threads::Threads")
    if(CMAKE_THREAD_LIBS_INIT)
      list(APPEND flags "${CMAKE_THREAD_LIBS_INIT}")
    else()
      list(APPEND flags -pthread)
    endif()
  elseif(TARGET "${item}" OR item MATCHES "^\\$<")
    message(WARNING "gls pkg-config: ${owner} links ${item}, which has no "
                    "known pkg-config module; add it to cmake/GlsPkgConfig.cmake")
  elseif(item MATCHES "^-" OR IS_ABSOLUTE "${item}")
    list(APPEND flags "${item}")
  else()
    list(APPEND flags "-l${item}")
  endif()
  set(${modules_var} ${modules} PARENT_SCOPE)
  set(${flags_var} ${flags} PARENT_SCOPE)
endfunction()

function(gls_install_pkgconfig)
  set(gls_targets ${ARGN})

  # prefix, libdir, includedir as seen from <libdir>/pkgconfig/<name>.pc.
  if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
    set(GLS_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
    set(GLS_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
  else()
    set(GLS_PC_PREFIX "\${pcfiledir}")
    string(REGEX MATCHALL "[^/]+" parts "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
    foreach(part IN LISTS parts)
      if(NOT part STREQUAL ".")
        string(APPEND GLS_PC_PREFIX "/..")
      endif()
    endforeach()
    set(GLS_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  endif()
  if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
    set(GLS_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
  else()
    set(GLS_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
  endif()
  set(GLS_PC_VERSION "${gls_VERSION}")

  foreach(target IN LISTS gls_targets)
    get_target_property(type ${target} TYPE)
    set(GLS_PC_NAME ${target})
    if(DEFINED GLS_PC_DESCRIPTION_${target})
      set(GLS_PC_DESCRIPTION "${GLS_PC_DESCRIPTION_${target}}")
    else()
      set(GLS_PC_DESCRIPTION "gls: request-context backup for gRPC C++")
    endif()

    set(own_libs "")
    if(type STREQUAL "STATIC_LIBRARY" OR type STREQUAL "SHARED_LIBRARY")
      get_target_property(output_name ${target} OUTPUT_NAME)
      if(NOT output_name)
        set(output_name ${target})
      endif()
      set(own_libs "-L\${libdir} -l${output_name}")
    elseif(NOT type STREQUAL "INTERFACE_LIBRARY")
      message(WARNING "gls pkg-config: ${target} is a ${type}; no ${target}.pc")
      continue()
    endif()

    # Public: the link interface. Private: the rest of what it links, which a
    # static library's users must link too.
    set(public_items "")
    set(all_items "")
    get_target_property(items ${target} INTERFACE_LINK_LIBRARIES)
    if(items)
      set(public_items ${items})
    endif()
    if(NOT type STREQUAL "INTERFACE_LIBRARY")
      get_target_property(items ${target} LINK_LIBRARIES)
      if(items)
        set(all_items ${items})
      endif()
    endif()
    set(req "")
    set(libs "")
    set(req_private "")
    set(libs_private "")
    foreach(item IN LISTS public_items)
      if(type STREQUAL "SHARED_LIBRARY" AND item MATCHES "^\\$<LINK_ONLY:")
        continue()  # private, handled below
      endif()
      _gls_pc_map_item(${target} "${item}" "${gls_targets}" req libs)
    endforeach()
    foreach(item IN LISTS all_items)
      if(item IN_LIST public_items)
        continue()
      endif()
      if(type STREQUAL "SHARED_LIBRARY")
        _gls_pc_map_item(${target} "${item}" "${gls_targets}"
                         req_private libs_private)
      else()
        _gls_pc_map_item(${target} "${item}" "${gls_targets}" req libs)
      endif()
    endforeach()
    foreach(var req libs req_private libs_private)
      list(REMOVE_DUPLICATES ${var})
    endforeach()
    if(req AND req_private)
      list(REMOVE_ITEM req_private ${req})
    endif()
    string(REPLACE ";" " " GLS_PC_REQUIRES "${req}")
    string(REPLACE ";" " " GLS_PC_REQUIRES_PRIVATE "${req_private}")
    string(REPLACE ";" " " GLS_PC_LIBS "${own_libs};${libs}")
    string(REPLACE ";" " " GLS_PC_LIBS_PRIVATE "${libs_private}")
    string(STRIP "${GLS_PC_LIBS}" GLS_PC_LIBS)

    set(out ${PROJECT_BINARY_DIR}/pkgconfig/${target}.pc)
    configure_file(${GLS_PC_TEMPLATE} ${out} @ONLY)
    install(FILES ${out} DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
  endforeach()
endfunction()
