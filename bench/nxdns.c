/* nxdns.c - a loopback DNS responder that answers every query with NXDOMAIN
 * at once. ircd-hybrid always looks up the client's host name; pointed at
 * this (via a private resolv.conf), each lookup costs one loopback round trip
 * instead of a timeout, so the benchmark measures the ircd, not the resolver.
 *
 *   nxdns [ADDR [PORT [SECONDS]]]   (default 127.0.0.153 53 3600)
 *
 * It exits when its parent does, or after SECONDS, so it never lingers. */
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define DNS_HEADER 12

/* Length of header + first question, or DNS_HEADER if it cannot be parsed. */
static size_t question_end(const unsigned char *q, size_t n)
{
	if (((q[4] << 8) | q[5]) != 1)
		return DNS_HEADER;
	size_t i = DNS_HEADER;
	while (i < n && q[i] != 0) {
		if (q[i] & 0xc0) /* no compression inside a query's question */
			return DNS_HEADER;
		i += 1u + q[i];
	}
	i += 1 + 4; /* root label, QTYPE, QCLASS */
	return i <= n ? i : DNS_HEADER;
}

/* Turns the query into its answer in place: same id and question, flags QR,
 * RD copied, RA, RCODE 3 (NXDOMAIN), no records. */
static size_t make_nxdomain(unsigned char *q, size_t n)
{
	size_t len = question_end(q, n);
	q[2] = (unsigned char)(0x80 | (q[2] & 0x79));
	q[3] = 0x80 | 3;
	if (len == DNS_HEADER)
		q[4] = q[5] = 0;
	memset(q + 6, 0, 6);
	return len;
}

static int open_socket(const char *addr, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1 || (ntohl(sa.sin_addr.s_addr) >> 24) != 127) {
		fprintf(stderr, "nxdns: %s is not a loopback address\n", addr);
		return -1;
	}
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		fprintf(stderr, "nxdns: cannot listen on %s:%d: %m\n", addr, port);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	const char *addr = argc > 1 ? argv[1] : "127.0.0.153";
	int port = argc > 2 ? atoi(argv[2]) : 53;
	unsigned lifetime = argc > 3 ? (unsigned)atoi(argv[3]) : 3600;
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	alarm(lifetime);
	int fd = open_socket(addr, port);
	if (fd < 0)
		return 1;
	for (;;) {
		unsigned char buf[1500];
		struct sockaddr_in from;
		socklen_t flen = sizeof from;
		ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
		if (n < DNS_HEADER || (buf[2] & 0x80))
			continue; /* too short to be a query, or a response */
		size_t len = make_nxdomain(buf, (size_t)n);
		sendto(fd, buf, len, 0, (struct sockaddr *)&from, flen);
	}
}
