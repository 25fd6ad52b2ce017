/*
 * fuzzy.c - unit tests for suggest_fuzzy, the distance behind suggest.
 */
#include "suggest.h"
#include "tap.h"

int
main(void)
{
	ok(suggest_fuzzy("firefox", "firefox") == 0, "equal: 0");
	ok(suggest_fuzzy("fierfox", "firefox") == 1, "a transposition costs 1");
	ok(suggest_fuzzy("FIREFOX", "firefox") == 0, "case does not count");
	ok(suggest_fuzzy("firfox", "firefox") == 1, "a missing letter costs 1");
	ok(suggest_fuzzy("firef", "firefox-i18n-de") == 0,
	    "a prefix of the name costs nothing");
	ok(suggest_fuzzy("fierf", "firefox") == 1, "a typo in a prefix costs 1");
	ok(suggest_fuzzy("zzz", "firefox") == 3, "unrelated names are far");
	ok(suggest_fuzzy("a", "") == 1, "an empty name");
	ok(suggest_fuzzy("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"
	    "abcdefghijklmnopqrstuvwxyz", "abc") > 2,
	    "long inputs are clamped, not overflowed");
	return tap_done();
}
