# Compiles BPF C programs with clang -target bpf against a vmlinux.h generated at build
# time from the running kernel's BTF, and turns each object into a libbpf skeleton header
# with `bpftool gen skeleton` (the approach of libbpf-bootstrap's FindBpfObject.cmake).
#
#   bpf_skeleton(NAME <name> SOURCE <file.bpf.c> [INCLUDES dir...])
# defines an INTERFACE target `<name>_skel` whose include directory holds `<name>.skel.h`.

find_program(BPF_CLANG NAMES clang-14 clang REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)
set(BENCHLAB_VMLINUX_BTF "/sys/kernel/btf/vmlinux" CACHE FILEPATH "BTF used to generate vmlinux.h")

set(BPF_GEN_DIR ${CMAKE_BINARY_DIR}/bpf-gen)
file(MAKE_DIRECTORY ${BPF_GEN_DIR})

if(NOT EXISTS ${BENCHLAB_VMLINUX_BTF})
  message(FATAL_ERROR "${BENCHLAB_VMLINUX_BTF} not found: the kernel must be built with CONFIG_DEBUG_INFO_BTF=y")
endif()
add_custom_command(
  OUTPUT ${BPF_GEN_DIR}/vmlinux.h
  COMMAND ${BPFTOOL} btf dump file ${BENCHLAB_VMLINUX_BTF} format c > ${BPF_GEN_DIR}/vmlinux.h.tmp
  COMMAND ${CMAKE_COMMAND} -E rename ${BPF_GEN_DIR}/vmlinux.h.tmp ${BPF_GEN_DIR}/vmlinux.h
  COMMENT "Generating vmlinux.h from ${BENCHLAB_VMLINUX_BTF}"
  VERBATIM)
add_custom_target(benchlab_vmlinux_h DEPENDS ${BPF_GEN_DIR}/vmlinux.h)

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64")
  set(BPF_TARGET_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64")
  set(BPF_TARGET_ARCH arm64)
else()
  set(BPF_TARGET_ARCH ${CMAKE_SYSTEM_PROCESSOR})
endif()

function(bpf_skeleton)
  cmake_parse_arguments(ARG "" "NAME;SOURCE" "INCLUDES" ${ARGN})
  get_filename_component(src ${ARG_SOURCE} ABSOLUTE)
  set(obj ${BPF_GEN_DIR}/${ARG_NAME}.bpf.o)
  set(skel ${BPF_GEN_DIR}/${ARG_NAME}.skel.h)
  set(incs -I${BPF_GEN_DIR} -I${CMAKE_SOURCE_DIR}/bpf/include)
  foreach(d ${ARG_INCLUDES})
    list(APPEND incs -I${d})
  endforeach()
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${BPF_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_${BPF_TARGET_ARCH} ${incs}
            -Wall -Werror -c ${src} -o ${obj}
    DEPENDS ${src}
    IMPLICIT_DEPENDS C ${src}
    COMMENT "BPF ${ARG_NAME}"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${ARG_NAME} > ${skel}.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${skel}.tmp ${skel}
    DEPENDS ${obj}
    COMMENT "Skeleton ${ARG_NAME}.skel.h"
    VERBATIM)
  add_custom_target(${ARG_NAME}_skel_gen DEPENDS ${skel})
  # vmlinux.h is made in the top directory; a target-level dependency orders it first.
  add_dependencies(${ARG_NAME}_skel_gen benchlab_vmlinux_h)
  add_library(${ARG_NAME}_skel INTERFACE)
  add_dependencies(${ARG_NAME}_skel ${ARG_NAME}_skel_gen)
  target_include_directories(${ARG_NAME}_skel INTERFACE ${BPF_GEN_DIR})
  target_link_libraries(${ARG_NAME}_skel INTERFACE PkgConfig::LIBBPF)
endfunction()
