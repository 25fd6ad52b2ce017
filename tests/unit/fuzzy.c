/*
 * fuzzy.c - unit tests for query_fuzzy, the distance behind suggest.
 */
#include "query.h"
#include "tap.h"

int
main(void)
{
	ok(query_fuzzy("firefox", "firefox") == 0, "equal: 0");
	ok(query_fuzzy("fierfox", "firefox") == 1, "a transposition costs 1");
	ok(query_fuzzy("FIREFOX", "firefox") == 0, "case does not count");
	ok(query_fuzzy("firfox", "firefox") == 1, "a missing letter costs 1");
	ok(query_fuzzy("firef", "firefox-i18n-de") == 0,
	    "a prefix of the name costs nothing");
	ok(query_fuzzy("fierf", "firefox") == 1, "a typo in a prefix costs 1");
	ok(query_fuzzy("zzz", "firefox") == 3, "unrelated names are far");
	ok(query_fuzzy("a", "") == 1, "an empty name");
	ok(query_fuzzy("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"
	    "abcdefghijklmnopqrstuvwxyz", "abc") > 2,
	    "long inputs are clamped, not overflowed");
	return tap_done();
}
