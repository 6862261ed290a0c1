# fusor — C11 inference engine for image-fusion models. `make help` lists the targets.
SHELL := /bin/bash
CC ?= gcc
BUILD := build
VERSION := 0.1.0

# ---------- dependency probes (✓ found, ✗ missing; the CPU engine builds without the optional ones)
have_pc = $(shell pkg-config --exists $(1) 2>/dev/null && echo 1)
CUDA_HOME ?= /usr/local/cuda
HAVE_NVCC := $(shell command -v nvcc >/dev/null 2>&1 && echo 1)
HAVE_CUBLAS := $(shell ls $(CUDA_HOME)/lib*/libcublas.so* >/dev/null 2>&1 && echo 1)
HAVE_CUDNN := $(shell ls $(CUDA_HOME)/lib*/libcudnn.so* >/dev/null 2>&1 && echo 1)
HAVE_NCCL := $(shell ls $(CUDA_HOME)/lib*/libnccl.so* >/dev/null 2>&1 && echo 1)
HAVE_MPI := $(shell command -v mpicc >/dev/null 2>&1 && echo 1)
HAVE_OPENMP := $(shell echo 'int main(void){return 0;}' | $(CC) -fopenmp -x c - -o /dev/null 2>/dev/null && echo 1)
HAVE_OPENBLAS := $(call have_pc,openblas)
HAVE_GDAL := $(call have_pc,gdal)
HAVE_HDF5 := $(call have_pc,hdf5)
HAVE_MATIO := $(call have_pc,matio)
HAVE_ZIP := $(call have_pc,libzip)
HAVE_CJSON := $(call have_pc,libcjson)
HAVE_FFTW := $(call have_pc,fftw3f)
mark = $(if $(1),✓,✗)

CFLAGS_BASE := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Werror=implicit-function-declaration \
               -Iinclude -Iruntime -Ikernels/cpu -DFUSOR_VERSION=\"$(VERSION)\"
OPT ?= -O2 -march=native -g
LIBS := -lm -lpthread

ifeq ($(HAVE_OPENMP),1)
  CFLAGS_BASE += -fopenmp
  LIBS += -fopenmp
endif
define use_pc
  CFLAGS_BASE += $$(shell pkg-config --cflags $(1)) -D$(2)
  LIBS += $$(shell pkg-config --libs $(1))
endef
ifeq ($(HAVE_OPENBLAS),1)
  $(eval $(call use_pc,openblas,FZ_HAVE_OPENBLAS))
endif
ifeq ($(HAVE_GDAL),1)
  $(eval $(call use_pc,gdal,FZ_HAVE_GDAL))
endif
ifeq ($(HAVE_HDF5),1)
  $(eval $(call use_pc,hdf5,FZ_HAVE_HDF5))
endif
ifeq ($(HAVE_MATIO),1)
  $(eval $(call use_pc,matio,FZ_HAVE_MATIO))
endif
ifeq ($(HAVE_ZIP),1)
  $(eval $(call use_pc,libzip,FZ_HAVE_ZIP))
endif
ifeq ($(HAVE_CJSON),1)
  $(eval $(call use_pc,libcjson,FZ_HAVE_CJSON))
endif
ifeq ($(HAVE_FFTW),1)
  $(eval $(call use_pc,fftw3f,FZ_HAVE_FFTW))
endif
ifneq ($(wildcard /usr/include/stb/stb_image.h),)
  CFLAGS_BASE += -I/usr/include/stb -DFZ_HAVE_STB
  HAVE_STB := 1
endif

# ---------- sources: library = runtime + kernels + samplers + models + bench (minus bench programs)
LIB_SRCS := $(wildcard runtime/*.c kernels/cpu/*.c samplers/*.c models/*.c bench/*.c)
LIB_SRCS := $(filter-out bench/bench_%.c,$(LIB_SRCS))
CLI_SRCS := $(wildcard tools/*.c)
TEST_SRCS := $(wildcard tests/*.c)
BENCH_SRCS := $(wildcard bench/bench_*.c)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)

# ---------- variants: normal (build/) and sanitized (build/asan/)
define variant
$(1)/obj/%.o: %.c
	@mkdir -p $$(dir $$@)
	@echo "  CC    $$<"
	@$$(CC) $$(CFLAGS_BASE) $(2) -MMD -MP -c $$< -o $$@
$(1)/libfusor.a: $$(patsubst %.c,$(1)/obj/%.o,$$(LIB_SRCS))
	@rm -f $$@
	@ar rcs $$@ $$^
$(1)/fusor: $$(patsubst %.c,$(1)/obj/%.o,$$(CLI_SRCS)) $(1)/libfusor.a
	@echo "  LINK  $$@"
	@$$(CC) $(2) $$^ $$(LIBS) -o $$@
$(1)/fusor_tests: $$(patsubst %.c,$(1)/obj/%.o,$$(TEST_SRCS)) $(1)/libfusor.a
	@echo "  LINK  $$@"
	@$$(CC) $(2) $$^ $$(LIBS) -o $$@
-include $$(patsubst %.c,$(1)/obj/%.d,$$(LIB_SRCS) $$(CLI_SRCS) $$(TEST_SRCS))
endef
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
$(eval $(call variant,$(BUILD),$(OPT)))
$(eval $(call variant,$(BUILD)/asan,$(ASAN_FLAGS)))

$(BUILD)/%: bench/%.c $(BUILD)/libfusor.a
	@echo "  LINK  $@"
	@$(CC) $(CFLAGS_BASE) $(OPT) $^ $(LIBS) -o $@

# CUDA backend build rules (nvcc for sm_80/86/89/90, and the SIMT-emulated build for tests) live in their own file.
-include kernels/cuda/cuda.mk

.PHONY: all probe deps test asan demo fuzz bench clean help
all: probe $(BUILD)/fusor $(BUILD)/libfusor.a $(BUILD)/fusor_tests $(patsubst bench/%.c,$(BUILD)/%,$(BENCH_SRCS))

probe:
	@echo "fusor $(VERSION) build probes:"
	@echo "  $(call mark,$(HAVE_NVCC)) nvcc   $(call mark,$(HAVE_CUBLAS)) cuBLAS   $(call mark,$(HAVE_CUDNN)) cuDNN   $(call mark,$(HAVE_NCCL)) NCCL   $(call mark,$(HAVE_MPI)) MPI"
	@echo "  $(call mark,$(HAVE_OPENMP)) OpenMP   $(call mark,$(HAVE_OPENBLAS)) OpenBLAS   $(call mark,$(HAVE_GDAL)) GDAL   $(call mark,$(HAVE_HDF5)) HDF5   $(call mark,$(HAVE_MATIO)) matio"
	@echo "  $(call mark,$(HAVE_ZIP)) libzip   $(call mark,$(HAVE_CJSON)) cJSON   $(call mark,$(HAVE_FFTW)) FFTW   $(call mark,$(HAVE_STB)) stb"
	@$(if $(HAVE_NVCC),echo "  CUDA backend: make cuda-check (nvcc sm_80/86/89/90) - make fusor-cuda / test-gpu - emulated: make test-cuda-emu",echo "  no nvcc: building the CPU engine only")

deps:
	@bash tools/deps.sh

# The test suite: unit, oracle, bad-input and real-data tests (real-data tests skip without ../shared).
test: deps
	@$(MAKE) --no-print-directory all
	$(BUILD)/fusor_tests $(T)
	@bash tests/cli_test.sh $(BUILD)/fusor
	@$(MAKE) --no-print-directory test-cuda-emu

asan: deps
	@$(MAKE) --no-print-directory probe $(BUILD)/asan/fusor_tests $(BUILD)/asan/fusor
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 $(BUILD)/asan/fusor_tests $(T)
	@ASAN_OPTIONS=detect_leaks=1 bash tests/cli_test.sh $(BUILD)/asan/fusor
	@$(MAKE) --no-print-directory asan-cuda-emu

demo: deps
	@$(MAKE) --no-print-directory all
	@bash tools/demo.sh

# Fuzz targets (clang libFuzzer) for the untrusted-file parsers; FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 30
fuzz: deps
	@bash tests/fuzz/run.sh $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD)

help:
	@echo "make [all] | test | asan | demo | fuzz | clean   (T=name filters tests, FUZZ_SECONDS=N)"
