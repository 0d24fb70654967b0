/* sasl.h - the AUTHENTICATE exchange (IRCv3 sasl-3.1/3.2): PLAIN,
 * SCRAM-SHA-256 and EXTERNAL (a TLS client certificate whose fingerprint
 * the account added with ACCOUNT CERT ADD). Each client has at most one exchange, kept in its
 * client_auth; messages arrive base64 in chunks of 400 bytes. */
#ifndef NATTERD_SASL_H
#define NATTERD_SASL_H

struct client;
struct irc_message;

/* An exchange's whole decoded-from-base64 message may be this long. */
#define SASL_MESSAGE_MAX 8192

void cmd_authenticate(struct client *c, struct irc_message *msg);

/* The mechanism list: the sasl capability's value and 908's parameter. */
const char *sasl_mechanisms(void);

/* Registration is ending (CAP END) while an exchange waits for the client:
 * it is aborted with 906, as the spec asks. */
void sasl_registration_ends(struct client *c);

/* Frees @c's exchange, if any (no reply). */
void sasl_session_free(struct client *c);

#endif
