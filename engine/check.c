/* engine/check.c - placeholder until the module lands. */
#include <config.h>
int rowfs_placeholder_check;
