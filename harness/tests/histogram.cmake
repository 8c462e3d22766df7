# Histogram unit tests; included from harness/tests/CMakeLists.txt.
benchlab_add_gtest(NAME histogram_tests LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/histogram_test.cpp LIBS benchlab_core)
