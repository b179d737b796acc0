/*
 * ops_stub.c - the operations tables the kind table (fs/path.c) names,
 * empty, for the fuzz targets that link path.c without the daemon: they
 * parse names and never open a file.
 */
#include <config.h>

#include "handle.h"

const struct fs_file_ops fs_ctl_ops;
const struct fs_file_ops fs_changes_ops;
const struct fs_file_ops fs_stream_ops;
const struct fs_file_ops fs_text_ops;
const struct fs_file_ops fs_row_ops;
const struct fs_file_ops fs_import_ops;
const struct fs_file_ops fs_tmp_ops;
const struct fs_file_ops fs_log_ops;
