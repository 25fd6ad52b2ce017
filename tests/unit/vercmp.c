/*
 * vercmp.c - print vercmp(a, b) for each pair of lines "a b" on stdin, as
 * pacman's vercmp(8) prints it, for tests/21-vercmp.t to compare.
 */
#include <stdio.h>
#include <string.h>

#include "vercmp.h"

int
main(void)
{
	char	line[512], *a, *b;
	int	rc;

	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		a = line;
		if ((b = strchr(line, ' ')) == NULL)
			continue;
		*b++ = '\0';
		rc = vercmp(a, b);
		printf("%d\n", rc < 0 ? -1 : rc > 0);
	}
	return 0;
}
