# gigd — build, run and test. `make run` serves the API; `make test` runs every test.
CC      ?= cc
PKGS    := libcjson libcurl libsodium
# `make deps` installs these, so only a target that compiles needs them present.
NEED_TOOLS := $(filter-out deps stop clean fuzz lint demo docs-test docs-deps docs-vendor npm-tools,$(or $(MAKECMDGOALS),all))
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
            perl libio-socket-ssl-perl libnet-ssleay-perl wrk clang libclang-rt-14-dev \
            redis-server systemd

.PHONY: all deps run start stop test bench fuzz clean units
all: $(B)/gigd $(B)/gigctl $(B)/gigd-test units

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

# gigd-test: gigd plus the test-only slow switch (t/hooks/slow.c, compiled with
# -DGIGD_TEST_HOOKS) for the watchdog tests. Built beside gigd, never installed: gigd
# itself contains no way to slow a request on purpose.
$(B)/t/hooks/%.o: t/hooks/%.c | $(SQL_GEN)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DGIGD_TEST_HOOKS -c -o $@ $<

$(B)/gigd-test: $(B)/fcgi/gigd.o $(FCGI_OBJ) $(B)/t/hooks/slow.o $(B)/libgigd.a
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

# Demo users, gigs, applications and a conversation in the running local stack (`make
# start` first; or `GIGD_DEMO=1 make run`); prints the demo accounts' credentials.
.PHONY: demo
demo:
	tools/demo https://localhost:$${GIGD_HTTPS_PORT:-8443}

test:
	$(MAKE) deps && $(MAKE) all && tools/test-run $(B)

bench:
	$(MAKE) deps && $(MAKE) all && tools/bench $(B) && tools/bench-matching $(B)

FUZZ_TARGETS := $(wildcard t/fuzz/*.c)
fuzz: deps
	tools/fuzz $(FUZZ_TARGETS)

# make install [PREFIX=/usr/local] [DESTDIR=] [SYSCONFDIR=/etc] — a Debian-style service tree:
#   $(PREFIX)/bin/{gigd,gigctl}, $(PREFIX)/share/gigd/{sql,docs,nginx}, the systemd units in
#   $(PREFIX)/lib/systemd/system (paths in them rewritten to PREFIX), the nginx site in
#   $(SYSCONFDIR)/nginx/sites-available/gigd, and $(SYSCONFDIR)/gigd/gigd.env.example (copied
#   to gigd.env, mode 640, only when there is none: an upgrade never overwrites secrets).
# `gigctl migrate` with no argument finds $(PREFIX)/share/gigd/sql next to its own binary.
PREFIX     ?= /usr/local
SYSCONFDIR ?= /etc
DESTDIR    ?=
SHAREDIR   := $(PREFIX)/share/gigd
UNITDIR    ?= $(PREFIX)/lib/systemd/system
UNIT_FILES := $(wildcard systemd/*.service systemd/*.timer)
.PHONY: install
install: $(B)/gigd $(B)/gigctl
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SHAREDIR)/sql $(DESTDIR)$(SHAREDIR)/nginx \
	    $(DESTDIR)$(SHAREDIR)/docs $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/gigd \
	    $(DESTDIR)$(SYSCONFDIR)/nginx/sites-available $(DESTDIR)$(SYSCONFDIR)/nginx/snippets
	install -m 755 $(B)/gigd $(B)/gigctl $(DESTDIR)$(PREFIX)/bin/
	install -m 644 sql/*.sql $(DESTDIR)$(SHAREDIR)/sql/
	install -m 644 docs/openapi.json $(DESTDIR)$(SHAREDIR)/docs/
	if [ -d docs/site ]; then cp -R docs/site $(DESTDIR)$(SHAREDIR)/docs/ && chmod -R a+rX $(DESTDIR)$(SHAREDIR)/docs/site; fi
	install -m 644 nginx/gigd.conf.in nginx/fastcgi.inc $(DESTDIR)$(SHAREDIR)/nginx/
	install -m 644 nginx/fastcgi.inc $(DESTDIR)$(SYSCONFDIR)/nginx/snippets/gigd-fastcgi.inc
	tools/nginx-site $(PREFIX) $(SYSCONFDIR) > $(DESTDIR)$(SYSCONFDIR)/nginx/sites-available/gigd
	for u in $(UNIT_FILES); do \
	  sed -e 's|/usr/local/bin/|$(PREFIX)/bin/|g' -e 's|/usr/local/share/gigd|$(SHAREDIR)|g' \
	      -e 's|/etc/gigd/|$(SYSCONFDIR)/gigd/|g' $$u > $(DESTDIR)$(UNITDIR)/$${u#systemd/}; \
	  chmod 644 $(DESTDIR)$(UNITDIR)/$${u#systemd/}; done
	install -m 644 systemd/gigd.env.example $(DESTDIR)$(SYSCONFDIR)/gigd/gigd.env.example
	[ -e $(DESTDIR)$(SYSCONFDIR)/gigd/gigd.env ] || \
	  install -m 640 systemd/gigd.env.example $(DESTDIR)$(SYSCONFDIR)/gigd/gigd.env

# API docs (GET /docs): Redoc's standalone bundle, pinned in tools/npm/package.json (and its
# lock file), vendored with its licence into docs/site/ so nothing is fetched at run time.
# `make docs-vendor` refreshes the vendored copy; `make lint` lints docs/openapi.json with
# the pinned Redocly CLI; `make docs-test` renders /docs in headless Chromium (Debian's
# chromium) against a throwaway stack and keeps a screenshot in docs/. The npm tools go
# to build/npm (`npm ci`: exactly the lock file's versions); Debian's nodejs and npm are
# installed only when there is no npm yet (a NodeSource node brings its own).
NPM_DIR  := build/npm
DOCS_PKGS := chromium fonts-dejavu-core
.PHONY: docs-vendor docs-deps docs-test npm-tools
npm-tools: $(NPM_DIR)/.installed
$(NPM_DIR)/.installed: tools/npm/package.json tools/npm/package-lock.json
	@command -v npm >/dev/null || { $(call apt_install_missing,nodejs npm); }
	mkdir -p $(NPM_DIR)
	cp tools/npm/package.json tools/npm/package-lock.json $(NPM_DIR)/
	cd $(NPM_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@
docs-vendor: npm-tools
	mkdir -p docs/site
	cp $(NPM_DIR)/node_modules/redoc/bundles/redoc.standalone.js docs/site/redoc.standalone.js
	cp $(NPM_DIR)/node_modules/redoc/LICENSE docs/site/redoc.LICENSE
	cp $(NPM_DIR)/node_modules/redoc/bundles/redoc.standalone.js.LICENSE.txt docs/site/redoc.standalone.js.LICENSE.txt
	node -e 'console.log("redoc " + require("./$(NPM_DIR)/node_modules/redoc/package.json").version)' > docs/site/redoc.VERSION
docs-deps:
	@$(call apt_install_missing,$(DOCS_PKGS))
docs-test: docs-deps
	$(MAKE) all
	tools/test-run $(B) t/docs/docs_page.t

clean:
	rm -rf build

# make lint — static analysis (tools/lint): cppcheck, scan-build over a clean build, gcc
# -fanalyzer and pmccabe's length/complexity limits; fails on any finding. Installs its
# tools when missing, like deps (and the build's, since tools/lint builds first).
LINT_PKGS := cppcheck clang-tools pmccabe
.PHONY: lint
lint:
	@$(call apt_install_missing,$(LINT_PKGS))
	$(MAKE) deps npm-tools
	tools/lint
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true $(NPM_DIR)/node_modules/.bin/redocly lint --format=stylish \
	    --config tools/npm/redocly.yaml docs/openapi.json

-include $(shell find build -name '*.d' 2>/dev/null)
