# tests/fuzz/fuzz.mk - build and run the libFuzzer targets (GNU make).
#
# Called from the build directory by the top Makefile (section "fuzz" of
# Makefile.am), which passes top_srcdir, CC and FUZZ_SECONDS:
#   make fuzz            build, then run each target for FUZZ_SECONDS (60)
#   make fuzz-build      build only
#   make fuzz-seeds      rewrite tests/fuzz/corpus/fuzz_dbfile with gen_seeds
# Needs clang and its runtime libraries (Debian: clang, libclang-rt-dev,
# which ships libclang_rt.fuzzer); configure with CC=clang.
#
# The engine (and fs/ctl.c, fs/log.c) are compiled again here with coverage
# instrumentation (-fsanitize=fuzzer-no-link) plus ASan and UBSan, into
# tests/fuzz/obj/.  New inputs go to tests/fuzz/work/TARGET/ in the build
# directory; the committed corpus in the source tree is only read.  A crash
# fails the run; libFuzzer saves the input in tests/fuzz/artifacts/.  Add
# it to tests/fuzz/corpus/TARGET/ (named crash-WHAT) with the fix: `make
# check` replays every file there (tests/fuzz/replay.c).

FUZZ_SECONDS ?= 60
FUZZ_TARGETS := fuzz_statement fuzz_dbfile fuzz_ctl fuzz_names fuzz_record fuzz_tables
S := $(top_srcdir)
F := tests/fuzz
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := -g -O1 -Wall -Wextra -Werror $(SAN) -MMD -MP \
	-I. -I$(S)/engine -I$(S)/fs -I$(S)/tests/fuzz
COV := -fsanitize=fuzzer-no-link
# the harnesses themselves: edge coverage only, no comparison tracing
# (their hot loops would cost more than they guide)
HCOV := $(COV) -fno-sanitize-coverage=trace-cmp

# per-target libFuzzer options
OPTS_fuzz_statement := -max_len=16384
OPTS_fuzz_dbfile := -max_len=65536
OPTS_fuzz_ctl := -max_len=65536
OPTS_fuzz_names := -max_len=256
OPTS_fuzz_record := -max_len=4096
OPTS_fuzz_tables := -max_len=256
FUZZ_OPTS := -timeout=10 -rss_limit_mb=2048 -print_final_stats=1

ENGINE_SRCS := $(wildcard $(S)/engine/*.c)
ENGINE_OBJS := $(patsubst $(S)/engine/%.c,$(F)/obj/engine-%.o,$(ENGINE_SRCS))
UTIL_OBJ := $(F)/obj/fuzz_util.o
CTL_OBJ := $(F)/obj/fs-ctl.o $(F)/obj/fs-log.o
NAMES_OBJS := $(F)/obj/fs-path.o $(F)/obj/fs-render.o $(F)/obj/ops_stub.o
BINS := $(addprefix $(F)/,$(FUZZ_TARGETS))

# V=1 shows the commands, as automake's silent rules do
ifeq ($(V),1)
Q :=
say := @true
else
Q := @
say := @echo
endif

is_clang := $(shell $(CC) --version 2>/dev/null | grep -c clang)

.PHONY: build run seeds need-clang
.DELETE_ON_ERROR:

build: need-clang $(BINS) $(F)/gen_seeds

need-clang:
ifeq ($(is_clang),0)
	@echo "make fuzz: '$(CC)' is not clang; libFuzzer needs it."
	@echo "  Install clang and libclang-rt-dev, then configure a build directory with"
	@echo "  CC=clang (e.g. .../configure CC=clang) and run 'make fuzz' there."
	@exit 1
endif

$(F)/obj/engine-%.o: $(S)/engine/%.c config.h $(S)/tests/fuzz/fuzz.mk | $(F)/obj
	$(say) "  CC       $@"
	$(Q)$(CC) $(FUZZ_CFLAGS) $(COV) -c -o $@ $<

$(F)/obj/fs-%.o: $(S)/fs/%.c config.h $(S)/tests/fuzz/fuzz.mk | $(F)/obj
	$(say) "  CC       $@"
	$(Q)$(CC) $(FUZZ_CFLAGS) $(COV) -c -o $@ $<

$(UTIL_OBJ): $(S)/tests/fuzz/fuzz_util.c $(S)/tests/fuzz/fuzz_util.h config.h $(S)/tests/fuzz/fuzz.mk | $(F)/obj
	$(say) "  CC       $@"
	$(Q)$(CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(F)/obj/%.o: $(S)/tests/fuzz/%.c $(S)/tests/fuzz/fuzz_util.h config.h $(S)/tests/fuzz/fuzz.mk | $(F)/obj
	$(say) "  CC       $@"
	$(Q)$(CC) $(FUZZ_CFLAGS) $(HCOV) -c -o $@ $<

$(F)/obj:
	$(Q)mkdir -p $@

$(F)/fuzz_statement $(F)/fuzz_dbfile $(F)/fuzz_record $(F)/fuzz_tables: $(F)/%: $(F)/obj/%.o $(UTIL_OBJ) $(ENGINE_OBJS)
	$(say) "  CC       $@"
	$(Q)$(CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^

$(F)/fuzz_ctl: $(F)/obj/fuzz_ctl.o $(UTIL_OBJ) $(CTL_OBJ) $(ENGINE_OBJS)
	$(say) "  CC       $@"
	$(Q)$(CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^

$(F)/fuzz_names: $(F)/obj/fuzz_names.o $(UTIL_OBJ) $(NAMES_OBJS) $(ENGINE_OBJS)
	$(say) "  CC       $@"
	$(Q)$(CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^

$(F)/gen_seeds: $(F)/obj/gen_seeds.o $(UTIL_OBJ) $(ENGINE_OBJS)
	$(say) "  CC       $@"
	$(Q)$(CC) $(FUZZ_CFLAGS) $(COV) -o $@ $^

# Each target in turn; the committed corpus is read, new inputs go to work/.
run: build
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p $(F)/work/$$t $(F)/artifacts; \
		echo "== $$t: fuzzing for $(FUZZ_SECONDS) s"; \
		if ! ./$(F)/$$t $(FUZZ_OPTS) -max_total_time=$(FUZZ_SECONDS) \
			$$(case $$t in fuzz_statement) echo '$(OPTS_fuzz_statement)';; \
				fuzz_dbfile) echo '$(OPTS_fuzz_dbfile)';; \
				fuzz_ctl) echo '$(OPTS_fuzz_ctl)';; \
				fuzz_names) echo '$(OPTS_fuzz_names)';; \
				fuzz_record) echo '$(OPTS_fuzz_record)';; \
				fuzz_tables) echo '$(OPTS_fuzz_tables)';; esac) \
			-artifact_prefix=$(F)/artifacts/$$t- \
			$(F)/work/$$t $(S)/tests/fuzz/corpus/$$t >$(F)/$$t.log 2>&1; then \
			tail -n 80 $(F)/$$t.log; \
			echo "== $$t: FAILED; the input is in $(F)/artifacts/"; \
			exit 1; \
		fi; \
		grep -E '^Done [0-9]+ runs|stat::number_of_executed_units|cov: ' $(F)/$$t.log | tail -n 3; \
	done

-include $(wildcard $(F)/obj/*.d)

seeds: $(F)/gen_seeds
	$(Q)rm -f $(S)/tests/fuzz/corpus/fuzz_dbfile/seed-*
	$(Q)cd $(S)/tests/fuzz/corpus/fuzz_dbfile && $(abspath $(F)/gen_seeds) . >/dev/null
