/* Where prism's data (configs/, tests/fixtures/: the bundled profile, the
 * digits set, tiny-gpt2) is found, from any working directory, for a
 * source-tree build and an installed one alike. A name is looked for, in
 * order: as given (relative to the working directory), under
 * $PRISM_DATA_DIR, under <dir of the binary>/../share/prism (an install:
 * bin/prism and share/prism side by side, also under a DESTDIR), under
 * <dir of the binary>/.. (a build tree: build/prism in the repository) and
 * under PRISM_DATADIR, the install prefix's data directory the binary was
 * built for. No build-tree path is compiled in. */
#include "cli/cli.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef PRISM_DATADIR
#define PRISM_DATADIR "/usr/local/share/prism"
#endif

static int readable(const char *p)
{
    return access(p, R_OK) == 0;
}

/* the directory of the running binary, "" when unknown */
static void exe_dir(char *out, size_t n)
{
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    out[0] = '\0';
    if (len <= 0)
        return;
    self[len] = '\0';
    char *slash = strrchr(self, '/');
    if (slash) {
        *slash = '\0';
        snprintf(out, n, "%s", self);
    }
}

int cli_data_dir(char *out, size_t n)
{
    char exe[PATH_MAX], cand[4][PATH_MAX + 32];
    exe_dir(exe, sizeof exe);
    const char *env = getenv("PRISM_DATA_DIR");
    int k = 0;
    if (env && *env)
        snprintf(cand[k++], sizeof cand[0], "%s", env);
    if (*exe) {
        snprintf(cand[k++], sizeof cand[0], "%s/../share/prism", exe);
        snprintf(cand[k++], sizeof cand[0], "%s/..", exe);
    }
    snprintf(cand[k++], sizeof cand[0], "%s", PRISM_DATADIR);
    for (int i = 0; i < k; i++) {
        char probe[sizeof cand[0] + 32];
        snprintf(probe, sizeof probe, "%s/configs/hybrid.yaml", cand[i]);
        if (readable(probe)) {
            char real[PATH_MAX];
            snprintf(out, n, "%s", realpath(cand[i], real) ? real : cand[i]);
            return 0;
        }
    }
    return -1;
}

const char *cli_data_path(const char *rel, char *out, size_t n)
{
    if (readable(rel)) {
        snprintf(out, n, "%s", rel);
        return out;
    }
    char dir[PATH_MAX];
    if (rel[0] != '/' && cli_data_dir(dir, sizeof dir) == 0) {
        snprintf(out, n, "%s/%s", dir, rel);
        if (readable(out))
            return out;
    }
    return NULL;
}
