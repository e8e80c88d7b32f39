# cxrgaze build. `make` builds build/cxrgaze and build/libcxrgaze.a; `make test` runs every unit test.
# SAN=1 builds everything with AddressSanitizer + UndefinedBehaviorSanitizer into build-san/.
# WERROR=1 turns warnings into errors (CI sets it).
#
# Every entry target first installs missing Debian packages (scripts/install-deps), then runs make
# again: build decisions (MPI or not, pkg-config flags) are taken after the install, never before.

CC      ?= gcc
SAN     ?= 0
WERROR  ?= 0
OPT     ?= -O2

ifeq ($(SAN),1)
  BUILD   ?= build-san
  SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  OPT     := -O1 -g
else
  BUILD   ?= build
  SANFLAGS :=
endif

HAVE_MPI := $(shell command -v mpicc >/dev/null 2>&1 && echo 1 || echo 0)
MPI_CFLAGS := $(if $(filter 1,$(HAVE_MPI)),-DCX_HAVE_MPI $(shell mpicc --showme:compile 2>/dev/null),)
MPI_LIBS   := $(if $(filter 1,$(HAVE_MPI)),$(shell mpicc --showme:link 2>/dev/null),)

WARN    := -Wall -Wextra -Wno-unused-parameter -Wno-format-truncation $(if $(filter 1,$(WERROR)),-Werror,)
CFLAGS  += -std=gnu11 $(OPT) -march=native -fopenmp -fPIC $(WARN) $(SANFLAGS) -Isrc \
           $(shell pkg-config --cflags libpng cairo 2>/dev/null) $(MPI_CFLAGS)
LDLIBS  += -ldnnl -lturbojpeg -ljpeg $(shell pkg-config --libs libpng cairo 2>/dev/null) \
           -lcsv -ljansson -lz $(MPI_LIBS) -lm -lpthread
LDFLAGS += -fopenmp $(SANFLAGS)

# MODULES=... restricts the library and the tests to some modules (for iterating on one module
# while another is mid-edit); NOCLI=1 skips the command-line binary.
MODULES  ?= util io nn stats data model train attr study report
LIB_SRC  := $(sort $(foreach m,$(MODULES),$(wildcard src/$(m)/*.c)))
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
TEST_SRC := $(sort $(foreach m,$(MODULES) $(if $(NOCLI),,cli),$(wildcard tests/$(m)/test_*.c)))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
HEADERS  := $(wildcard src/*/*.h tests/*.h tests/*/*.h)

.DEFAULT_GOAL := all

# Header dependencies from the compiler (-MMD -MP): touching one header rebuilds its users only.
$(BUILD)/obj/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -MMD -MP -c $< -o $@
-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_BIN:=.d)

$(BUILD)/libcxrgaze.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@ && ar rcs $@ $^

$(BUILD)/cxrgaze: $(CLI_OBJ) $(BUILD)/libcxrgaze.a
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) $(CLI_OBJ) $(BUILD)/libcxrgaze.a $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/%.c $(BUILD)/libcxrgaze.a Makefile
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	@$(CC) $(CFLAGS) -Itests -MMD -MP -MF $@.d $< $(BUILD)/libcxrgaze.a $(LDFLAGS) $(LDLIBS) -lcmocka -o $@

# The entry targets. First pass: install what is missing, then the same target again in a make
# that takes its decisions with the packages there (on a fresh machine, `make demo` must not build
# without MPI because Open MPI was installed a moment too late).
.PHONY: all test demo bench deps
ENTRY_TARGETS := all test demo bench
ifeq ($(CX_DEPS_DONE),)
$(ENTRY_TARGETS): deps
	@$(MAKE) --no-print-directory CX_DEPS_DONE=1 $@
deps:
	@scripts/install-deps --quiet
else
all: $(BUILD)/cxrgaze

# Unit tests: every tests/<module>/test_*.c is one cmocka binary; scripts/run-tests prints a
# closing "N passed, N failed" line that CI reads. TESTS=pattern selects binaries.
test: $(if $(NOCLI),,$(BUILD)/cxrgaze) $(TEST_BIN)
	@CXRGAZE=$(BUILD)/cxrgaze scripts/run-tests $(BUILD)/tests $(TESTS)

demo: $(BUILD)/cxrgaze
	$(BUILD)/cxrgaze demo --out demo-out

bench: $(BUILD)/cxrgaze
	bench/run
endif

.PHONY: clean format fuzz fuzz-build
format:
	clang-format -i $(LIB_SRC) $(CLI_SRC) $(TEST_SRC) $(HEADERS)

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

.PHONY: fuzz fuzz-build
fuzz-build:
	@$(MAKE) --no-print-directory CC=clang BUILD=$(FUZZ_BUILD) OPT="-O1 -g" WERROR=0 \
	  SANFLAGS="-fsanitize=fuzzer-no-link $(FUZZ_SAN) -D_Float16=__fp16 -Wno-unknown-warning-option" \
	  MODULES="util io nn data train" $(FUZZ_BUILD)/libcxrgaze.a
	@mkdir -p $(FUZZ_BUILD)/fuzz
	@set -e; for t in $(FUZZ_TARGETS); do \
	  echo "  FUZZ    $(FUZZ_BUILD)/fuzz/fuzz_$$t"; \
	  clang -std=gnu11 -O1 -g -march=native -fopenmp -Isrc -Itests/fuzz $(MPI_CFLAGS) \
	    -fsanitize=fuzzer $(FUZZ_SAN) -D_Float16=__fp16 tests/fuzz/fuzz_$$t.c \
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
