# omg version
VERSION = 0.1.0

# paths
PREFIX = /usr/local
MANPREFIX = $(PREFIX)/share/man

PKG_CONFIG = pkg-config

# What pkg-config says is asked when the build starts, not here: see
# src/mkconfig, which writes src/config.h (VERSION and libalpm's soname),
# src/config.cflags and src/config.libs.  libalpm and libsqlite3 are
# loaded with dlopen(3), so only their headers are needed; libev ships no
# .pc file.
CPPFLAGS = -D_GNU_SOURCE
CFLAGS = -std=c11 -O2 -g -Wall -Wextra -pedantic -Werror -pthread
LDFLAGS = -pthread
LDLIBS = -lev $(DEPS_LIBS) -ldl

CC = cc

# test files make check runs at once (prove -j)
CHECK_JOBS = 4
