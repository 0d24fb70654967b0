/* log.c - leveled logging to stderr, with repeated lines rate-limited
 * (see log.h). Worker threads log too, so the kinds table has a lock. */
#include "log.h"

#include <glib.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Kinds tracked at once; a format past that is never held back. */
#define LOG_KINDS 256

struct kind {
	const char *fmt;     /* the format string's address names the kind */
	enum log_level level;
	double tokens;       /* lines it may write now */
	int64_t stamp;       /* when tokens were refilled, monotonic us */
	uint64_t suppressed; /* lines left out since the last summary */
};

static struct kind kinds[LOG_KINDS];
static GMutex kinds_lock;

static enum log_level current_level = LOG_INFO;
static const char *level_names[] = { "debug", "info", "warn", "error" };

bool log_parse_level(const char *name, enum log_level *level)
{
	for (int i = LOG_DEBUG; i <= LOG_ERROR; i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*level = (enum log_level)i;
			return true;
		}
	}
	return false;
}

void log_set_level(enum log_level level)
{
	current_level = level;
}

bool log_enabled(enum log_level level)
{
	return level >= current_level;
}

static void write_line(enum log_level level, const char *fmt, va_list ap)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	flockfile(stderr);
	fprintf(stderr, "%s natterd %s: ", stamp, level_names[level]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

static void write_plain(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void write_plain(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	write_line(level, fmt, ap);
	va_end(ap);
}

static void write_summary(enum log_level level, uint64_t suppressed, const char *fmt)
{
	write_plain(level, "suppressed %" PRIu64 " similar line%s like: %s", suppressed,
		    suppressed == 1 ? "" : "s", fmt);
}

/* The kind of @fmt, found or added (open addressing on the address), or
 * NULL when the table is full. Called with kinds_lock held. */
static struct kind *find_kind(const char *fmt, enum log_level level, int64_t now)
{
	size_t start = ((uintptr_t)fmt >> 3) % LOG_KINDS;

	for (size_t i = 0; i < LOG_KINDS; i++) {
		struct kind *k = &kinds[(start + i) % LOG_KINDS];
		if (k->fmt == fmt)
			return k;
		if (k->fmt == NULL) {
			k->fmt = fmt;
			k->level = level;
			k->tokens = LOG_BURST;
			k->stamp = now;
			return k;
		}
	}
	return NULL;
}

static void refill(struct kind *k, int64_t now)
{
	k->tokens = MIN((double)LOG_BURST, k->tokens + (double)(now - k->stamp) / 1e6 * LOG_RATE);
	k->stamp = now;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	int64_t now = g_get_monotonic_time();
	uint64_t owed = 0;
	struct kind *k;
	va_list ap;

	if (!log_enabled(level))
		return;
	g_mutex_lock(&kinds_lock);
	k = find_kind(fmt, level, now);
	if (k != NULL) {
		refill(k, now);
		if (k->tokens < 1.0) {
			k->suppressed++;
			g_mutex_unlock(&kinds_lock);
			return;
		}
		k->tokens -= 1.0;
		owed = k->suppressed;
		k->suppressed = 0;
	}
	g_mutex_unlock(&kinds_lock);
	if (owed > 0)
		write_summary(level, owed, fmt);
	va_start(ap, fmt);
	write_line(level, fmt, ap);
	va_end(ap);
}

/* Writes the summaries owed: all of them (@force), or those of kinds that
 * may write a line again. */
static void summarize(bool force)
{
	int64_t now = g_get_monotonic_time();

	for (size_t i = 0; i < LOG_KINDS; i++) {
		struct kind *k = &kinds[i];
		uint64_t owed = 0;
		g_mutex_lock(&kinds_lock);
		if (k->fmt != NULL && k->suppressed > 0) {
			refill(k, now);
			if (force || k->tokens >= 1.0) {
				k->tokens = MAX(0.0, k->tokens - 1.0);
				owed = k->suppressed;
				k->suppressed = 0;
			}
		}
		g_mutex_unlock(&kinds_lock);
		if (owed > 0)
			write_summary(k->level, owed, k->fmt);
	}
}

void log_tick(void)
{
	summarize(false);
}

void log_flush(void)
{
	summarize(true);
}
