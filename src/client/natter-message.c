/* natter-message.c - one conversation line (see natter-message.h). */
#include "natter-message.h"

struct _NatterMessage {
	GObject parent_instance;
	NatterMessageKind kind;
	GDateTime *time;
	char *nick;
	char *text;
	gboolean own;
	gboolean mention;
	NatterEventKind event;
	char *msgid; /* the server's msgid tag, NULL when it had none */
};

G_DEFINE_FINAL_TYPE(NatterMessage, natter_message, G_TYPE_OBJECT)

static void natter_message_finalize(GObject *object)
{
	NatterMessage *self = NATTER_MESSAGE(object);

	g_date_time_unref(self->time);
	g_free(self->nick);
	g_free(self->text);
	g_free(self->msgid);
	G_OBJECT_CLASS(natter_message_parent_class)->finalize(object);
}

static void natter_message_class_init(NatterMessageClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = natter_message_finalize;
}

static void natter_message_init(NatterMessage *self)
{
	(void)self;
}

NatterMessage *natter_message_new(NatterMessageKind kind, GDateTime *time,
				  const char *nick, const char *text, gboolean own)
{
	NatterMessage *self = g_object_new(NATTER_TYPE_MESSAGE, NULL);

	self->kind = kind;
	self->time = time != NULL ? g_date_time_to_local(time) : g_date_time_new_now_local();
	self->nick = g_strdup(nick);
	self->text = g_strdup(text != NULL ? text : "");
	self->own = own;
	return self;
}

NatterMessageKind natter_message_get_kind(NatterMessage *self) { return self->kind; }
GDateTime *natter_message_get_time(NatterMessage *self) { return self->time; }
const char *natter_message_get_nick(NatterMessage *self) { return self->nick; }
const char *natter_message_get_text(NatterMessage *self) { return self->text; }
gboolean natter_message_is_own(NatterMessage *self) { return self->own; }

NatterEventKind natter_message_get_event(NatterMessage *self) { return self->event; }
void natter_message_set_event(NatterMessage *self, NatterEventKind event) { self->event = event; }
gboolean natter_message_get_mention(NatterMessage *self) { return self->mention; }
void natter_message_set_mention(NatterMessage *self, gboolean mention) { self->mention = mention; }

const char *natter_message_get_msgid(NatterMessage *self) { return self->msgid; }
void natter_message_set_msgid(NatterMessage *self, const char *msgid)
{
	g_free(self->msgid);
	self->msgid = g_strdup(msgid != NULL && *msgid != '\0' ? msgid : NULL);
}
