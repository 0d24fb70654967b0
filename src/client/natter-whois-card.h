/* natter-whois-card.h - a WHOIS answer as a small card: name, real name,
 * rooms, idle time, signed on (as a date), away message, account. */
#ifndef NATTER_WHOIS_CARD_H
#define NATTER_WHOIS_CARD_H

#include <adwaita.h>

#include "natter-session.h"

G_BEGIN_DECLS

#define NATTER_TYPE_WHOIS_CARD (natter_whois_card_get_type())
G_DECLARE_FINAL_TYPE(NatterWhoisCard, natter_whois_card, NATTER, WHOIS_CARD, AdwWindow)

NatterWhoisCard *natter_whois_card_new(GtkWindow *parent, const NatterWhois *whois);
/* "3 min", "2 h 5 min", "4 days": how long someone has been idle. */
char *natter_whois_card_format_idle(gint64 seconds);

G_END_DECLS

#endif
