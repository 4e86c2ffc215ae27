# CPACK_PRE_BUILD_SCRIPTS: the Debian touches on the staged tree, after
# cpack installed it and before the .deb is made (so md5sums cover them).
# Only for the DEB generator; `cmake --install` keeps plain files.
#  - man pages compressed with gzip -9n (policy 12.1; -n: reproducible);
#  - the changelog as usr/share/doc/kdc/changelog.gz (policy 12.7);
#  - lintian overrides, each justified in the overrides file.
if(NOT CPACK_GENERATOR STREQUAL "DEB")
  return()
endif()
set(stage "${CPACK_TEMPORARY_INSTALL_DIRECTORY}")
if(NOT IS_DIRECTORY "${stage}/usr")
  message(FATAL_ERROR "kdc: no staged tree in ${stage}")
endif()

function(kdc_gzip in out)
  execute_process(COMMAND gzip -9n -c "${in}" OUTPUT_FILE "${out}"
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "kdc: gzip ${in} failed")
  endif()
  file(CHMOD "${out}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endfunction()

file(GLOB pages "${stage}/usr/share/man/man*/*.[1-9]")
foreach(p ${pages})
  kdc_gzip("${p}" "${p}.gz")
  file(REMOVE "${p}")
endforeach()

kdc_gzip("${KDC_DEB_SOURCE_DIR}/debian/changelog"
         "${stage}/usr/share/doc/kdc/changelog.gz")

file(MAKE_DIRECTORY "${stage}/usr/share/lintian/overrides")
file(COPY_FILE "${KDC_DEB_SOURCE_DIR}/debian/lintian-overrides"
     "${stage}/usr/share/lintian/overrides/kdc")
file(CHMOD "${stage}/usr/share/lintian/overrides/kdc"
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
