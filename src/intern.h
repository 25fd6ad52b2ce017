/*
 * intern.h - byte strings to small numbers, for the rebuilder's files
 * index: each distinct directory and file name is stored once and the
 * three or four million paths of the .files databases refer to them.
 */
#ifndef OMG_INTERN_H
#define OMG_INTERN_H

#include <stddef.h>
#include <stdint.h>

struct intern;

struct intern	*intern_new(void);
/*
 * The number of s[0..n), from 1 in order of first sight; *fresh is 1 when
 * it was not seen before.
 */
uint32_t	 intern_id(struct intern *, const char *, size_t, int *);
void		 intern_free(struct intern *);

#endif
