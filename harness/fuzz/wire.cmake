# Used by ci/fuzz.sh only while the top CMakeLists does not add harness/fuzz itself: passed as
# CMAKE_PROJECT_benchlab_INCLUDE, it includes this folder's CMakeLists once the top directory
# has defined every library (add_subdirectory cannot be deferred; include can).
if(BENCHLAB_FUZZ)
  cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL include ${CMAKE_SOURCE_DIR}/harness/fuzz/CMakeLists.txt)
endif()
