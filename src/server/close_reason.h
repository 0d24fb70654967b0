/* close_reason.h - why a connection closed (conn.c counts and words them). */
#ifndef NATTERD_CLOSE_REASON_H
#define NATTERD_CLOSE_REASON_H

#include <stddef.h>
#include <stdint.h>

/* Why a connection closed. The text the client and its neighbours see
 * (ERROR, QUIT) is derived from it (close_reason_text()), and every close
 * is counted per reason (conn_close_count(), STATS c). */
enum close_reason {
	CLOSE_QUIT,          /* QUIT: "Quit" or "Quit: <detail>" */
	CLOSE_EOF,           /* the client hung up: "Connection closed" */
	CLOSE_READ_ERROR,    /* "Read error: <detail>" */
	CLOSE_WRITE_ERROR,   /* "Write error: <detail>" */
	CLOSE_PING_TIMEOUT,  /* "Ping timeout: <detail>" */
	CLOSE_REG_TIMEOUT,   /* "Registration timed out" */
	CLOSE_HANDSHAKE_TIMEOUT, /* TLS handshake unfinished: "Handshake timed out" */
	CLOSE_SENDQ,         /* "SendQ exceeded" */
	CLOSE_KILLED,        /* KILL: "Killed (<detail>)" */
	CLOSE_EXCESS_FLOOD,  /* "Excess Flood" */
	CLOSE_SHUTDOWN,      /* "Server shutting down" */
	CLOSE_EVICTED,       /* unregistered, pushed out for a newcomer: "<detail>" */
	CLOSE_ERROR,         /* anything else: "<detail>" */
	CLOSE_REASON_COUNT
};

/* Short lower-case name for logs and STATS ("ping_timeout"). */
const char *close_reason_name(enum close_reason why);
/* The ERROR/QUIT text for @why with its @detail (may be NULL), in @out. */
void close_reason_text(enum close_reason why, const char *detail, char *out, size_t len);
/* Connections closed for @why since start. */
uint64_t conn_close_count(enum close_reason why);

#endif
