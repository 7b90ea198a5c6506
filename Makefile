# gigd — build, run and test. `make run` serves the API; `make test` runs every test.
CC      ?= cc
PG_INC  = $(shell pg_config --includedir 2>/dev/null)
PKGS    := libcjson libcurl libsodium
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wno-unused-parameter -Ilib -Ifcgi -I$(PG_INC) \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  += -lfcgi -lpq $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
B       := build/san
else
B       := build/std
endif

LIB_SRC   := $(wildcard lib/*.c)
FCGI_SRC  := $(filter-out fcgi/gigd.c fcgi/gigctl.c,$(wildcard fcgi/*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(B)/%.o)
FCGI_OBJ  := $(FCGI_SRC:%.c=$(B)/%.o)
UNIT_SRC  := $(wildcard t/unit/*.c)
UNIT_BIN  := $(UNIT_SRC:t/unit/%.c=$(B)/t/%)

DEB_PKGS := build-essential pkg-config libfcgi-dev libpq-dev libcjson-dev libcurl4-openssl-dev \
            libsodium-dev postgresql postgresql-contrib nginx libnginx-mod-nchan openssl curl \
            perl libio-socket-ssl-perl libnet-ssleay-perl wrk clang libclang-rt-14-dev

.PHONY: all deps run start stop test bench fuzz clean units
all: $(B)/gigd $(B)/gigctl units

units: $(UNIT_BIN)

# Installs only what is missing; run as root (sessions and CI are).
deps:
	@missing=""; for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi

$(B)/%.o: %.c $(wildcard lib/*.h fcgi/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(B)/libgigd.a: $(LIB_OBJ)
	ar rcs $@ $^

$(B)/gigd: $(B)/fcgi/gigd.o $(FCGI_OBJ) $(B)/libgigd.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/gigctl: $(B)/fcgi/gigctl.o $(FCGI_OBJ) $(B)/libgigd.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/t/%: t/unit/%.c t/tap.h $(FCGI_OBJ) $(B)/libgigd.a
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
	$(MAKE) deps && $(MAKE) all && tools/bench $(B)

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
	@missing=""; for p in $(LINT_PKGS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi
	$(MAKE) deps
	tools/lint
