/* multipart.c — unit tests of lib/multipart.c: boundaries, part lookup, malformed input. */
#include "multipart.h"
#include "tap.h"
#include <stdlib.h>

static int find(const char *body, const char *boundary, const char *name, struct mpart *p)
{
    return multipart_find(body, strlen(body), boundary, name, p);
}

int main(void)
{
    plan(37);
    char b[MULTIPART_BOUNDARY_MAX + 1];

    /* boundaries */
    ok(multipart_boundary("multipart/form-data; boundary=abc123", b, sizeof b), "plain boundary");
    is_str(b, "abc123", "value");
    ok(multipart_boundary("Multipart/Form-Data;boundary=\"a b'c\"", b, sizeof b), "quoted, case-insensitive type");
    is_str(b, "a b'c", "quoted value with space");
    ok(multipart_boundary("multipart/form-data; charset=utf-8; BOUNDARY=----WebKitFormBoundary7MA4YWxk", b, sizeof b),
       "boundary after another parameter, name case-insensitive");
    is_str(b, "----WebKitFormBoundary7MA4YWxk", "webkit boundary");
    ok(!multipart_boundary("application/json; boundary=abc", b, sizeof b), "not multipart/form-data");
    ok(!multipart_boundary("multipart/form-data", b, sizeof b), "no boundary");
    ok(!multipart_boundary("multipart/form-data; boundary=", b, sizeof b), "empty boundary");
    ok(!multipart_boundary("multipart/form-data; boundary=\"abc", b, sizeof b), "unterminated quote");
    char longb[200] = "multipart/form-data; boundary=";
    memset(longb + strlen(longb), 'x', 71);
    ok(!multipart_boundary(longb, b, sizeof b), "71-character boundary refused");
    ok(!multipart_boundary("multipart/form-data; boundary=a<b", b, sizeof b), "illegal character refused");
    ok(!multipart_boundary(NULL, b, sizeof b), "NULL content type");
    ok(!multipart_boundary("multipart/form-datax; boundary=a", b, sizeof b), "type must match exactly");

    /* parts */
    struct mpart p;
    const char *body = "--XyZ\r\n"
                       "Content-Disposition: form-data; name=\"title\"\r\n\r\n"
                       "hello\r\n"
                       "--XyZ\r\n"
                       "Content-Disposition: form-data; name=\"file\"; filename=\"a \\\"b\\\".png\"\r\n"
                       "Content-Type: image/png\r\n\r\n"
                       "\x89PNG\r\n--XyZnot-a-delimiter\r\n"
                       "--XyZ--\r\n";
    is_int(find(body, "XyZ", "file", &p), 1, "file part found");
    is_int(p.len, strlen("\x89PNG\r\n--XyZnot-a-delimiter"), "content up to the real delimiter");
    ok(!memcmp(p.data, "\x89PNG", 4), "content starts right");
    is_str(p.filename, "a \"b\".png", "filename unescaped");
    is_str(p.content_type, "image/png", "part content type");
    is_int(find(body, "XyZ", "title", &p), 1, "first part found");
    is_int(p.len, 5, "first part length");
    is_int(find(body, "XyZ", "missing", &p), 0, "absent part: 0");
    is_int(find(body, "XyZ", "fil", &p), 0, "name must match exactly");

    const char *preamble = "preamble text\r\n--b\r\nContent-Disposition: form-data; name=file\r\n\r\nDATA\r\n--b--";
    is_int(find(preamble, "b", "file", &p), 1, "preamble and unquoted name");
    is_int(p.len, 4, "length");
    const char *empty = "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n\r\n--b--\r\n";
    is_int(find(empty, "b", "file", &p), 1, "empty part");
    is_int(p.len, 0, "length 0");
    const char *attach = "--b\r\nContent-Disposition: attachment; name=\"file\"\r\n\r\nx\r\n--b--";
    is_int(find(attach, "b", "file", &p), 0, "not form-data: ignored");

    /* malformed */
    is_int(find("", "b", "file", &p), -1, "empty body");
    is_int(find("no delimiter here", "b", "file", &p), -1, "no delimiter");
    is_int(find("--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nunterminated", "b", "file", &p), -1,
           "part never closed");
    is_int(find("--b\r\nContent-Disposition: form-data; name=\"file\"", "b", "file", &p), -1, "headers never end");
    is_int(find("--b\r\nno colon line\r\n\r\nx\r\n--b--", "b", "file", &p), -1, "header without colon");
    is_int(find("--bxx", "b", "file", &p), -1, "garbage after delimiter");
    is_int(find("--b\r\nContent-Disposition: form-data; name=\"file\r\n\r\nx\r\n--b--", "b", "file", &p), 0,
           "unterminated quoted name is not a match");
    is_int(find("--b--", "b", "file", &p), 0, "only the close delimiter");
    char huge[300];
    memset(huge, 'y', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    is_int(multipart_find("--b\r\n\r\nx\r\n--b--", 15, huge, "file", &p), -1, "over-long boundary refused");
    return done();
}
