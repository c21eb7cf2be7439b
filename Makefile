# prism build. `make` builds the library and the `prism` command;
# `make test` runs every Check suite; `make debug test` runs them under
# ASan+UBSan; `make bench`, `make demo`, `make check-long`, `make install`.

CC      ?= cc
PREFIX  ?= /usr/local
BUILD   ?= build
PKGS    := libev sqlite3 check yaml-0.1 libcjson libprotobuf-c zlib

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror -Wno-format-truncation
OPT     ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -I. -I$(BUILD)/gen -pthread
LDLIBS  += -lev -lsqlite3 -lyaml -lcjson -lprotobuf-c -lz -lm -pthread
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lrt -lm)

# MPI (distributed runs, sim/mpi.c) is built in when mpicc is found and
# METIS (sim/partition.c) when its header is; `make MPI=0 METIS=0` leaves
# them out (prism then runs sequentially and says so when asked for ranks).
MPI     ?= $(if $(shell command -v mpicc 2>/dev/null),1,0)
METIS   ?= $(if $(wildcard /usr/include/metis.h),1,0)
ifeq ($(MPI),1)
MPI_CFLAGS := -DPRISM_HAVE_MPI $(patsubst -I%,-isystem %,$(shell mpicc --showme:compile 2>/dev/null || pkg-config --cflags ompi-c))
# first, and libevent before libev: Open MPI calls libevent's event_add, which
# libev's compatibility layer would otherwise answer (a crash in MPI_Init)
LDLIBS  := $(shell mpicc --showme:link 2>/dev/null || pkg-config --libs ompi-c) \
           -Wl,--no-as-needed -levent_core $(LDLIBS)
endif
ifeq ($(METIS),1)
METIS_CFLAGS := -DPRISM_HAVE_METIS
LDLIBS  += -lmetis
endif

ifeq ($(filter debug,$(MAKECMDGOALS)),debug)
BUILD   := build-debug
# gcc's -fsanitize=undefined leaves out float-cast-overflow (a double too big
# for its integer type, e.g. (int)1e300): asked for by name
OPT     := -O0 -g -fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer -fno-sanitize-recover=undefined,float-cast-overflow
LDFLAGS += -fsanitize=address,undefined,float-cast-overflow
endif

ONNX_PROTO ?= /usr/include/onnx/onnx.proto
GEN_C   := $(BUILD)/gen/onnx.pb-c.c
GEN_O   := $(BUILD)/gen/onnx.pb-c.o

LIB_SRC := $(wildcard num/*.c sim/*.c devices/*.c noc/*.c workloads/*.c mapper/*.c run/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o) $(GEN_O)
CLI_SRC := $(wildcard cli/*.c)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_SRC:= $(wildcard tests/check_*.c)
TEST_BIN:= $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:%.c=%)
LIB     := $(BUILD)/libprism.a
PRISM   := $(BUILD)/prism

.PHONY: all debug test bench demo check-long install clean deps format fuzz fuzz-build
all: deps-check $(PRISM) prism

debug: all
	@true

# the `prism` in the top directory is a link to the current build
prism: $(PRISM)
	@ln -sf $(PRISM) prism

deps:
	@bash scripts/deps.sh

deps-check:
	@pkg-config --exists $(PKGS) 2>/dev/null && test -f $(ONNX_PROTO) && command -v protoc-c >/dev/null && command -v gnuplot >/dev/null \
	  || bash scripts/deps.sh

$(GEN_C): $(ONNX_PROTO)
	@mkdir -p $(BUILD)/gen
	cp $(ONNX_PROTO) $(BUILD)/gen/onnx.proto
	cd $(BUILD)/gen && protoc-c --c_out=. onnx.proto

$(GEN_O): $(GEN_C)
	$(CC) -std=c11 $(OPT) -I$(BUILD)/gen -c $< -o $@

$(BUILD)/%.o: %.c $(GEN_C)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# the git commit recorded in every trace's runs row (rewritten only when it changes)
GIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)
$(BUILD)/gen/commit.h: FORCE
	@mkdir -p $(BUILD)/gen
	@echo '#define PRISM_GIT_COMMIT "$(GIT_COMMIT)"' > $@.tmp
	@cmp -s $@.tmp $@ || mv $@.tmp $@
	@rm -f $@.tmp
$(BUILD)/sim/trace.o: $(BUILD)/gen/commit.h
# which optional libraries the objects were built with (rebuilt when it changes)
$(BUILD)/gen/optional.h: FORCE
	@mkdir -p $(BUILD)/gen
	@echo '/* MPI=$(MPI) METIS=$(METIS) */' > $@.tmp
	@cmp -s $@.tmp $@ || mv $@.tmp $@
	@rm -f $@.tmp
$(BUILD)/sim/mpi.o: CFLAGS += $(MPI_CFLAGS)
$(BUILD)/sim/partition.o: CFLAGS += $(METIS_CFLAGS)
$(BUILD)/sim/mpi.o $(BUILD)/sim/partition.o: $(BUILD)/gen/optional.h
# the data directory of an install (cli/datadir.c also looks beside the binary)
DATADIR ?= $(PREFIX)/share/prism
$(BUILD)/workloads/dataset.o $(BUILD)/cli/datadir.o: CFLAGS += -DPRISM_DATADIR='"$(DATADIR)"'
.PHONY: FORCE
FORCE:

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(PRISM): $(CLI_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -Wno-missing-prototypes $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS) $(CHECK_LIBS)

bench/%: bench/%.c $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

test: all $(TEST_BIN)
	@PRISM=$(abspath $(PRISM)) bash tests/run.sh $(TEST_BIN)
	@CHECK_LDFLAGS="$(LDFLAGS)" bash tests/install_check.sh $(MAKE) BUILD=$(BUILD) OPT="$(OPT)" LDFLAGS="$(LDFLAGS)"

bench: all $(BENCH_BIN)
	@bash bench/run.sh

check-long: all $(TEST_BIN)
	@PRISM=$(abspath $(PRISM)) PRISM_LONG=1 bash tests/run.sh $(TEST_BIN)

# libFuzzer harnesses for the four parsers (fuzz/*.c): the config loader,
# the ONNX importer, the safetensors reader and the schedule reader (with the
# checks of attaching a schedule), built with clang under ASan+UBSan in
# build-fuzz/ and run FUZZ_SECONDS each on seed corpora from configs/,
# tests/fixtures/ and a GPT-2 schedule mapped by prism run. Not part of
# `make test`.
FUZZ_SECONDS ?= 60
FUZZ_SAN := -fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer
FUZZ_HARNESSES := config onnx safetensors schedule
fuzz-build:
	@command -v clang >/dev/null || { echo "make fuzz needs clang (apt-get install clang)"; exit 2; }
	$(MAKE) CC=clang BUILD=build-fuzz WARN="-Wall -Wno-unused-command-line-argument" \
	  OPT="-O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link" build-fuzz/libprism.a
	@for h in $(FUZZ_HARNESSES); do \
	  clang -std=c11 -D_GNU_SOURCE -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer -I. -Ibuild-fuzz/gen \
	    -o build-fuzz/fuzz_$$h fuzz/$${h}_fuzz.c build-fuzz/libprism.a $(LDLIBS) || exit 1; \
	done

fuzz: fuzz-build all
	@mkdir -p build-fuzz/corpus-config build-fuzz/corpus-onnx build-fuzz/corpus-safetensors \
	  build-fuzz/corpus-schedule
	@cp tests/fixtures/schedule/*.json build-fuzz/corpus-schedule/
	@$(PRISM) run configs/chip.yaml --workload gpt2 --seq 8 --schedule-out \
	  build-fuzz/corpus-schedule/gpt2.json > /dev/null
	@cp configs/*.yaml tests/fixtures/audit/*.yaml build-fuzz/corpus-config/
	@cp tests/fixtures/onnx/resnet18.onnx build-fuzz/corpus-onnx/
	@head -c 65536 tests/fixtures/tiny-gpt2/model.safetensors > build-fuzz/corpus-safetensors/head
	@for h in $(FUZZ_HARNESSES); do \
	  echo "fuzz_$$h: $(FUZZ_SECONDS) s"; \
	  build-fuzz/fuzz_$$h -max_total_time=$(FUZZ_SECONDS) -max_len=1048576 -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=build-fuzz/ build-fuzz/corpus-$$h || exit 1; \
	done

demo: all
	@bash scripts/demo.sh $(PRISM)

# public headers, installed as <prism/DIR/NAME.h>; they include each other
# as "DIR/NAME.h", so prism.pc adds -I$(includedir)/prism
PRISM_VERSION := $(shell sed -n 's/^\#define PRISM_VERSION "\(.*\)"/\1/p' sim/sim.h)
PUBLIC_H := sim/sim.h sim/trace.h sim/tracedb.h sim/dist.h num/num.h devices/dev.h noc/noc.h \
            workloads/wl.h workloads/wl_forward.h mapper/map.h
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(DATADIR)
	install -m 755 $(PRISM) $(DESTDIR)$(PREFIX)/bin/prism
	install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/libprism.a
	for h in $(PUBLIC_H); do \
	  install -d $(DESTDIR)$(PREFIX)/include/prism/$$(dirname $$h) && \
	  install -m 644 $$h $(DESTDIR)$(PREFIX)/include/prism/$$h || exit 1; \
	done
	install -d $(DESTDIR)$(DATADIR)/configs
	install -m 644 configs/*.yaml configs/README.md $(DESTDIR)$(DATADIR)/configs/
	cp -R tests/fixtures $(DESTDIR)$(DATADIR)/tests-fixtures.tmp && rm -rf $(DESTDIR)$(DATADIR)/tests/fixtures && \
	  install -d $(DESTDIR)$(DATADIR)/tests && mv $(DESTDIR)$(DATADIR)/tests-fixtures.tmp $(DESTDIR)$(DATADIR)/tests/fixtures
	@printf '%s\n' 'prefix=$(PREFIX)' 'includedir=$${prefix}/include' 'libdir=$${prefix}/lib' '' \
	  'Name: prism' 'Description: cycle-level discrete-event simulator for heterogeneous AI hardware' \
	  'Version: $(PRISM_VERSION)' 'Cflags: -I$${includedir} -I$${includedir}/prism' \
	  'Libs: -L$${libdir} -lprism $(LDLIBS)' > $(DESTDIR)$(PREFIX)/lib/pkgconfig/prism.pc

format:
	clang-format -i $(LIB_SRC) $(CLI_SRC) $(TEST_SRC) $(BENCH_SRC) $(wildcard */*.h)

clean:
	rm -rf build build-debug build-fuzz prism $(BENCH_BIN)

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_BIN:=.d)
