/*
 * render.c - owns the decimal form of ids used for names in by-id/ (the
 * lines of every rendering are the engine's: rowfs_line).
 */
#include <config.h>
#include "render.h"

#include <string.h>

/* "00" "01" ... "99": two digits per division. */
static const char digit_pairs[201] =
		"0001020304050607080910111213141516171819"
		"2021222324252627282930313233343536373839"
		"4041424344454647484950515253545556575859"
		"6061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";

size_t render_u32(char *dst, uint32_t v)
{
	size_t len = v < 10u ? 1 : v < 100u ? 2 : v < 1000u ? 3 : v < 10000u ? 4 :
		     v < 100000u ? 5 : v < 1000000u ? 6 : v < 10000000u ? 7 :
		     v < 100000000u ? 8 : v < 1000000000u ? 9 : 10;
	char *p = dst + len;

	/* right to left, straight into place */
	while (v >= 100) {
		uint32_t q = v / 100;

		p -= 2;
		memcpy(p, digit_pairs + 2 * (v - 100 * q), 2);
		v = q;
	}
	if (v >= 10)
		memcpy(p - 2, digit_pairs + 2 * v, 2);
	else
		p[-1] = (char)('0' + v);
	return len;
}
