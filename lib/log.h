/* log.h — structured one-line logs to stderr: time, level, worker, request id, message. */
#ifndef GIGD_LOG_H
#define GIGD_LOG_H

/* Process-wide tags set by the worker; request id is per request (may be NULL). */
void log_set_worker(int worker_id);
void log_set_request(const char *request_id);

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* For loud events operators must notice (crash storms). */
void log_alert(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
