# kernels/cuda/cuda.mk — the CUDA backend's build rules, included by the Makefile (after the CPU variants).
#
#  make cuda-check        nvcc compiles every kernels/cuda/*.cu and tests/cuda/*.cu for sm_80/86/89/90 with
#                         -Werror (compile only: nothing runs); the -Xptxas -v reports go to $(BUILD)/ptxas/
#                         and kernels/cuda/ptxas_check.sh fails when a kernel marked FZ_HOT spills registers.
#                         Without nvcc it says so and succeeds.
#  make test-cuda-emu     the same .cu sources compiled by g++ against the SIMT emulation (kernels/cuda/simt),
#                         linked with the op-case table into $(BUILD)/fusor_tests_cuda, and run (T=filter).
#  make asan-cuda-emu     the same under ASan + UBSan ($(BUILD)/asan/fusor_tests_cuda).
#  make test-gpu          (needs nvcc and a GPU) the nvcc build of the same tests, $(BUILD)/cuda/fusor_tests_gpu.
#  make fusor-cuda        (needs nvcc) $(BUILD)/cuda/fusor: the CLI with the real CUDA backend linked in, and
#                         $(BUILD)/cuda/bench_roofline (--device cuda:N: measured per-kernel times vs the roofline).
#
# The emulated build is C++ but stays out of libfusor.a and fusor_tests, which remain plain C.

CUDA_SRCS := $(wildcard kernels/cuda/*.cu)
CUDA_TEST_CU := $(wildcard tests/cuda/*.cu)
CUDA_TEST_C := $(wildcard tests/cuda/*.c)
SIMT_SRCS := $(wildcard kernels/cuda/simt/*.cpp)
# The op-case table (tests/op_cases.h) and the runner, shared with fusor_tests.
CUDA_CASE_SRCS := tests/runner.c tests/op_cases.c $(wildcard tests/cases_*.c)

EMU_CXXFLAGS := -std=c++17 -D_GNU_SOURCE -DFZ_CUDA_EMULATED -Ikernels/cuda/simt -Ikernels/cuda -Iinclude -Iruntime -Itests \
                -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare

# ---------- the SIMT-emulated test binary (normal and sanitized variants)
define cuda_emu_variant
$(1)/emu/%.o: %.cu
	@mkdir -p $$(dir $$@)
	@echo "  CXX   $$< (SIMT emulation)"
	@$$(CXX) $$(EMU_CXXFLAGS) $(2) -MMD -MP -x c++ -c $$< -o $$@
$(1)/emu/%.o: %.cpp
	@mkdir -p $$(dir $$@)
	@echo "  CXX   $$<"
	@$$(CXX) $$(EMU_CXXFLAGS) $(2) -MMD -MP -c $$< -o $$@
$(1)/fusor_tests_cuda: $$(patsubst %.cu,$(1)/emu/%.o,$$(CUDA_SRCS) $$(CUDA_TEST_CU)) $$(patsubst %.cpp,$(1)/emu/%.o,$$(SIMT_SRCS)) \
                       $$(patsubst %.c,$(1)/obj/%.o,$$(CUDA_CASE_SRCS) $$(CUDA_TEST_C)) $(1)/libfusor.a
	@echo "  LINK  $$@"
	@$$(CXX) $(2) $$^ $$(LIBS) -o $$@
-include $$(patsubst %.cu,$(1)/emu/%.d,$$(CUDA_SRCS) $$(CUDA_TEST_CU)) $$(patsubst %.cpp,$(1)/emu/%.d,$$(SIMT_SRCS)) \
         $$(patsubst %.c,$(1)/obj/%.d,$$(CUDA_TEST_C))
endef
$(eval $(call cuda_emu_variant,$(BUILD),$(OPT)))
$(eval $(call cuda_emu_variant,$(BUILD)/asan,$(ASAN_FLAGS)))

.PHONY: test-cuda-emu asan-cuda-emu cuda-check test-gpu fusor-cuda
test-cuda-emu: $(BUILD)/fusor_tests_cuda
	$(BUILD)/fusor_tests_cuda $(T)

asan-cuda-emu: $(BUILD)/asan/fusor_tests_cuda
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 $(BUILD)/asan/fusor_tests_cuda $(T)

# ---------- nvcc: compile checks for the four target architectures, and the real-GPU binaries
NVCC ?= nvcc
CUDA_ARCHS ?= 80 86 89 90
NVCC_FLAGS := -std=c++17 -O3 -DFZ_HAVE_CUDA -Werror all-warnings -Xcompiler -Wall,-Wextra,-Wno-unused-parameter,-Wno-sign-compare \
              -Iinclude -Iruntime -Ikernels/cuda -Itests $(foreach a,$(CUDA_ARCHS),-gencode arch=compute_$(a),code=sm_$(a)) -Xptxas -v
cuda_space := $() $()
CUDA_LIBS := -L$(CUDA_HOME)/lib64 -Wl,-rpath,$(CUDA_HOME)/lib64 -lcublas -lcudart
# cuDNN / cuFFT (kernels/cuda/libs.cu): used when their headers are found; without them conv and the FFTs
# stay on the hand-written kernels (the emulated build always has the kernels/cuda/simt shims).
ifneq ($(wildcard $(CUDA_HOME)/include/cudnn.h /usr/include/cudnn.h /usr/include/x86_64-linux-gnu/cudnn.h),)
NVCC_FLAGS += -DFZ_HAVE_CUDNN
CUDA_LIBS += -lcudnn
endif
ifneq ($(wildcard $(CUDA_HOME)/include/cufft.h),)
NVCC_FLAGS += -DFZ_HAVE_CUFFT
CUDA_LIBS += -lcufft
endif

$(BUILD)/cuda/%.o: %.cu
	@mkdir -p $(dir $@) $(BUILD)/ptxas
	@echo "  NVCC  $< (sm_$(subst $(cuda_space),/,$(CUDA_ARCHS)))"
	@$(NVCC) $(NVCC_FLAGS) -MMD -MP -MF $(@:.o=.d) -c $< -o $@ 2> $(BUILD)/ptxas/$(subst /,_,$*).txt || \
	  { cat $(BUILD)/ptxas/$(subst /,_,$*).txt; exit 1; }
-include $(patsubst %.cu,$(BUILD)/cuda/%.d,$(CUDA_SRCS) $(CUDA_TEST_CU))

ifeq ($(HAVE_NVCC),1)
cuda-check: $(patsubst %.cu,$(BUILD)/cuda/%.o,$(CUDA_SRCS) $(CUDA_TEST_CU))
	@bash kernels/cuda/ptxas_check.sh $(BUILD)/ptxas $(CUDA_SRCS)

# C sources of the CLI rebuilt with FZ_HAVE_CUDA (cmd_devices.c then uses the real device listing).
$(BUILD)/cuda/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC    $< (with CUDA)"
	@$(CC) $(CFLAGS_BASE) $(OPT) -DFZ_HAVE_CUDA -MMD -MP -c $< -o $@

$(BUILD)/cuda/fusor_tests_gpu: $(patsubst %.cu,$(BUILD)/cuda/%.o,$(CUDA_SRCS) $(CUDA_TEST_CU)) \
                               $(patsubst %.c,$(BUILD)/obj/%.o,$(CUDA_CASE_SRCS) $(CUDA_TEST_C)) $(BUILD)/libfusor.a
	@echo "  LINK  $@"
	@$(CXX) $(OPT) $^ $(LIBS) $(CUDA_LIBS) -o $@

$(BUILD)/cuda/fusor: $(patsubst %.c,$(BUILD)/cuda/obj/%.o,$(CLI_SRCS)) $(patsubst %.cu,$(BUILD)/cuda/%.o,$(CUDA_SRCS)) $(BUILD)/libfusor.a
	@echo "  LINK  $@"
	@$(CXX) $(OPT) $^ $(LIBS) $(CUDA_LIBS) -o $@

# bench_roofline with the CUDA backend linked in: `--device cuda:N` adds measured per-kernel times.
$(BUILD)/cuda/bench_roofline: bench/bench_roofline.c $(patsubst %.cu,$(BUILD)/cuda/%.o,$(CUDA_SRCS)) $(BUILD)/libfusor.a
	@mkdir -p $(BUILD)/cuda/obj/bench
	@echo "  LINK  $@"
	@$(CC) $(CFLAGS_BASE) $(OPT) -c $< -o $(BUILD)/cuda/obj/bench/bench_roofline.o
	@$(CXX) $(OPT) $(BUILD)/cuda/obj/bench/bench_roofline.o $(filter-out $<,$^) $(LIBS) $(CUDA_LIBS) -o $@

test-gpu: $(BUILD)/cuda/fusor_tests_gpu
	$(BUILD)/cuda/fusor_tests_gpu $(T)

fusor-cuda: $(BUILD)/cuda/fusor $(BUILD)/cuda/bench_roofline
else
cuda-check:
	@echo "cuda-check: nvcc not found (CUDA_HOME=$(CUDA_HOME)); the .cu sources were not compiled for sm_80/86/89/90"
test-gpu fusor-cuda:
	@echo "$@: needs nvcc (CUDA toolkit) and, to run, an NVIDIA GPU" >&2; exit 1
endif
