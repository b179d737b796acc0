/* engine/btree.c - placeholder until the module lands. */
#include <config.h>
int rowfs_placeholder_btree;
