/* sts.c - the sts capability's value (see sts.h and the IRCv3 sts spec:
 * the policy itself is only believed over TLS, so a plain connection gets
 * just the port and a TLS one just the duration). */
#include "sts.h"

#include <stdio.h>

#include "client.h"
#include "listener.h"
#include "server.h"

bool sts_value(const struct client *c, char *out, size_t len)
{
	const struct config *cfg = server.cfg;
	int port;

	if (cfg->sts_duration < 0)
		return false;
	if (client_is_secure(c)) {
		snprintf(out, len, "duration=%d%s", cfg->sts_duration,
			 cfg->sts_preload ? ",preload" : "");
		return true;
	}
	port = cfg->sts_port > 0 ? cfg->sts_port : listener_secure_port();
	if (port == 0)
		return false; /* the spec forbids sts on plain without a TLS port */
	snprintf(out, len, "port=%d", port);
	return true;
}
