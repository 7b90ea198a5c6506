/* Unit tests for lib/mpstream.c: boundaries from Content-Type, parts with quoted
 * filenames, every split of a body across two feeds, bytes that look like a
 * delimiter, and malformed bodies. */
#include "tap.h"
#include "mpstream.h"
#include "buf.h"
#include <stdio.h>
#include <string.h>

struct collect {
    int parts;
    char name[4][128], filename[4][256], ctype[4][128];
    char data[4][512];
    size_t len[4];
    int ended;
    int abort_at_begin;
};

static int on_begin(void *ud, const struct mps_part *p)
{
    struct collect *c = ud;
    if (c->abort_at_begin)
        return 1;
    if (c->parts < 4) {
        strcpy(c->name[c->parts], p->name);
        strcpy(c->filename[c->parts], p->filename);
        strcpy(c->ctype[c->parts], p->content_type);
        c->len[c->parts] = 0;
    }
    c->parts++;
    return 0;
}

static int on_data(void *ud, const char *d, size_t n)
{
    struct collect *c = ud;
    int i = c->parts - 1;
    if (i < 4 && c->len[i] + n < sizeof c->data[i]) {
        memcpy(c->data[i] + c->len[i], d, n);
        c->len[i] += n;
    }
    return 0;
}

static int on_end(void *ud)
{
    ((struct collect *)ud)->ended++;
    return 0;
}

static const struct mps_callbacks cbs = {on_begin, on_data, on_end};

static int parse(const char *boundary, const char *body, size_t len, size_t split, struct collect *c)
{
    struct mps p;
    memset(c, 0, sizeof *c);
    mps_init(&p, boundary, &cbs, c);
    int rc = mps_feed(&p, body, split);
    if (rc == MPS_OK)
        rc = mps_feed(&p, body + split, len - split);
    if (rc == MPS_OK)
        rc = mps_finish(&p);
    return rc;
}

static int parse_bytewise(const char *boundary, const char *body, size_t len, struct collect *c)
{
    struct mps p;
    memset(c, 0, sizeof *c);
    mps_init(&p, boundary, &cbs, c);
    for (size_t i = 0; i < len; i++)
        if (mps_feed(&p, body + i, 1) != MPS_OK)
            return p.rc;
    return mps_finish(&p);
}

int main(void)
{
    char b[MPS_BOUNDARY_MAX + 1];
    ok(mps_boundary("multipart/form-data; boundary=abc123", b, sizeof b) && !strcmp(b, "abc123"), "plain boundary");
    ok(mps_boundary("Multipart/Form-Data;boundary=\"a b:c\"", b, sizeof b) && !strcmp(b, "a b:c"), "quoted boundary");
    ok(mps_boundary("multipart/form-data; charset=utf-8; boundary=----x", b, sizeof b) && !strcmp(b, "----x"),
       "boundary after another parameter");
    ok(!mps_boundary("application/json", b, sizeof b), "not multipart");
    ok(!mps_boundary("multipart/form-data", b, sizeof b), "no boundary");
    ok(!mps_boundary("multipart/form-data; boundary=", b, sizeof b), "empty boundary");
    ok(!mps_boundary("multipart/form-data; boundary=\"abc", b, sizeof b), "unterminated quote");
    char longb[100];
    memset(longb, 'a', 71);
    longb[71] = 0;
    char ct[200];
    snprintf(ct, sizeof ct, "multipart/form-data; boundary=%s", longb);
    ok(!mps_boundary(ct, b, sizeof b), "71-character boundary refused");
    ok(!mps_boundary("multipart/form-data; boundary=a\x01" "b", b, sizeof b), "control byte refused");

    const char *body = "preamble\r\n"
                       "--XyZ\r\n"
                       "Content-Disposition: form-data; name=\"note\"\r\n"
                       "\r\n"
                       "hello\r\n--Xy not a delimiter\r\n"
                       "--XyZ  \r\n"
                       "content-disposition: form-data; name=\"file\"; filename=\"we \\\"ird\\\";name.txt\"\r\n"
                       "Content-Type: text/plain\r\n"
                       "\r\n"
                       "\r\r\n\r\n-\r\n--Xy-Z\r\n"
                       "--XyZ--\r\n"
                       "epilogue --XyZ garbage";
    size_t len = strlen(body);
    struct collect c;
    int all_ok = 1;
    for (size_t split = 0; split <= len; split++) {
        int rc = parse("XyZ", body, len, split, &c);
        if (rc != MPS_OK || c.parts != 2 || c.ended != 2 || c.len[0] != 27 ||
            memcmp(c.data[0], "hello\r\n--Xy not a delimiter", 27) || c.len[1] != 14 ||
            memcmp(c.data[1], "\r\r\n\r\n-\r\n--Xy-Z", 14) || strcmp(c.filename[1], "we \"ird\";name.txt")) {
            all_ok = 0;
            printf("# split %zu failed: rc=%d parts=%d\n", split, rc, c.parts);
            break;
        }
    }
    ok(all_ok, "every split of the body across two feeds gives the same two parts");
    ok(parse_bytewise("XyZ", body, len, &c) == MPS_OK && c.parts == 2, "one byte at a time");
    is_str(c.name[0], "note", "first part name");
    is_str(c.name[1], "file", "second part name");
    is_str(c.filename[1], "we \"ird\";name.txt", "quoted filename with escapes and ;");
    is_str(c.ctype[1], "text/plain", "part content type");
    is_str(c.filename[0], "", "no filename");

    const char *nohdr = "--b\r\n\r\nraw\r\n--b--";
    ok(parse("b", nohdr, strlen(nohdr), 3, &c) == MPS_OK && c.parts == 1 && c.len[0] == 3, "part without headers");
    const char *empty = "--b\r\nContent-Disposition: form-data; name=x\r\n\r\n\r\n--b--\r\n";
    ok(parse("b", empty, strlen(empty), 10, &c) == MPS_OK && c.len[0] == 0 && !strcmp(c.name[0], "x"),
       "empty part, unquoted name");

    const char *bad[] = {
        "--b\r\nContent-Disposition: form-data; name=\"x\r\n\r\ndata\r\n--b--",   /* unterminated quote */
        "--b\r\nContent-Disposition: form-data\r\n\r\ndata",                        /* no closing delimiter */
        "--b\r\nNoColonHere\r\n\r\ndata\r\n--b--",                                   /* header without colon */
        "--bx\r\n\r\ndata\r\n--b--",                                                 /* delimiter not ending its line */
        "--b\r\nContent-Disposition: attachment\r\n\r\nd\r\n--b--",                  /* not form-data */
        "--b\r\n Folded: x\r\n\r\nd\r\n--b--",                                       /* obsolete folding */
        "no delimiter at all",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ok(parse("b", bad[i], strlen(bad[i]), strlen(bad[i]) / 2, &c) == MPS_MALFORMED, "malformed body %zu refused", i);

    char big[MPS_HEADERS_MAX + 64];
    memset(big, 'a', sizeof big);
    memcpy(big, "--b\r\nX: ", 8);
    ok(parse("b", big, sizeof big, 100, &c) == MPS_MALFORMED, "header block over 8 KiB refused");

    c.abort_at_begin = 1;
    struct mps p;
    mps_init(&p, "XyZ", &cbs, &c);
    c.abort_at_begin = 1;
    ok(mps_feed(&p, body, len) == MPS_ABORTED, "a callback can stop the parse");
    ok(mps_feed(&p, "more", 4) == MPS_ABORTED, "the error is sticky");
    /* mps_find: one named part of a mem held in memory */
    {
        arena *a = arena_new(4096);
        const char *mem = "--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n"
                           "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a \\\"b\\\".png\"\r\n"
                           "Content-Type: image/png\r\n\r\n\x89PNG\r\n--X\r\n--XyZ--\r\n";
        struct buf out;
        struct mps_part part;
        buf_init(&out, a, 16);
        is_int(mps_find(mem, strlen(mem), "XyZ", "file", &out, &part), 1, "mps_find finds the file part");
        is_int((long long)out.len, 9, "its bytes, a delimiter look-alike included");
        ok(!memcmp(out.p, "\x89PNG\r\n--X", 9), "content intact");
        is_str(part.content_type, "image/png", "part headers returned");
        buf_init(&out, a, 16);
        is_int(mps_find(mem, strlen(mem), "XyZ", "missing", &out, NULL), 0, "absent part → 0");
        buf_init(&out, a, 16);
        is_int(mps_find(mem, strlen(mem) - 9, "XyZ", "file", &out, NULL), -1, "no closing delimiter → malformed");
        arena_free(a);
    }
    return done_testing();
}
