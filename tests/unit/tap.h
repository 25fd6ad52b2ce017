/*
 * tap.h - the smallest TAP producer, for the unit test programs.
 */
#ifndef OMG_TAP_H
#define OMG_TAP_H

#include <stdio.h>

static int	tap_n, tap_failed;

#define ok(cond, ...) do {						\
	int	tap_c = (cond);						\
	printf("%sok %d - ", tap_c ? "" : "not ", ++tap_n);		\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	if (!tap_c) {							\
		tap_failed++;						\
		printf("#   failed at %s:%d\n", __FILE__, __LINE__);	\
	}								\
} while (0)

static int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}

#endif
