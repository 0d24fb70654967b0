/* session-helpers.h - for the client tests: what they ask of a
 * NatterSession (in a room? a line with this text?) and how they drive one
 * (connect and wait; canned server lines in, sent lines caught), kept here
 * once instead of a copy in every test file. GTK-free. */
#ifndef NATTER_TEST_SESSION_HELPERS_H
#define NATTER_TEST_SESSION_HELPERS_H

#include "natter-session.h"

/* A session with no server: canned lines go in with natter_session_feed(),
 * the lines it would send are caught in @sent. Use as (or at the start of)
 * a GTest fixture with canned_setup/canned_teardown. */
typedef struct {
	NatterSession *s;
	GPtrArray *sent; /* lines the session sent (g_free'd strings) */
} CannedSession;

void canned_setup(CannedSession *f, gconstpointer data);
void canned_teardown(CannedSession *f, gconstpointer data);
void canned_feed(CannedSession *f, const char *line);
/* TRUE when exactly @line was sent. */
gboolean canned_was_sent(CannedSession *f, const char *line);

/* Keeps a copy of the last "connect-failed" error of @s in *@failed (the
 * fixture's field: it must outlive @s; the fixture clears it). */
void test_track_failure(NatterSession *s, GError **failed);

/* Connects @s to 127.0.0.1:@port as @nick and waits until it is connected
 * (failing the test on an error: *@failed, see test_track_failure) and, if
 * @wait_lobby, until it is in #lobby. */
void test_session_connect(NatterSession *s, guint16 port, const char *nick, GError **failed,
			  gboolean wait_lobby);

/* TRUE when @s has joined @room. */
gboolean test_in_room(NatterSession *s, const char *room);
/* TRUE when @nick is in @room's member list. */
gboolean test_has_member(NatterSession *s, const char *room, const char *nick);
/* The first line of @conv (NULL: of any conversation) whose text contains
 * @text and, unless @nick is NULL, from @nick; NULL if none. The
 * conversation keeps the reference. */
NatterMessage *test_find_message(NatterSession *s, const char *conv, const char *nick,
				 const char *text);
/* test_find_message(@s, @conv, NULL, @text) != NULL. */
gboolean test_has_text(NatterSession *s, const char *conv, const char *text);

#endif
