/* vectors.h - the shapes of the ircdocs parser test vectors, as
 * gen_vectors.py writes them into ircdocs_vectors.h. */
#ifndef NATTER_TEST_VECTORS_H
#define NATTER_TEST_VECTORS_H

#include <stdbool.h>

#include "irc_message.h"

#define VEC_MAX_TAGS 16
#define VEC_MAX_MATCHES 8

/* The parts of one message. A tags dict has unique keys; "" is a tag
 * without a value. source is NULL when the message has none. */
struct vec_atoms {
	int ntags;
	struct {
		const char *key;
		const char *value;
	} tags[VEC_MAX_TAGS];
	const char *source;
	const char *verb;
	int nparams;
	const char *params[IRC_MAX_PARAMS];
};

/* msg-split: @input must parse into @atoms. */
struct vec_split {
	const char *input;
	struct vec_atoms atoms;
};

/* msg-join: @atoms must format into one of @matches. */
struct vec_join {
	const char *desc;
	struct vec_atoms atoms;
	int nmatches;
	const char *matches[VEC_MAX_MATCHES];
};

/* userhost-split: parts absent from the source are "". */
struct vec_userhost {
	const char *source;
	const char *nick;
	const char *user;
	const char *host;
};

/* mask-match: one mask and one text, flattened from matches/fails. */
struct vec_mask {
	const char *mask;
	const char *text;
	bool matches;
};

/* validate-hostname */
struct vec_hostname {
	const char *host;
	bool valid;
};

#endif
