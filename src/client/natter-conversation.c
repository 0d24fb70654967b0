/* natter-conversation.c - a room or private conversation (see natter-conversation.h). */
#include "natter-conversation.h"

#include <string.h>

#include "irc_names.h"
#include "natter-member-store.h"

/* A practical cap so a chatty room cannot grow the client without bound. */
#define MAX_MESSAGES 5000

struct _NatterConversation {
	GObject parent_instance;
	NatterConversationKind kind;
	char *name;
	char *topic;
	guint unread;
	gboolean joined;
	GListStore *messages;
	NatterMemberStore *members;
};

G_DEFINE_FINAL_TYPE(NatterConversation, natter_conversation, G_TYPE_OBJECT)

enum { PROP_0, PROP_NAME, PROP_TOPIC, PROP_UNREAD, PROP_JOINED, N_PROPS };
static GParamSpec *props[N_PROPS];

static void natter_conversation_get_property(GObject *object, guint id, GValue *value,
					     GParamSpec *pspec)
{
	NatterConversation *self = NATTER_CONVERSATION(object);

	switch (id) {
	case PROP_NAME: g_value_set_string(value, self->name); break;
	case PROP_TOPIC: g_value_set_string(value, self->topic); break;
	case PROP_UNREAD: g_value_set_uint(value, self->unread); break;
	case PROP_JOINED: g_value_set_boolean(value, self->joined); break;
	default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
	}
}

static void natter_conversation_dispose(GObject *object)
{
	NatterConversation *self = NATTER_CONVERSATION(object);

	g_clear_object(&self->messages);
	g_clear_object(&self->members);
	G_OBJECT_CLASS(natter_conversation_parent_class)->dispose(object);
}

static void natter_conversation_finalize(GObject *object)
{
	NatterConversation *self = NATTER_CONVERSATION(object);

	g_free(self->name);
	g_free(self->topic);
	G_OBJECT_CLASS(natter_conversation_parent_class)->finalize(object);
}

static void natter_conversation_class_init(NatterConversationClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->get_property = natter_conversation_get_property;
	object_class->dispose = natter_conversation_dispose;
	object_class->finalize = natter_conversation_finalize;
	props[PROP_NAME] = g_param_spec_string("name", NULL, NULL, NULL,
					       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
	props[PROP_TOPIC] = g_param_spec_string("topic", NULL, NULL, NULL,
						G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
	props[PROP_UNREAD] = g_param_spec_uint("unread", NULL, NULL, 0, G_MAXUINT, 0,
					       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
	props[PROP_JOINED] = g_param_spec_boolean("joined", NULL, NULL, FALSE,
						  G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties(object_class, N_PROPS, props);
}

static void natter_conversation_init(NatterConversation *self)
{
	self->messages = g_list_store_new(NATTER_TYPE_MESSAGE);
	self->members = natter_member_store_new();
	self->topic = g_strdup("");
}

NatterConversation *natter_conversation_new(NatterConversationKind kind, const char *name)
{
	NatterConversation *self = g_object_new(NATTER_TYPE_CONVERSATION, NULL);

	self->kind = kind;
	self->name = g_strdup(name);
	self->joined = kind == NATTER_CONVERSATION_PRIVATE;
	return self;
}

NatterConversationKind natter_conversation_get_kind(NatterConversation *self) { return self->kind; }
const char *natter_conversation_get_name(NatterConversation *self) { return self->name; }
const char *natter_conversation_get_topic(NatterConversation *self) { return self->topic; }
guint natter_conversation_get_unread(NatterConversation *self) { return self->unread; }
gboolean natter_conversation_get_joined(NatterConversation *self) { return self->joined; }
GListModel *natter_conversation_get_messages(NatterConversation *self) { return G_LIST_MODEL(self->messages); }
GListModel *natter_conversation_get_members(NatterConversation *self) { return G_LIST_MODEL(self->members); }

void natter_conversation_set_name(NatterConversation *self, const char *name)
{
	if (g_strcmp0(self->name, name) == 0)
		return;
	g_free(self->name);
	self->name = g_strdup(name);
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_NAME]);
}

void natter_conversation_set_topic(NatterConversation *self, const char *topic)
{
	if (topic == NULL)
		topic = "";
	if (g_strcmp0(self->topic, topic) == 0)
		return;
	g_free(self->topic);
	self->topic = g_strdup(topic);
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_TOPIC]);
}

void natter_conversation_set_unread(NatterConversation *self, guint unread)
{
	if (self->unread == unread)
		return;
	self->unread = unread;
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_UNREAD]);
}

void natter_conversation_set_joined(NatterConversation *self, gboolean joined)
{
	if (self->joined == joined)
		return;
	self->joined = joined;
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_JOINED]);
}

void natter_conversation_add_message(NatterConversation *self, NatterMessage *message)
{
	guint n = g_list_model_get_n_items(G_LIST_MODEL(self->messages));

	if (n >= MAX_MESSAGES)
		g_list_store_splice(self->messages, 0, n - MAX_MESSAGES + 1, NULL, 0);
	g_list_store_append(self->messages, message);
}

void natter_conversation_add_event(NatterConversation *self, NatterMessageKind kind,
				   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_autofree char *text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_autoptr(NatterMessage) msg = natter_message_new(kind, NULL, NULL, text, FALSE);
	natter_conversation_add_message(self, msg);
}

NatterMember *natter_conversation_find_member(NatterConversation *self, const char *nick)
{
	return natter_member_store_find(self->members, nick);
}

NatterMember *natter_conversation_add_member(NatterConversation *self, const char *nick,
					     const char *prefixes)
{
	return natter_member_store_add(self->members, nick, prefixes);
}

void natter_conversation_add_members(NatterConversation *self, GPtrArray *members)
{
	natter_member_store_add_many(self->members, members);
}

gboolean natter_conversation_remove_member(NatterConversation *self, const char *nick)
{
	return natter_member_store_remove(self->members, nick);
}

gboolean natter_conversation_rename_member(NatterConversation *self, const char *old_nick,
					   const char *new_nick)
{
	return natter_member_store_rename(self->members, old_nick, new_nick);
}

gboolean natter_conversation_set_member_prefix(NatterConversation *self, const char *nick,
					       char prefix, gboolean on, const char *order)
{
	return natter_member_store_set_prefix(self->members, nick, prefix, on, order);
}

void natter_conversation_resort_members(NatterConversation *self)
{
	natter_member_store_resort(self->members);
}

void natter_conversation_clear_members(NatterConversation *self)
{
	natter_member_store_clear(self->members);
}

void natter_conversation_insert_messages(NatterConversation *self, guint position,
					 NatterMessage **messages, guint n)
{
	guint len = g_list_model_get_n_items(G_LIST_MODEL(self->messages));

	g_list_store_splice(self->messages, MIN(position, len), 0, (gpointer *)messages, n);
}

void natter_conversation_remove_message(NatterConversation *self, guint position)
{
	if (position < g_list_model_get_n_items(G_LIST_MODEL(self->messages)))
		g_list_store_remove(self->messages, position);
}
