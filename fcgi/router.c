/* router.c — segment-by-segment matching against a table read top to bottom. */
#include "router.h"
#include <string.h>

/* Matches pattern against path; captures ":x" segments into params. */
static bool match(const char *pat, const char *path, arena *a, const char **params, int *np)
{
    int n = 0;
    while (*pat && *path) {
        if (*pat != '/' || *path != '/')
            return false;
        pat++;
        path++;
        const char *pe = strchr(pat, '/'), *se = strchr(path, '/');
        size_t pl = pe ? (size_t)(pe - pat) : strlen(pat);
        size_t sl = se ? (size_t)(se - path) : strlen(path);
        if (pat[0] == ':') {
            if (sl == 0 || n >= ROUTER_MAX_PARAMS)
                return false;
            if (params)
                params[n] = arena_strndup(a, path, sl);
            n++;
        } else if (pl != sl || strncmp(pat, path, pl) != 0) {
            return false;
        }
        pat += pl;
        path += sl;
    }
    if (*pat || *path)
        return false;
    *np = n;
    return true;
}

const struct route *router_match(const struct route *table, size_t n, const char *method, const char *path,
                                 arena *a, const char **params, int *nparams, bool *path_known)
{
    *path_known = false;
    *nparams = 0;
    bool head = !strcmp(method, "HEAD");
    for (size_t i = 0; i < n; i++) {
        int np;
        if (!match(table[i].pattern, path, NULL, NULL, &np))
            continue;
        if (strcmp(table[i].method, method) != 0 && !(head && !strcmp(table[i].method, "GET"))) {
            *path_known = true;
            continue;
        }
        match(table[i].pattern, path, a, params, nparams);
        return &table[i];
    }
    return NULL;
}
