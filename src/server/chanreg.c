/* chanreg.c - registered rooms and the ROOM command (see chanreg.h). */
#include "chanreg.h"

#include <string.h>

#include "accounts.h"
#include "channel.h"
#include "client.h"
#include "commands.h"
#include "db.h"
#include "hooks.h"
#include "log.h"
#include "modes.h"
#include "numerics.h"
#include "registry.h"
#include "send.h"
#include "server.h"

#define ROOM_FOLD_MAX 64

struct room_reg {
	char folded[ROOM_FOLD_MAX];
	char founder[IRC_NICK_MAX + 1];  /* folded account name */
	int64_t created;
	GHashTable *access;              /* folded account -> GUINT_TO_POINTER(MEMBER_*) */
};

static GHashTable *rooms; /* folded room name -> struct room_reg * */
static bool restoring;    /* changes made while loading are not written back */

static void fold(const char *name, char out[ROOM_FOLD_MAX])
{
	irc_casefold(out, ROOM_FOLD_MAX, name);
}

static struct room_reg *find_reg(const struct channel *ch)
{
	char folded[ROOM_FOLD_MAX];

	if (rooms == NULL)
		return NULL;
	fold(ch->name, folded);
	return g_hash_table_lookup(rooms, folded);
}

static void reg_free(gpointer data)
{
	struct room_reg *r = data;

	g_hash_table_destroy(r->access);
	g_free(r);
}

static struct room_reg *reg_new(const char *folded, const char *founder, int64_t created)
{
	struct room_reg *r = g_new0(struct room_reg, 1);

	g_strlcpy(r->folded, folded, sizeof(r->folded));
	g_strlcpy(r->founder, founder, sizeof(r->founder));
	r->created = created;
	r->access = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_hash_table_replace(rooms, r->folded, r);
	return r;
}

bool chanreg_is_registered(const struct channel *ch)
{
	return find_reg(ch) != NULL;
}

unsigned chanreg_access_flags(const struct channel *ch, const struct client *c)
{
	struct room_reg *r;

	if (c->account == NULL || (r = find_reg(ch)) == NULL)
		return 0;
	if (strcmp(r->founder, c->account->folded) == 0)
		return MEMBER_OP;
	return GPOINTER_TO_UINT(g_hash_table_lookup(r->access, c->account->folded));
}

/* --- writing through ----------------------------------------------------------- */

/* Topic, flag modes, key and limit: saved whole on every change. */
static void save_state(const struct channel *ch, const struct room_reg *r)
{
	struct db_stmt *w = db_stmt_new(
		"UPDATE registered_rooms SET name = ?2, topic = ?3, topic_setter = ?4, modes = ?5,"
		" key = ?6, topic_time = ?7, user_limit = ?8 WHERE folded = ?1");

	db_stmt_text(w, r->folded);
	db_stmt_text(w, ch->name);
	db_stmt_text(w, ch->topic);
	db_stmt_text(w, ch->topic_setter);
	db_stmt_text_take(w, chanmode_flag_letters(ch->modes));
	db_stmt_text(w, ch->key);
	db_stmt_int(w, ch->topic_time);
	db_stmt_int(w, ch->limit);
	db_write_stmt(w, "a registered room");
}

/* The entry of @list matching @mask, or NULL. */
static struct ban *find_entry(const struct channel *ch, enum channel_list list, const char *mask)
{
	for (guint i = 0; i < ch->lists[list]->len; i++) {
		struct ban *b = g_ptr_array_index(ch->lists[list], i);
		if (irc_casecmp(b->mask, mask) == 0)
			return b;
	}
	return NULL;
}

static void on_change(const struct hook_args *args, void *data)
{
	struct room_reg *r;

	(void)data;
	if (restoring || args->channel == NULL || (r = find_reg(args->channel)) == NULL)
		return;
	if (args->event == HOOK_CHANNEL_LIST) {
		struct db_stmt *w = db_stmt_new(
			args->on ? "INSERT OR REPLACE INTO room_lists(room, list, mask, setter, set_at)"
				   " VALUES(?1, ?2, ?3, ?4, ?5)"
				 : "DELETE FROM room_lists WHERE room = ?1 AND list = ?2 AND mask = ?3");
		char letter[2] = { chanmode_list_letter(args->bit), '\0' };
		db_stmt_text(w, r->folded);
		db_stmt_text(w, letter);
		db_stmt_text(w, args->text);
		if (args->on) {
			const struct ban *b = find_entry(args->channel, (enum channel_list)args->bit,
							 args->text);
			db_stmt_text(w, b != NULL ? b->setter : NULL);
			db_stmt_int(w, b != NULL ? b->when : server_wall_us() / 1000000);
		}
		db_write_stmt(w, "a registered room");
		return;
	}
	save_state(args->channel, r);
}

/* --- loading -------------------------------------------------------------------- */

static void restore_room(sqlite3 *db, sqlite3_stmt *row)
{
	const char *folded = (const char *)sqlite3_column_text(row, 0);
	const char *name = (const char *)sqlite3_column_text(row, 1);
	const char *topic = (const char *)sqlite3_column_text(row, 4);
	const char *modes = (const char *)sqlite3_column_text(row, 7);
	const char *key = (const char *)sqlite3_column_text(row, 8);
	struct room_reg *r;
	struct channel *ch;
	sqlite3_stmt *stmt = NULL;

	if (folded == NULL || name == NULL || !irc_channel_is_valid(name))
		return;
	r = reg_new(folded, (const char *)sqlite3_column_text(row, 2), sqlite3_column_int64(row, 3));
	ch = registry_find_channel(name);
	if (ch == NULL)
		ch = channel_create(name, true);
	if (topic != NULL) {
		channel_set_topic(ch, NULL, topic);
		g_free(ch->topic_setter); /* restored as saved, not as "now by *" */
		ch->topic_setter = g_strdup(sqlite3_column_text(row, 5) != NULL
						    ? (const char *)sqlite3_column_text(row, 5) : "*");
		ch->topic_time = sqlite3_column_int64(row, 6);
	}
	for (const char *p = modes != NULL ? modes : ""; *p != '\0'; p++) {
		const struct chanmode_info *info = chanmode_find(*p);
		if (info != NULL && info->kind == CHANMODE_FLAG)
			channel_set_mode(ch, info->bit, true);
	}
	if (key != NULL)
		channel_set_key(ch, key);
	if (sqlite3_column_int(row, 9) > 0)
		channel_set_limit(ch, sqlite3_column_int(row, 9));
	if (sqlite3_prepare_v2(db, "SELECT account, level FROM room_access WHERE room = ?1", -1,
			       &stmt, NULL) == SQLITE_OK &&
	    sqlite3_bind_text(stmt, 1, folded, -1, SQLITE_STATIC) == SQLITE_OK)
		while (sqlite3_step(stmt) == SQLITE_ROW) {
			const char *level = (const char *)sqlite3_column_text(stmt, 1);
			g_hash_table_replace(r->access,
					     g_strdup((const char *)sqlite3_column_text(stmt, 0)),
					     GUINT_TO_POINTER(g_strcmp0(level, "op") == 0
								      ? MEMBER_OP : MEMBER_VOICE));
		}
	sqlite3_finalize(stmt);
	stmt = NULL;
	if (sqlite3_prepare_v2(db, "SELECT list, mask, setter, set_at FROM room_lists"
			       " WHERE room = ?1 ORDER BY set_at", -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_bind_text(stmt, 1, folded, -1, SQLITE_STATIC) == SQLITE_OK)
		while (sqlite3_step(stmt) == SQLITE_ROW) {
			const char *letter = (const char *)sqlite3_column_text(stmt, 0);
			const char *mask = (const char *)sqlite3_column_text(stmt, 1);
			const char *setter = (const char *)sqlite3_column_text(stmt, 2);
			const struct chanmode_info *info = letter != NULL ? chanmode_find(letter[0]) : NULL;
			struct ban *b;
			if (info == NULL || info->kind != CHANMODE_LIST || mask == NULL)
				continue;
			channel_list_add(ch, (enum channel_list)info->bit, mask,
					 setter != NULL ? setter : server.cfg->name);
			/* restored as it was set, not as "set now" */
			if ((b = find_entry(ch, (enum channel_list)info->bit, mask)) != NULL)
				b->when = sqlite3_column_int64(stmt, 3);
		}
	sqlite3_finalize(stmt);
}

void chanreg_init(void)
{
	sqlite3 *db = db_handle();
	sqlite3_stmt *row = NULL;

	rooms = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, reg_free);
	hook_add(HOOK_CHANNEL_TOPIC, on_change, NULL);
	hook_add(HOOK_CHANNEL_MODE, on_change, NULL);
	hook_add(HOOK_CHANNEL_LIST, on_change, NULL);
	if (db == NULL)
		return;
	restoring = true;
	if (sqlite3_prepare_v2(db, "SELECT folded, name, founder, created, topic, topic_setter,"
			       " topic_time, modes, key, user_limit FROM registered_rooms", -1, &row,
			       NULL) == SQLITE_OK)
		while (sqlite3_step(row) == SQLITE_ROW)
			restore_room(db, row);
	else
		log_error("cannot read registered rooms: %s", sqlite3_errmsg(db));
	sqlite3_finalize(row);
	restoring = false;
	log_info("%u registered room(s) restored", g_hash_table_size(rooms));
}

void chanreg_shutdown(void)
{
	if (rooms != NULL)
		g_hash_table_destroy(rooms);
	rooms = NULL;
}

void chanreg_logged_in(struct client *c)
{
	for (unsigned i = 0; i < client_channel_count(c); i++) {
		struct channel *ch = client_channel_at(c, i);
		unsigned want = chanreg_access_flags(ch, c);
		unsigned have = channel_member_flags(ch, c);
		struct outmsg m;
		if (want == 0 || (have & want) == want)
			continue;
		channel_set_member_flags(ch, c, have | want);
		outmsg_init(&m, NULL);
		outmsg_printf(&m, ":%s MODE %s +%c %s", server.cfg->name, ch->name,
			      want == MEMBER_OP ? 'o' : 'v', c->nick);
		outmsg_to_channel(&m, ch, NULL, 0);
		outmsg_clear(&m);
	}
}

void chanreg_account_dropped(const struct account *a)
{
	GHashTableIter iter;
	gpointer value;

	if (rooms == NULL)
		return;
	/* The data file follows by itself (ON DELETE CASCADE). */
	g_hash_table_iter_init(&iter, rooms);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		struct room_reg *r = value;
		if (strcmp(r->founder, a->folded) == 0) {
			log_info("room %s is no longer registered: its founder dropped the account",
				 r->folded);
			g_hash_table_iter_remove(&iter);
		} else {
			g_hash_table_remove(r->access, a->folded);
		}
	}
}

/* --- ROOM ----------------------------------------------------------------------- */

static void note(struct client *c, const char *code, const char *context, const char *text)
{
	send_line(c, ":%s NOTE ROOM %s %s :%s", server.cfg->name, code, context, text);
}

static void fail(struct client *c, const char *code, const char *context, const char *text)
{
	send_line(c, ":%s FAIL ROOM %s %s :%s", server.cfg->name, code, reply_param(context), text);
}

static void room_register(struct client *c, struct channel *ch)
{
	char folded[ROOM_FOLD_MAX];
	struct room_reg *r;
	struct db_stmt *w;

	if (find_reg(ch) != NULL) {
		fail(c, "ALREADY_REGISTERED", ch->name, "This room is registered already");
		return;
	}
	if (!(channel_member_flags(ch, c) & MEMBER_OP)) {
		fail(c, "NEED_OPERATOR", ch->name, "Only an operator of the room may register it");
		return;
	}
	fold(ch->name, folded);
	r = reg_new(folded, c->account->folded, server_wall_us() / 1000000);
	w = db_stmt_new("INSERT OR REPLACE INTO registered_rooms(folded, name, founder, created)"
			   " VALUES(?1, ?2, ?3, ?4)");
	db_stmt_text(w, r->folded);
	db_stmt_text(w, ch->name);
	db_stmt_text(w, r->founder);
	db_stmt_int(w, r->created);
	db_write_stmt(w, "a registered room");
	save_state(ch, r);
	for (guint i = 0; i < ch->lists[CHANLIST_BAN]->len; i++) {
		const struct ban *b = g_ptr_array_index(ch->lists[CHANLIST_BAN], i);
		on_change(&(struct hook_args){ .event = HOOK_CHANNEL_LIST, .channel = ch,
					       .bit = CHANLIST_BAN, .text = b->mask, .on = true },
			  NULL);
	}
	/* It stays when empty from now on (there is no setter for this). */
	ch->permanent = true;
	log_info("room %s registered by account %s", ch->name, c->account->name);
	note(c, "REGISTERED", ch->name, "The room is registered to your account");
}

static bool is_founder(struct client *c, struct channel *ch, struct room_reg **out)
{
	struct room_reg *r = find_reg(ch);

	if (r == NULL) {
		fail(c, "NOT_REGISTERED", ch->name, "This room is not registered");
		return false;
	}
	if (strcmp(r->founder, c->account->folded) != 0) {
		fail(c, "NOT_FOUNDER", ch->name, "Only the room's founder may do that");
		return false;
	}
	*out = r;
	return true;
}

static bool is_default_channel(const char *name)
{
	for (int i = 0; server.cfg->default_channels[i] != NULL; i++)
		if (irc_casecmp(g_strstrip(server.cfg->default_channels[i]), name) == 0)
			return true;
	return false;
}

static void room_drop(struct client *c, struct channel *ch)
{
	struct room_reg *r;
	struct db_stmt *w;

	if (!is_founder(c, ch, &r))
		return;
	w = db_stmt_new("DELETE FROM registered_rooms WHERE folded = ?1");
	db_stmt_text(w, r->folded);
	db_write_stmt(w, "a registered room");
	g_hash_table_remove(rooms, r->folded);
	note(c, "DROPPED", ch->name, "The room is no longer registered");
	/* Unless the config keeps it, it is an ordinary room again: it goes
	 * away when empty (now, if nobody is in it). */
	if (!is_default_channel(ch->name)) {
		ch->permanent = false;
		if (channel_member_count(ch) == 0) {
			registry_remove_channel(ch);
			channel_free(ch);
		}
	}
}

/* The account's name as registered, for a folded key. */
static const char *display_name(const char *folded)
{
	struct account *a = account_find(folded);

	return a != NULL ? a->name : folded;
}

static void room_access(struct client *c, struct channel *ch, struct irc_message *msg)
{
	const char *sub = msg->nparams > 2 ? msg->params[2] : "LIST";
	struct room_reg *r = find_reg(ch);
	struct account *a;
	struct db_stmt *w;

	if (r == NULL) {
		fail(c, "NOT_REGISTERED", ch->name, "This room is not registered");
		return;
	}
	if (g_ascii_strcasecmp(sub, "LIST") == 0) {
		GHashTableIter iter;
		gpointer key, value;
		g_autofree char *founder = g_strdup_printf("%s founder", display_name(r->founder));
		note(c, "ACCESS", ch->name, founder);
		g_hash_table_iter_init(&iter, r->access);
		while (g_hash_table_iter_next(&iter, &key, &value)) {
			g_autofree char *entry = g_strdup_printf(
				"%s %s", display_name(key),
				GPOINTER_TO_UINT(value) == MEMBER_OP ? "op" : "voice");
			note(c, "ACCESS", ch->name, entry);
		}
		note(c, "ACCESS_END", ch->name, "End of the access list");
		return;
	}
	if (!is_founder(c, ch, &r))
		return;
	if (msg->nparams < 4 || (a = account_find(msg->params[3])) == NULL) {
		fail(c, "NO_SUCH_ACCOUNT", msg->nparams > 3 ? msg->params[3] : "*",
		     "Name an existing account");
		return;
	}
	if (g_ascii_strcasecmp(sub, "ADD") == 0) {
		const char *level = msg->nparams > 4 ? msg->params[4] : "";
		unsigned flag = g_ascii_strcasecmp(level, "op") == 0	  ? MEMBER_OP
				: g_ascii_strcasecmp(level, "voice") == 0 ? MEMBER_VOICE : 0;
		if (flag == 0) {
			fail(c, "INVALID_LEVEL", level, "The level is op or voice");
			return;
		}
		g_hash_table_replace(r->access, g_strdup(a->folded), GUINT_TO_POINTER(flag));
		w = db_stmt_new("INSERT OR REPLACE INTO room_access(room, account, level)"
				   " VALUES(?1, ?2, ?3)");
		db_stmt_text(w, r->folded);
		db_stmt_text(w, a->folded);
		db_stmt_text(w, flag == MEMBER_OP ? "op" : "voice");
		db_write_stmt(w, "a registered room");
		note(c, "ACCESS_ADDED", a->name, "Access added");
	} else if (g_ascii_strcasecmp(sub, "DEL") == 0) {
		if (!g_hash_table_remove(r->access, a->folded)) {
			fail(c, "NO_SUCH_ACCESS", a->name, "That account has no access here");
			return;
		}
		w = db_stmt_new("DELETE FROM room_access WHERE room = ?1 AND account = ?2");
		db_stmt_text(w, r->folded);
		db_stmt_text(w, a->folded);
		db_write_stmt(w, "a registered room");
		note(c, "ACCESS_REMOVED", a->name, "Access removed");
	} else {
		fail(c, "UNKNOWN_SUBCOMMAND", sub, "Use ROOM ACCESS #room LIST, ADD or DEL");
	}
}

/* ROOM REGISTER #room | DROP #room | ACCESS #room [LIST | ADD acct op|voice | DEL acct] */
void cmd_room(struct client *c, struct irc_message *msg)
{
	const char *sub = msg->params[0];
	struct channel *ch;

	if (c->account == NULL) {
		fail(c, "NOT_LOGGED_IN", "*", "Log in to an account first");
		return;
	}
	if (msg->nparams < 2) {
		send_numeric(c, ERR_NEEDMOREPARAMS, "ROOM");
		return;
	}
	ch = registry_find_channel(msg->params[1]);
	if (ch == NULL) {
		send_numeric(c, ERR_NOSUCHCHANNEL, reply_param(msg->params[1]));
		return;
	}
	if (g_ascii_strcasecmp(sub, "REGISTER") == 0)
		room_register(c, ch);
	else if (g_ascii_strcasecmp(sub, "DROP") == 0)
		room_drop(c, ch);
	else if (g_ascii_strcasecmp(sub, "ACCESS") == 0)
		room_access(c, ch, msg);
	else
		fail(c, "UNKNOWN_SUBCOMMAND", sub, "Use ROOM REGISTER, DROP or ACCESS");
}
