/*
 * replay.c - a plain main() for the fuzz targets: feed every file named
 * (or every file in every directory named) to LLVMFuzzerTestOneInput
 * once, as TAP.  make check replays the corpus this way, no fuzzer needed.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int	n;

static void
run(const char *file)
{
	FILE		*fp;
	uint8_t		*buf;
	long		 len;

	if ((fp = fopen(file, "rb")) == NULL || fseek(fp, 0, SEEK_END) != 0 ||
	    (len = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0) {
		printf("not ok %d - cannot read %s\n", ++n, file);
		exit(1);
	}
	buf = malloc(len > 0 ? (size_t)len : 1);
	if (buf == NULL || fread(buf, 1, (size_t)len, fp) != (size_t)len) {
		printf("not ok %d - cannot read %s\n", ++n, file);
		exit(1);
	}
	fclose(fp);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	printf("ok %d - %s\n", ++n, file);
}

int
main(int argc, char **argv)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	char		 p[4096];
	int		 i;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			if ((d = opendir(argv[i])) == NULL)
				continue;
			while ((de = readdir(d)) != NULL) {
				if (de->d_name[0] == '.')
					continue;
				snprintf(p, sizeof(p), "%s/%s", argv[i],
				    de->d_name);
				run(p);
			}
			closedir(d);
		} else
			run(argv[i]);
	}
	printf("1..%d\n", n);
	return 0;
}
