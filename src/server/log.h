/* log.h - leveled logging to stderr, one line per event.
 *
 * Repeated lines are rate-limited, so that an attack (thousands of refused
 * connections a second) cannot flood the log or the disk: every format
 * string is one kind of line; a kind may write LOG_BURST lines at once, then
 * LOG_RATE a second. Lines past that are counted, and one summary line
 * says how many were left out ("suppressed 2712 similar lines like: refused
 * %s: %s") as soon as the kind may write again, at the latest on the next
 * log_tick(). */
#ifndef NATTERD_LOG_H
#define NATTERD_LOG_H

#include <stdbool.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Parses "debug", "info", "warn" or "error"; false when unknown. */
bool log_parse_level(const char *name, enum log_level *level);
void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define LOG_BURST 50  /* lines of one kind written at once */
#define LOG_RATE 10.0 /* lines of one kind a second after the burst */

/* Once a second: writes the summaries of kinds that were held back. */
void log_tick(void);
/* At exit: writes every summary still owed. */
void log_flush(void);

#define log_debug(...) do { if (log_enabled(LOG_DEBUG)) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
