# omg - a package-query daemon for Arch Linux
# See LICENSE file for copyright and license details.
.POSIX:

include config.mk

SRC = src/main.c src/cli.c src/doctor.c src/client.c src/daemon.c \
	src/server.c src/proto.c src/query.c src/trigram.c src/image.c \
	src/cache.c src/feed.c src/conf.c src/watch.c src/vercmp.c \
	src/audit.c src/paths.c src/util.c src/log.c src/worker.c \
	src/budget.c src/intern.c src/files.c src/answer.c src/cmd_files.c \
	src/stamp.c src/snap.c src/search.c src/suggest.c src/info.c \
	src/status.c src/opts.c src/rebuild.c src/task.c src/searchfile.c \
	src/kept.c
OBJ = $(SRC:.c=.o)
HDR = src/cache.h src/cli.h src/client.h src/conf.h src/daemon.h src/doctor.h \
	src/feed.h src/log.h src/paths.h src/proto.h src/query.h \
	src/server.h src/util.h src/watch.h src/vercmp.h src/audit.h \
	src/trigram.h src/image.h src/worker.h src/budget.h src/intern.h \
	src/files.h src/answer.h src/stamp.h \
	src/snap.h src/search.h src/suggest.h src/info.h src/status.h src/opts.h \
	src/cache_db.h src/task.h src/searchfile.h src/kept.h

# unit test programs: the pure modules without the daemon
UNIT = tests/unit/proto tests/unit/conf tests/unit/fuzzy tests/unit/vercmp \
	tests/unit/image
UNIT_OBJ = src/proto.o src/util.o src/conf.o src/log.o

# pkg-config's answers, read by the shell when a recipe runs (after
# "make deps" has installed pkg-config), from the files src/mkconfig writes.
DEPS_CFLAGS = `cat src/config.cflags`
DEPS_LIBS = `cat src/config.libs`

all: omg

# Asked at every make, rewritten only when the answers change: a new
# VERSION or libalpm soname rebuilds what includes config.h, and nothing
# is compiled with a value taken before the libraries were there.
src/config.h: FORCE
	./src/mkconfig "$(VERSION)" "$(CC)" "$(PKG_CONFIG)"
FORCE:

.c.o:
	$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPS_CFLAGS) -c $< -o $@

$(OBJ): $(HDR) config.mk src/config.h

omg: $(OBJ)
	$(CC) $(LDFLAGS) -o $@ $(OBJ) $(LDLIBS)

tests/unit/proto: tests/unit/proto.c tests/unit/tap.h $(UNIT_OBJ)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPS_CFLAGS) -Isrc -o $@ tests/unit/proto.c \
		$(UNIT_OBJ) $(LDFLAGS) $(LDLIBS)

tests/unit/conf: tests/unit/conf.c tests/unit/tap.h $(UNIT_OBJ)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPS_CFLAGS) -Isrc -o $@ tests/unit/conf.c \
		$(UNIT_OBJ) $(LDFLAGS) $(LDLIBS)

tests/unit/vercmp: tests/unit/vercmp.c src/vercmp.o src/util.o
	$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPS_CFLAGS) -Isrc -o $@ tests/unit/vercmp.c \
		src/vercmp.o src/util.o $(LDFLAGS) $(LDLIBS)

tests/unit/image: tests/unit/image.c tests/unit/tap.h src/image.o \
	src/trigram.o src/util.o
	$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPS_CFLAGS) -Isrc -o $@ tests/unit/image.c \
		src/image.o src/trigram.o src/util.o $(LDFLAGS) $(LDLIBS)

QUERY_OBJ = src/query.o src/trigram.o src/image.o src/audit.o \
	src/vercmp.o src/cache.o src/feed.o src/intern.o src/files.o \
	src/stamp.o src/snap.o src/search.o src/suggest.o src/info.o src/status.o \
	src/rebuild.o src/searchfile.o src/kept.o

tests/unit/fuzzy: tests/unit/fuzzy.c tests/unit/tap.h $(QUERY_OBJ) \
	$(UNIT_OBJ)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPS_CFLAGS) -Isrc -o $@ tests/unit/fuzzy.c \
		$(QUERY_OBJ) $(UNIT_OBJ) $(LDFLAGS) $(LDLIBS)

# The fuzz targets with a plain main() that replays the corpus.
FUZZ_LIB = src/server.o $(QUERY_OBJ) $(UNIT_OBJ)
REPLAY = tests/fuzz/replay-request tests/fuzz/replay-server

tests/fuzz/replay-request: tests/fuzz/fuzz_request.c tests/fuzz/replay.c \
	$(UNIT_OBJ)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPS_CFLAGS) -Isrc -o $@ tests/fuzz/fuzz_request.c \
		tests/fuzz/replay.c $(UNIT_OBJ) $(LDFLAGS) $(LDLIBS)

tests/fuzz/replay-server: tests/fuzz/fuzz_server.c tests/fuzz/replay.c \
	$(FUZZ_LIB)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPS_CFLAGS) -Isrc -o $@ tests/fuzz/fuzz_server.c \
		tests/fuzz/replay.c $(FUZZ_LIB) $(LDFLAGS) $(LDLIBS)

# libFuzzer builds (clang): make fuzz, then e.g.
#   tests/fuzz/fuzz-request -max_total_time=600 tests/fuzz/corpus/request
FUZZ_SRC = src/server.c $(QUERY_OBJ:.o=.c) $(UNIT_OBJ:.o=.c)
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all
fuzz: src/config.h
	clang $(CPPFLAGS) -std=c11 $(DEPS_CFLAGS) $(FUZZ_FLAGS) -Isrc \
		-o tests/fuzz/fuzz-request tests/fuzz/fuzz_request.c \
		src/proto.c src/util.c src/conf.c src/log.c $(LDLIBS)
	clang $(CPPFLAGS) -std=c11 $(DEPS_CFLAGS) $(FUZZ_FLAGS) -Isrc \
		-o tests/fuzz/fuzz-server tests/fuzz/fuzz_server.c \
		$(FUZZ_SRC) $(LDLIBS)

# Everything the tests need, then every test under one TAP runner, a few
# at once: each works in its own temporary directory with its own daemon,
# and most of their time is spent in pacman or waiting for a deadline.
check: omg $(UNIT) $(REPLAY)
	prove -j$(CHECK_JOBS) --failures --comments tests/*.t

# The same suite with everything built under ASan and UBSan (leaks too).
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
check-asan:
	$(MAKE) clean
	LSAN_OPTIONS=suppressions=$$(pwd)/tests/lsan.supp \
		$(MAKE) CFLAGS="$(CFLAGS) $(SANFLAGS)" \
		LDFLAGS="$(LDFLAGS) $(SANFLAGS)" check
	$(MAKE) clean

# The suite built with ThreadSanitizer (clang): the daemon's threads
# (task.c: a new generation read, pacman.conf on SIGHUP, the last
# generation freed) against its loop.  A report fails the daemon's exit.
TSANFLAGS = -fsanitize=thread -fno-omit-frame-pointer
check-tsan:
	$(MAKE) clean
	TSAN_OPTIONS="halt_on_error=1 exitcode=66" $(MAKE) CC=clang \
		CFLAGS="$(CFLAGS) $(TSANFLAGS)" LDFLAGS="$(LDFLAGS) $(TSANFLAGS)" \
		check
	$(MAKE) clean

# The suite with every daemon under valgrind (tests/vg-omg).
check-valgrind: omg $(UNIT) $(REPLAY)
	OMG=$$(pwd)/tests/vg-omg prove tests/*.t

# Speed, next to baselines measured in the same run (not part of check).
tests/bench/bench: tests/bench/bench.c
	$(CC) -O2 -Wall -Wextra -o $@ tests/bench/bench.c

bench: omg tests/bench/bench
	./tests/bench/run

# Installs the dependencies (Debian or Arch), builds, and runs a daemon on
# a sample pacman database made by tests/mkfixture.
deps:
	./tests/deps

demo: omg
	./tests/demo

clean:
	rm -f omg $(OBJ) $(UNIT) $(REPLAY) tests/bench/bench \
		src/config.h src/config.cflags src/config.libs \
		tests/fuzz/fuzz-request \
		tests/fuzz/fuzz-server

install: all
	mkdir -p $(DESTDIR)$(PREFIX)/bin
	cp -f omg $(DESTDIR)$(PREFIX)/bin/omg
	chmod 755 $(DESTDIR)$(PREFIX)/bin/omg
	ln -sf omg $(DESTDIR)$(PREFIX)/bin/omgd
	mkdir -p $(DESTDIR)$(PREFIX)/lib/systemd/user
	sed 's|@BINDIR@|$(PREFIX)/bin|' systemd/omgd.service.in \
		> $(DESTDIR)$(PREFIX)/lib/systemd/user/omgd.service
	cp -f systemd/omgd.socket systemd/omg-advisories.service \
		systemd/omg-advisories.timer \
		$(DESTDIR)$(PREFIX)/lib/systemd/user/
	chmod 644 $(DESTDIR)$(PREFIX)/lib/systemd/user/omgd.service \
		$(DESTDIR)$(PREFIX)/lib/systemd/user/omgd.socket \
		$(DESTDIR)$(PREFIX)/lib/systemd/user/omg-advisories.service \
		$(DESTDIR)$(PREFIX)/lib/systemd/user/omg-advisories.timer
	mkdir -p $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	cp -f completion/omg.bash \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/omg
	cp -f completion/_omg $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_omg
	mkdir -p $(DESTDIR)$(PREFIX)/share/omg
	cp -f shell/command-not-found.bash shell/command-not-found.zsh \
		shell/command-not-found.fish contrib/waybar/omg-updates \
		$(DESTDIR)$(PREFIX)/share/omg/
	cp -f completion/omg.fish \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/omg.fish
	mkdir -p $(DESTDIR)$(MANPREFIX)/man1 $(DESTDIR)$(MANPREFIX)/man5 \
		$(DESTDIR)$(MANPREFIX)/man7
	cp -f man/omg.1 $(DESTDIR)$(MANPREFIX)/man1/omg.1
	ln -sf omg.1 $(DESTDIR)$(MANPREFIX)/man1/omgd.1
	cp -f man/omg.conf.5 $(DESTDIR)$(MANPREFIX)/man5/omg.conf.5
	cp -f man/omg-protocol.7 $(DESTDIR)$(MANPREFIX)/man7/omg-protocol.7
	chmod 644 $(DESTDIR)$(MANPREFIX)/man1/omg.1 \
		$(DESTDIR)$(MANPREFIX)/man5/omg.conf.5 \
		$(DESTDIR)$(MANPREFIX)/man7/omg-protocol.7
	rm -rf $(DESTDIR)$(PREFIX)/share/omg

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/omg $(DESTDIR)$(PREFIX)/bin/omgd \
		$(DESTDIR)$(PREFIX)/lib/systemd/user/omgd.service \
		$(DESTDIR)$(PREFIX)/lib/systemd/user/omgd.socket \
		$(DESTDIR)$(PREFIX)/lib/systemd/user/omg-advisories.service \
		$(DESTDIR)$(PREFIX)/lib/systemd/user/omg-advisories.timer \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/omg \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_omg \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/omg.fish \
		$(DESTDIR)$(MANPREFIX)/man1/omg.1 \
		$(DESTDIR)$(MANPREFIX)/man1/omgd.1 \
		$(DESTDIR)$(MANPREFIX)/man5/omg.conf.5 \
		$(DESTDIR)$(MANPREFIX)/man7/omg-protocol.7

.PHONY: FORCE all bench check check-asan check-tsan check-valgrind fuzz deps demo clean install uninstall
