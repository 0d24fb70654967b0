/* natter-member.c - a room member (see natter-member.h). Properties "nick",
 * "prefixes" and "away" notify so list rows can follow them. */
#include "natter-member.h"

#include <string.h>

struct _NatterMember {
	GObject parent_instance;
	char *nick;
	char *prefixes;
	gboolean away;
	char *account;
};

G_DEFINE_FINAL_TYPE(NatterMember, natter_member, G_TYPE_OBJECT)

enum { PROP_0, PROP_NICK, PROP_PREFIXES, PROP_AWAY, PROP_ACCOUNT, N_PROPS };
static GParamSpec *props[N_PROPS];

static void natter_member_get_property(GObject *object, guint id, GValue *value,
				       GParamSpec *pspec)
{
	NatterMember *self = NATTER_MEMBER(object);

	switch (id) {
	case PROP_NICK: g_value_set_string(value, self->nick); break;
	case PROP_PREFIXES: g_value_set_string(value, self->prefixes); break;
	case PROP_AWAY: g_value_set_boolean(value, self->away); break;
	case PROP_ACCOUNT: g_value_set_string(value, self->account); break;
	default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
	}
}

static void natter_member_finalize(GObject *object)
{
	NatterMember *self = NATTER_MEMBER(object);

	g_free(self->nick);
	g_free(self->prefixes);
	g_free(self->account);
	G_OBJECT_CLASS(natter_member_parent_class)->finalize(object);
}

static void natter_member_class_init(NatterMemberClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->get_property = natter_member_get_property;
	object_class->finalize = natter_member_finalize;
	props[PROP_NICK] = g_param_spec_string("nick", NULL, NULL, NULL,
					       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
	props[PROP_PREFIXES] = g_param_spec_string("prefixes", NULL, NULL, NULL,
						   G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
	props[PROP_AWAY] = g_param_spec_boolean("away", NULL, NULL, FALSE,
						G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
	props[PROP_ACCOUNT] = g_param_spec_string("account", NULL, NULL, NULL,
						  G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties(object_class, N_PROPS, props);
}

static void natter_member_init(NatterMember *self)
{
	self->prefixes = g_strdup("");
}

NatterMember *natter_member_new(const char *nick, const char *prefixes)
{
	NatterMember *self = g_object_new(NATTER_TYPE_MEMBER, NULL);

	self->nick = g_strdup(nick);
	g_free(self->prefixes);
	self->prefixes = g_strdup(prefixes != NULL ? prefixes : "");
	return self;
}

const char *natter_member_get_nick(NatterMember *self) { return self->nick; }
const char *natter_member_get_prefixes(NatterMember *self) { return self->prefixes; }
gboolean natter_member_get_away(NatterMember *self) { return self->away; }
const char *natter_member_get_account(NatterMember *self) { return self->account; }

void natter_member_set_account(NatterMember *self, const char *account)
{
	if (account != NULL && (*account == '\0' || strcmp(account, "*") == 0))
		account = NULL;
	if (g_strcmp0(self->account, account) == 0)
		return;
	g_free(self->account);
	self->account = g_strdup(account);
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_ACCOUNT]);
}

void natter_member_set_nick(NatterMember *self, const char *nick)
{
	g_free(self->nick);
	self->nick = g_strdup(nick);
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_NICK]);
}

void natter_member_set_prefix(NatterMember *self, char prefix, gboolean on,
			      const char *order)
{
	GString *out = g_string_new(NULL);

	for (const char *o = order; *o != '\0'; o++) {
		gboolean has = strchr(self->prefixes, *o) != NULL;
		if (*o == prefix)
			has = on;
		if (has)
			g_string_append_c(out, *o);
	}
	g_free(self->prefixes);
	self->prefixes = g_string_free(out, FALSE);
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_PREFIXES]);
}

void natter_member_set_prefixes(NatterMember *self, const char *prefixes)
{
	if (prefixes == NULL)
		prefixes = "";
	if (strcmp(self->prefixes, prefixes) == 0)
		return;
	g_free(self->prefixes);
	self->prefixes = g_strdup(prefixes);
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_PREFIXES]);
}

void natter_member_set_away(NatterMember *self, gboolean away)
{
	if (self->away == away)
		return;
	self->away = away;
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_AWAY]);
}
