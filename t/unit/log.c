/* t/unit/log.c — the JSON log format: every line one JSON object, whatever the message
 * holds (quotes, backslashes, control characters, newlines), with the request fields. */
#include "tap.h"
#include "log.h"
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Runs fn with stderr captured; returns what it wrote (static buffer). */
static const char *capture(void (*fn)(void))
{
    static char buf[8192];
    FILE *tmp = tmpfile();
    int saved = dup(STDERR_FILENO);
    if (!tmp || saved < 0)
        return "";
    dup2(fileno(tmp), STDERR_FILENO);
    fn();
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(tmp);
    size_t n = fread(buf, 1, sizeof buf - 1, tmp);
    buf[n] = '\0';
    fclose(tmp);
    return buf;
}

static void nasty(void) { log_error("quote \" backslash \\ tab \t bell \a newline \n end"); }
static void request(void) { log_request("GET", "/api/gigs?q=\"x\"", "/api/gigs", 200, 1.5, "u-1"); }
static void anonymous(void) { log_request("POST", "/api/auth/signin", "/api/auth/signin", 401, 0.25, NULL); }
static void long_line(void)
{
    char big[4000];
    memset(big, '"', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    log_warn("%s", big);
}

static cJSON *one_object(const char *out, const char *what)
{
    size_t len = strlen(out);
    ok(len > 0 && out[len - 1] == '\n' && !memchr(out, '\n', len - 1), "%s: exactly one line", what);
    cJSON *j = cJSON_Parse(out);
    ok(cJSON_IsObject(j), "%s: parses as a JSON object", what);
    return j;
}

int main(void)
{
    log_set_json(true);
    log_set_worker(3);
    log_set_request("abc123");
    cJSON *j = one_object(capture(nasty), "error with quotes and control characters");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(j, "level")), "error", "level");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(j, "request_id")), "abc123", "request id");
    ok(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "worker")) == 3, "worker");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(j, "msg")), "quote \" backslash \\ tab \t bell \a newline \n end",
           "the message survives intact");
    cJSON_Delete(j);

    j = one_object(capture(request), "access line");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(j, "route")), "/api/gigs", "route");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(j, "path")), "/api/gigs?q=\"x\"", "path");
    ok(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "status")) == 200, "status");
    ok(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "duration_ms")) == 1.5, "duration");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(j, "user_id")), "u-1", "user id");
    cJSON_Delete(j);
    j = one_object(capture(anonymous), "anonymous access line");
    ok(!cJSON_GetObjectItem(j, "user_id"), "no user id when anonymous");
    cJSON_Delete(j);
    j = one_object(capture(long_line), "a message longer than a line");
    cJSON_Delete(j);

    log_set_json(false);
    const char *t = capture(request);
    is_str(t, "", "text format: a request that went well is not logged");
    t = capture(nasty);
    ok(strstr(t, " error pid=") && strstr(t, " worker=3 req=abc123 quote"), "text format: the old line");
    return done_testing();
}
