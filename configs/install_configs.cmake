# Installs the example deployment files with their model pointed at the model store: in the
# repository they name the reference model in ../shared, which an install does not have. The
# store name is the small model the README pulls. Run by `cmake --install` (see CMakeLists.txt),
# with PLINTH_CONFIGS_SOURCE and PLINTH_CONFIGS_DESTINATION set before it. It lives beside the
# configs it rewrites.
set(store_model "Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M")
set(destination "$ENV{DESTDIR}${PLINTH_CONFIGS_DESTINATION}")
if(NOT IS_ABSOLUTE "${PLINTH_CONFIGS_DESTINATION}")
  set(destination "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/${PLINTH_CONFIGS_DESTINATION}")
endif()
file(GLOB configs "${PLINTH_CONFIGS_SOURCE}/*.yaml")
file(MAKE_DIRECTORY "${destination}")
foreach(config IN LISTS configs)
  file(READ "${config}" text)
  string(REPLACE "# Relative to this file's folder: the small reference model of the repository's shared data."
                 "# A model of the store; fetch it once with `plinth pull ${store_model}`." text "${text}")
  string(REGEX REPLACE "path: \\.\\./\\.\\./shared/models/stories260K\\.gguf( *# 5 layers: 0\\.\\.4)?"
                       "store: ${store_model}" text "${text}")
  get_filename_component(name "${config}" NAME)
  message(STATUS "Installing: ${destination}/${name}")
  file(WRITE "${destination}/${name}" "${text}")
endforeach()
