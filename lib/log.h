/* log.h — structured one-line logs to stderr: time, level, worker, request id, message;
 * plain text, or one JSON object per line (GIGD_LOG_FORMAT=json). */
#ifndef GIGD_LOG_H
#define GIGD_LOG_H
#include <stdbool.h>

/* Process-wide tags set by the worker; request id is per request (may be NULL). */
void log_set_worker(int worker_id);
void log_set_request(const char *request_id);
/* The current request id ("" between requests); owned by the log module. */
const char *log_request_id(void);
/* JSON lines instead of text (set by config_load from GIGD_LOG_FORMAT). */
void log_set_json(bool on);

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* For loud events operators must notice (crash storms). */
void log_alert(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* One served request. JSON: an access line for every request (route is the matched
 * pattern or NULL, user_id NULL when anonymous); text: only 5xx, as an error. */
void log_request(const char *method, const char *path, const char *route, int status, double ms,
                 const char *user_id);

#endif
