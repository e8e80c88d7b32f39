// util/tree: rm -r for the directories the program made itself (util.h).
#define _XOPEN_SOURCE 700 // nftw

#include <ftw.h>
#include <stdio.h>
#include <unistd.h>

#include "util/util.h"

static int remove_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw) {
    (void)sb, (void)ftw;
    return type == FTW_DP ? rmdir(path) : unlink(path);
}

int cx_remove_tree(const char *path) {
    if (!cx_path_exists(path)) return 0;
    return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) ? -1 : 0;
}
