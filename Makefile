# gigd — build, run and test. `make run` serves the API; `make test` runs every test.
CC      ?= cc
PKGS    := libcjson libcurl libsodium
# `make deps` installs these, so only a target that compiles needs them present.
NEED_TOOLS := $(filter-out deps stop clean fuzz lint,$(or $(MAKECMDGOALS),all))
ifneq ($(NEED_TOOLS),)
ifeq ($(shell command -v pg_config),)
$(error pg_config not found: run `make deps` (installs libpq-dev) or put it on PATH)
endif
ifeq ($(shell command -v pkg-config),)
$(error pkg-config not found: run `make deps` (installs pkg-config))
endif
endif
PG_INC  = $(shell pg_config --includedir)
# Packagers whose newer compiler warns differently can build with `make WERROR=`.
WERROR  ?= -Werror
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c17 -D_GNU_SOURCE -Wall -Wextra -Wpedantic -Wformat=2 -Wconversion $(WERROR) -Wshadow \
           -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter \
           -fstack-protector-strong -MMD -MP -Ilib -Ifcgi -I$(B)/gen -I$(PG_INC) \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  += -lfcgi -lpq $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
B       := build/san
else
# _FORTIFY_SOURCE needs optimisation and conflicts with ASan's interceptors.
CFLAGS  += -D_FORTIFY_SOURCE=2
B       := build/std
endif

LIB_SRC   := $(wildcard lib/*.c)
FCGI_SRC  := $(filter-out fcgi/gigd.c fcgi/gigctl.c,$(wildcard fcgi/*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(B)/%.o)
FCGI_OBJ  := $(FCGI_SRC:%.c=$(B)/%.o)
UNIT_SRC  := $(wildcard t/unit/*.c)
UNIT_BIN  := $(UNIT_SRC:t/unit/%.c=$(B)/t/%)
# Long statements live in lib/sql/MODULE.sql; tools/sql2h makes them a header sql_MODULE.h.
SQL_SRC   := $(wildcard lib/sql/*.sql)
SQL_GEN   := $(SQL_SRC:lib/sql/%.sql=$(B)/gen/sql_%.h)

DEB_PKGS := build-essential pkg-config libfcgi-dev libpq-dev libcjson-dev libcurl4-openssl-dev \
            libsodium-dev postgresql postgresql-contrib nginx libnginx-mod-nchan openssl curl \
            perl libio-socket-ssl-perl libnet-ssleay-perl wrk clang libclang-rt-14-dev

.PHONY: all deps run start stop test bench fuzz clean units
all: $(B)/gigd $(B)/gigctl units

units: $(UNIT_BIN)

# Installs only what is missing; run as root (sessions and CI are).
apt_install_missing = missing=""; for p in $(1); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi
deps:
	@$(call apt_install_missing,$(DEB_PKGS))

# Header dependencies come from -MMD; the generated SQL headers must exist before the
# first compile, when there is no .d file yet to say who includes them.
$(B)/%.o: %.c | $(SQL_GEN)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# Kept: make would otherwise delete them as intermediate files of the pattern rule.
.SECONDARY: $(SQL_GEN)
$(B)/gen/sql_%.h: lib/sql/%.sql tools/sql2h
	@mkdir -p $(dir $@)
	tools/sql2h $< > $@.tmp && mv $@.tmp $@

# rm first: `ar r` keeps members whose source file was deleted.
$(B)/libgigd.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(B)/gigd: $(B)/fcgi/gigd.o $(FCGI_OBJ) $(B)/libgigd.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/gigctl: $(B)/fcgi/gigctl.o $(FCGI_OBJ) $(B)/libgigd.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/t/%: t/unit/%.c t/tap.h $(FCGI_OBJ) $(B)/libgigd.a | $(SQL_GEN)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -It $(LDFLAGS) -o $@ $< $(FCGI_OBJ) $(B)/libgigd.a $(LDLIBS)

# deps first, in its own make, so pkg-config sees the freshly installed packages.
run:
	$(MAKE) deps && $(MAKE) all && tools/stack run var $(B)

start:
	$(MAKE) deps && $(MAKE) all && tools/stack start var $(B)

stop:
	tools/stack stop var

test:
	$(MAKE) deps && $(MAKE) all && tools/test-run $(B)

bench:
	$(MAKE) deps && $(MAKE) all && tools/bench $(B) && tools/bench-matching $(B)

FUZZ_TARGETS := $(wildcard t/fuzz/*.c)
fuzz: deps
	tools/fuzz $(FUZZ_TARGETS)

clean:
	rm -rf build

# make lint — static analysis (tools/lint): cppcheck, scan-build over a clean build, gcc
# -fanalyzer and pmccabe's length/complexity limits; fails on any finding. Installs its
# tools when missing, like deps (and the build's, since tools/lint builds first).
LINT_PKGS := cppcheck clang-tools pmccabe
.PHONY: lint
lint:
	@$(call apt_install_missing,$(LINT_PKGS))
	$(MAKE) deps
	tools/lint

-include $(shell find build -name '*.d' 2>/dev/null)
