/* test_vectors.c - runs every case of the ircdocs parser-tests (msg-split,
 * msg-join, userhost-split, mask-match, validate-hostname) against
 * src/common. The cases are compiled in from ircdocs_vectors.h, which
 * gen_vectors.py generates from ../shared/vectors/ircdocs-parser-tests. */
#include <string.h>

#include <glib.h>

#include "irc_message.h"
#include "irc_names.h"
#include "vectors.h"

#include "ircdocs_vectors.h"

/* Number of distinct tag keys in @msg (a repeated key counts once). */
static int distinct_tags(const struct irc_message *msg)
{
	int n = 0;

	for (int i = 0; i < msg->ntags; i++) {
		bool seen_later = false;
		for (int j = i + 1; j < msg->ntags; j++)
			if (strcmp(msg->tags[i].key, msg->tags[j].key) == 0)
				seen_later = true;
		if (!seen_later)
			n++;
	}
	return n;
}

static void test_msg_split(gconstpointer data)
{
	const struct vec_split *v = data;
	const struct vec_atoms *a = &v->atoms;
	g_autofree char *line = g_strdup(v->input);
	struct irc_message msg;

	g_test_message("input: %s", v->input);
	g_assert_cmpint(irc_message_parse(&msg, line), ==, IRC_PARSE_OK);
	g_assert_cmpstr(msg.command, ==, a->verb);
	g_assert_cmpstr(msg.source, ==, a->source);
	g_assert_cmpint(msg.nparams, ==, a->nparams);
	for (int i = 0; i < a->nparams && i < msg.nparams; i++)
		g_assert_cmpstr(msg.params[i], ==, a->params[i]);
	/* Duplicated keys: the last one wins, as irc_message_tag promises. */
	g_assert_cmpint(distinct_tags(&msg), ==, a->ntags);
	for (int i = 0; i < a->ntags; i++)
		g_assert_cmpstr(irc_message_tag(&msg, a->tags[i].key), ==,
				a->tags[i].value);
}

static void test_msg_join(gconstpointer data)
{
	const struct vec_join *v = data;
	const struct vec_atoms *a = &v->atoms;
	struct irc_message msg = { .ntags = a->ntags, .nparams = a->nparams };
	g_autoptr(GString) out = g_string_new(NULL);
	bool found = false;

	g_test_message("desc: %s", v->desc != NULL ? v->desc : "(none)");
	/* irc_message_format only reads the strings. */
	for (int i = 0; i < a->ntags; i++) {
		msg.tags[i].key = (char *)a->tags[i].key;
		msg.tags[i].value = (char *)a->tags[i].value;
	}
	msg.source = (char *)a->source;
	msg.command = (char *)a->verb;
	for (int i = 0; i < a->nparams; i++)
		msg.params[i] = (char *)a->params[i];

	irc_message_format(out, &msg);
	for (int i = 0; i < v->nmatches; i++)
		if (strcmp(out->str, v->matches[i]) == 0)
			found = true;
	if (!found) {
		/* Show the output beside the first accepted form. */
		g_assert_cmpstr(out->str, ==, v->matches[0]);
	}
}

static void test_userhost_split(gconstpointer data)
{
	const struct vec_userhost *v = data;
	char nick[128], user[128], host[128];

	irc_split_userhost(v->source, nick, user, host, sizeof(nick));
	g_assert_cmpstr(nick, ==, v->nick);
	g_assert_cmpstr(user, ==, v->user);
	g_assert_cmpstr(host, ==, v->host);
}

static void test_mask_match(gconstpointer data)
{
	const struct vec_mask *v = data;

	g_test_message("mask %s, text %s, expect %s", v->mask, v->text,
		       v->matches ? "match" : "no match");
	if (v->matches)
		g_assert_true(irc_mask_match(v->mask, v->text));
	else
		g_assert_false(irc_mask_match(v->mask, v->text));
}

static void test_validate_hostname(gconstpointer data)
{
	const struct vec_hostname *v = data;

	g_test_message("host \"%s\", expect %s", v->host,
		       v->valid ? "valid" : "invalid");
	if (v->valid)
		g_assert_true(irc_hostname_is_valid(v->host));
	else
		g_assert_false(irc_hostname_is_valid(v->host));
}

#define ADD_ALL(family, array, func)                                          \
	for (size_t i = 0; i < G_N_ELEMENTS(array); i++) {                    \
		g_autofree char *path =                                       \
			g_strdup_printf("/ircdocs/" family "/%03zu", i);      \
		g_test_add_data_func(path, &array[i], func);                  \
	}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();

	ADD_ALL("msg-split", vec_msg_split, test_msg_split);
	ADD_ALL("msg-join", vec_msg_join, test_msg_join);
	ADD_ALL("userhost-split", vec_userhost_split, test_userhost_split);
	ADD_ALL("mask-match", vec_mask_match, test_mask_match);
	ADD_ALL("validate-hostname", vec_validate_hostname,
		test_validate_hostname);
	return g_test_run();
}
