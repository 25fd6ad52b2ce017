# omg version
VERSION = 0.1.0

# paths
PREFIX = /usr/local
MANPREFIX = $(PREFIX)/share/man

PKG_CONFIG = pkg-config

# libalpm is loaded with dlopen(3), by the soname matching the alpm.h we
# compile against.  alpm.h sits in the default include path on Debian and
# Arch; "pkg-config --cflags libalpm" would demand libcurl's and gpgme's
# development files, which omg never uses.  libsqlite3 is dlopen'd too
# (libsqlite3.so.0), so only its headers are needed here.  libev ships no
# .pc file.
ALPM_MAJOR != $(PKG_CONFIG) --modversion libalpm | cut -d. -f1
DEPS_CFLAGS != $(PKG_CONFIG) --cflags libcbor sqlite3
DEPS_LIBS != $(PKG_CONFIG) --libs libcbor

CPPFLAGS = -D_GNU_SOURCE -DOMG_VERSION='"$(VERSION)"' \
	-DALPM_SONAME='"libalpm.so.$(ALPM_MAJOR)"'
CFLAGS = -std=c11 -O2 -g -Wall -Wextra -pedantic -Werror $(DEPS_CFLAGS)
LDFLAGS =
LDLIBS = -lev $(DEPS_LIBS) -ldl

CC = cc
