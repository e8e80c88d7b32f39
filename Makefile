# cxrgaze build. `make` builds build/cxrgaze, build/libcxrgaze.a and build/libcxrgaze.so (the C API
# of include/cxrgaze.h, docs/api.md); `make test` runs every unit test and the Python package's tests.
# SAN=1 builds everything with AddressSanitizer + UndefinedBehaviorSanitizer into build-san/.
# WERROR=1 turns warnings into errors (CI sets it). OPT=... and MARCH=... (default -march=native)
# set optimisation and target (scripts/valgrind-e2e: MARCH=-march=x86-64-v3).
#
# Every entry target first installs missing Debian packages (scripts/install-deps), then runs make
# again: build decisions (MPI or not, pkg-config flags) are taken after the install, never before.

ifeq ($(origin CC),default)
  CC    := gcc
endif
ifeq ($(origin CXX),default)
  CXX   := g++
endif
SAN     ?= 0
WERROR  ?= 0
OPT     ?= -O2
MARCH   ?= -march=native

ifeq ($(SAN),1)
  BUILD   ?= build-san
  SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  OPT     := -O1 -g
else
  BUILD   ?= build
  SANFLAGS :=
endif

# Decided once per make (`:=`), after scripts/install-deps in the entry targets' second pass.
HAVE_MPI   := $(shell command -v mpicc >/dev/null 2>&1 && echo 1 || echo 0)
MPI_CFLAGS := $(if $(filter 1,$(HAVE_MPI)),-DCX_HAVE_MPI $(shell mpicc --showme:compile 2>/dev/null),)
MPI_LIBS   := $(if $(filter 1,$(HAVE_MPI)),$(shell mpicc --showme:link 2>/dev/null),)
PKG_CFLAGS := $(shell pkg-config --cflags libpng cairo 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs libpng cairo 2>/dev/null)

WARN    := -Wall -Wextra -Wno-unused-parameter $(if $(filter 1,$(WERROR)),-Werror,)
# One object set serves the static library, the command line and the shared library: every object
# is position-independent, and hidden unless marked (CXG_API in include/cxrgaze.h), so the .so
# exports the C API only and calls inside the library bind directly (no interposition through the
# PLT: -fPIC then costs the engine nothing measurable, docs/performance.md "Python").
PICFLAGS ?= -fPIC -fvisibility=hidden
CFLAGS  += -std=gnu11 $(OPT) $(MARCH) -fopenmp $(PICFLAGS) $(WARN) $(SANFLAGS) -Isrc -Iinclude \
           $(PKG_CFLAGS) $(MPI_CFLAGS)
# C++ (src/*/*.cc: only io/dicom.cc, DCMTK behind a C function): the same flags but the standard.
CXXFLAGS += $(filter-out -std=gnu11,$(CFLAGS)) -std=c++17
# DCMTK: its pkg-config file is unusable on Debian 12 (it requires sndfile.pc), and lists every
# DCMTK library; these are the ones dicom.cc calls (their own dependencies come with them).
DCMTK_LIBS := -ldcmjpls -ldcmjpeg -ldcmimgle -ldcmdata -loflog -lofstd
LDLIBS  += -ldnnl -lturbojpeg -ljpeg $(PKG_LIBS) -lcsv -ljansson -lz $(DCMTK_LIBS) $(MPI_LIBS) \
           -lstdc++ -lm -lpthread
LDFLAGS += -fopenmp $(SANFLAGS)

# MODULES=... restricts the library and the tests to some modules (for iterating on one module
# while another is mid-edit); NOCLI=1 skips the command-line binary.
MODULES  ?= util io nn stats data model train attr study report api
LIB_SRC  := $(sort $(foreach m,$(MODULES),$(wildcard src/$(m)/*.c src/$(m)/*.cc)))
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
TEST_SRC := $(sort $(foreach m,$(MODULES) $(if $(NOCLI),,cli),$(wildcard tests/$(m)/test_*.c)))
LIB_OBJ  := $(patsubst %.cc,$(BUILD)/obj/%.o,$(LIB_SRC:%.c=$(BUILD)/obj/%.o))
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/obj/%.o)
# tests/api/ link the shared library (the exported C API only); the others the static one.
API_TEST_BIN := $(filter $(BUILD)/tests/api/%,$(TEST_SRC:tests/%.c=$(BUILD)/tests/%))
TEST_BIN := $(filter-out $(API_TEST_BIN),$(TEST_SRC:tests/%.c=$(BUILD)/tests/%))
# The Python package's tests (python/tests, pytest) as one more "binary" for scripts/run-tests.
PY_TEST  := $(if $(filter api,$(MODULES)),$(if $(NOCLI),,$(BUILD)/tests/python/test_python))
HEADERS  := $(wildcard src/*/*.h tests/*.h tests/*/*.h include/*.h)
# The benchmarks' C programs that link the library: built by `make test` (not run) so that an API
# change cannot leave them broken until someone next measures.
BENCH_SRC := $(if $(filter study,$(MODULES)),$(wildcard bench/*_bench.c bench/bench_*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

# TESTS=word[|word...] builds and runs only the test binaries whose path contains one of the words
# (TESTS='test_image|cli/test_train'); scripts/run-tests selects by the same rule.
test_selected = $(strip $(foreach w,$(subst |, ,$(TESTS)),$(findstring $(w),$(1))))
ALL_TEST := $(TEST_BIN) $(API_TEST_BIN) $(PY_TEST)
TEST_RUN := $(if $(TESTS),$(foreach b,$(ALL_TEST),$(if $(call test_selected,$(b)),$(b))),$(ALL_TEST))

.DEFAULT_GOAL := all

# Header dependencies from the compiler (-MMD -MP): touching one header rebuilds its users only.
# Every object also depends on the Makefile (its flags).
$(BUILD)/obj/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/obj/%.o: %.cc Makefile
	@mkdir -p $(dir $@)
	@echo "  CXX     $<"
	@$(CXX) $(CXXFLAGS) -MMD -MP -c $< -o $@
# Tests build command lines and scratch paths in fixed buffers under tests/out (a cut one fails the
# test loudly); the library's own paths are sized by need or checked (cx_pathf), warned about here.
$(BUILD)/obj/tests/%.o: CFLAGS += -Itests -Wno-format-truncation
-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(BENCH_SRC:%.c=$(BUILD)/obj/%.d)

$(BUILD)/libcxrgaze.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@ && ar rcs $@ $^

# The shared library: the same objects; -z defs: every symbol resolved at link time; the version
# script exports cxg_* only.
$(BUILD)/libcxrgaze.so: $(LIB_OBJ) src/api/libcxrgaze.map
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) -shared $(LDFLAGS) -Wl,-soname,libcxrgaze.so -Wl,-z,defs \
	  -Wl,--version-script=src/api/libcxrgaze.map $(LIB_OBJ) $(LDLIBS) -o $@

$(BUILD)/cxrgaze: $(CLI_OBJ) $(BUILD)/libcxrgaze.a
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) $(CLI_OBJ) $(BUILD)/libcxrgaze.a $(LDLIBS) -o $@

# A test binary is its object linked with the library: a change in src/ relinks the tests, it
# recompiles only the tests that include a changed header.
$(TEST_BIN): $(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(BUILD)/libcxrgaze.a
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	@$(CC) $(LDFLAGS) $< $(BUILD)/libcxrgaze.a $(LDLIBS) -lcmocka -o $@

$(BENCH_BIN): $(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(BUILD)/libcxrgaze.a
	@mkdir -p $(dir $@)
	@echo "  BENCH   $@"
	@$(CC) $(LDFLAGS) $< $(BUILD)/libcxrgaze.a $(LDLIBS) -o $@

$(API_TEST_BIN): $(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(BUILD)/libcxrgaze.so
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	@$(CC) $(LDFLAGS) $< -L$(BUILD) -lcxrgaze -Wl,-rpath,'$$ORIGIN/../..' -lcmocka -lm -o $@

# python/tests/run-pytest finds the library and the CLI relative to where it is copied to.
ifneq ($(PY_TEST),)
$(PY_TEST): python/tests/run-pytest $(BUILD)/libcxrgaze.so
	@mkdir -p $(dir $@)
	@cp $< $@ && chmod +x $@
endif

# The entry targets. First pass: install what is missing, then one make for all the entry goals
# given, which takes its decisions (MPI or not, pkg-config flags) with the packages there: on a
# fresh machine, `make demo` must not build without MPI because Open MPI came a moment too late.
# Other goals on the same command line (`make clean test`) run first, in this pass.
.PHONY: all test demo bench deps cx-entry
ENTRY_TARGETS := all test demo bench
ifeq ($(CX_DEPS_DONE),)
ENTRY_GOALS := $(filter $(ENTRY_TARGETS),$(or $(MAKECMDGOALS),all))
$(ENTRY_TARGETS): cx-entry ;
cx-entry: deps | $(filter-out $(ENTRY_TARGETS),$(MAKECMDGOALS))
	@$(MAKE) --no-print-directory CX_DEPS_DONE=1 $(ENTRY_GOALS)
else
all: $(BUILD)/cxrgaze $(if $(filter api,$(MODULES)),$(BUILD)/libcxrgaze.so)

# Unit tests: every tests/<module>/test_*.c is one cmocka binary; scripts/run-tests prints a
# closing "N passed, N failed" line that CI reads.
test: $(if $(NOCLI),,$(BUILD)/cxrgaze) $(TEST_RUN) $(if $(TESTS),,$(BENCH_BIN))
	@CXRGAZE=$(BUILD)/cxrgaze scripts/run-tests $(BUILD)/tests '$(TESTS)'

demo: $(BUILD)/cxrgaze
	$(BUILD)/cxrgaze demo --out demo-out

bench: $(BUILD)/cxrgaze
	bench/run
endif

deps:
	@scripts/install-deps --quiet

.PHONY: clean format
format:
	clang-format -i $(LIB_SRC) $(CLI_SRC) $(TEST_SRC) $(HEADERS)

# scripts/abi-check: the shared library exports exactly docs/api.md's symbol list.
.PHONY: abi-check
abi-check: $(BUILD)/libcxrgaze.so
	scripts/abi-check $(BUILD)/libcxrgaze.so

clean:
	rm -rf build build-san build-fuzz build-valgrind

# ---- fuzzing (tests/fuzz/, docs/reliability.md; owned by reliability) ----------------------------
# `make fuzz` builds the library with clang, libFuzzer, ASan and UBSan into build-fuzz/ and runs
# every tests/fuzz/fuzz_<t>.c for FUZZ_SECONDS on its seed corpus tests/fuzz/corpus/<t>/ (new
# inputs go to build-fuzz/corpus/<t>/, crashes to build-fuzz/artifacts/). Fails if any target
# crashes, leaks, times out or exceeds -rss_limit_mb. FUZZ_TARGETS=... runs some only.
# clang 14 lacks _Float16 on x86: it is __fp16 there (a storage type; F16C converts it).
FUZZ_SECONDS ?= 60
FUZZ_BUILD   ?= build-fuzz
FUZZ_TARGETS ?= $(patsubst tests/fuzz/fuzz_%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_MAXLEN_csv := 8192
FUZZ_MAXLEN_mimic := 16384
FUZZ_MAXLEN_egd := 16384
FUZZ_MAXLEN_safetensors := 8192
FUZZ_MAXLEN_pack := 16384
FUZZ_MAXLEN_model := 196608
FUZZ_MAXLEN_image := 16384
FUZZ_MAXLEN_truth := 8192
FUZZ_MAXLEN_dicom := 16384

.PHONY: fuzz fuzz-build
fuzz-build:
	@$(MAKE) --no-print-directory CC=clang CXX=clang++ BUILD=$(FUZZ_BUILD) OPT="-O1 -g" WERROR=0 \
	  SANFLAGS="-fsanitize=fuzzer-no-link $(FUZZ_SAN) -D_Float16=__fp16 -Wno-unknown-warning-option" \
	  MODULES="util io nn data model train" $(FUZZ_BUILD)/libcxrgaze.a
	@mkdir -p $(FUZZ_BUILD)/fuzz
	@set -e; for t in $(FUZZ_TARGETS); do \
	  echo "  FUZZ    $(FUZZ_BUILD)/fuzz/fuzz_$$t"; \
	  clang -std=gnu11 -O1 -g -march=native -fopenmp -Isrc -Itests/fuzz $(MPI_CFLAGS) \
	    -fsanitize=fuzzer $(FUZZ_SAN) -fsanitize-link-c++-runtime -D_Float16=__fp16 tests/fuzz/fuzz_$$t.c \
	    $(FUZZ_BUILD)/libcxrgaze.a $(LDLIBS) -o $(FUZZ_BUILD)/fuzz/fuzz_$$t; done

fuzz: fuzz-build
	@failed=""; for tm in $(foreach t,$(FUZZ_TARGETS),$(t):$(or $(FUZZ_MAXLEN_$(t)),8192)); do \
	  t=$${tm%%:*}; maxlen=$${tm##*:}; \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/artifacts; \
	  echo "== fuzz_$$t: $(FUZZ_SECONDS) s, max_len $$maxlen"; \
	  OMP_NUM_THREADS=1 ASAN_OPTIONS=detect_leaks=1 \
	  $(FUZZ_BUILD)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 \
	    -timeout=30 -max_len=$$maxlen -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t- $(FUZZ_BUILD)/corpus/$$t \
	    tests/fuzz/corpus/$$t > $(FUZZ_BUILD)/fuzz_$$t.log 2>&1 \
	  || { failed="$$failed $$t"; tail -n 60 $(FUZZ_BUILD)/fuzz_$$t.log; }; \
	  grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb|DONE' $(FUZZ_BUILD)/fuzz_$$t.log | tr '\n' ' '; echo; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: FAILED:$$failed (see $(FUZZ_BUILD)/artifacts/)"; exit 1; fi; \
	echo "fuzz: all targets passed ($(FUZZ_SECONDS) s each)"
