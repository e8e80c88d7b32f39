# cxrgaze build. `make` builds build/cxrgaze and build/libcxrgaze.a; `make test` runs every unit test.
# SAN=1 builds everything with AddressSanitizer + UndefinedBehaviorSanitizer into build-san/.
# WERROR=1 turns warnings into errors (CI sets it).

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
MODULES  ?= util io nn data train attr stats report
LIB_SRC  := $(sort $(foreach m,$(MODULES),$(wildcard src/$(m)/*.c)))
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
TEST_SRC := $(sort $(foreach m,$(MODULES) $(if $(NOCLI),,cli),$(wildcard tests/$(m)/test_*.c)))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
HEADERS  := $(wildcard src/*/*.h tests/*.h)

.PHONY: all deps test demo bench clean format
all: deps $(BUILD)/cxrgaze

deps:
	@scripts/install-deps --quiet

$(BUILD)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libcxrgaze.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@ && ar rcs $@ $^

$(BUILD)/cxrgaze: $(CLI_OBJ) $(BUILD)/libcxrgaze.a
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) $(CLI_OBJ) $(BUILD)/libcxrgaze.a $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/%.c $(BUILD)/libcxrgaze.a $(HEADERS)
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	@$(CC) $(CFLAGS) -Itests $< $(BUILD)/libcxrgaze.a $(LDFLAGS) $(LDLIBS) -lcmocka -o $@

# Unit tests: every tests/<module>/test_*.c is one cmocka binary; scripts/run-tests prints a
# closing "N passed, N failed" line that CI reads. TESTS=pattern selects binaries.
test: deps $(if $(NOCLI),,$(BUILD)/cxrgaze) $(TEST_BIN)
	@CXRGAZE=$(BUILD)/cxrgaze scripts/run-tests $(BUILD)/tests $(TESTS)

demo: all
	$(BUILD)/cxrgaze demo --out demo-out

bench: all
	bench/run

format:
	clang-format -i $(LIB_SRC) $(CLI_SRC) $(TEST_SRC) $(HEADERS)

clean:
	rm -rf build build-san
