# `borealis --version` must name the exact commit and build type, so the header
# is regenerated on every build (configure_file only touches it when it changes,
# so an unchanged commit causes no rebuild).
add_custom_target(borealis_version_header ALL
  COMMAND ${CMAKE_COMMAND}
          -DSOURCE_DIR=${CMAKE_SOURCE_DIR}
          -DOUT=${CMAKE_BINARY_DIR}/generated/borealis/version.h
          -DVERSION=${PROJECT_VERSION}
          -DBUILD_TYPE=${CMAKE_BUILD_TYPE}
          -P ${CMAKE_SOURCE_DIR}/cmake/write_version.cmake
  BYPRODUCTS ${CMAKE_BINARY_DIR}/generated/borealis/version.h
  COMMENT "Recording git commit in version.h")
