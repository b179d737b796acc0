/*
 * notify.c - owns the client side of the service manager's notification
 * protocol (see notify.h and sd_notify(3), "Notes"): one SOCK_DGRAM
 * datagram to the AF_UNIX address in NOTIFY_SOCKET, a leading '@' meaning
 * the abstract namespace (sun_path[0] = '\0', the address length counting
 * only the name's bytes).
 */
#include <config.h>
#include "notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Fill addr from NOTIFY_SOCKET's value; its length in *len.  0 or -errno. */
static int notify_address(const char *name, struct sockaddr_un *addr, socklen_t *len)
{
	size_t n = strlen(name);

	if (name[0] != '/' && name[0] != '@')
		return -EINVAL;
	if (n >= sizeof(addr->sun_path))
		return -ENAMETOOLONG;
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	memcpy(addr->sun_path, name, n);
	if (name[0] == '@')
		addr->sun_path[0] = '\0';
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	return 0;
}

int notify_send(const char *state)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un addr;
	socklen_t len;
	ssize_t sent;
	int fd, rc;

	if (!name || !name[0])
		return 0;
	rc = notify_address(name, &addr, &len);
	if (rc != 0)
		return rc;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&addr, len);
	rc = sent < 0 ? -errno : 1;
	close(fd);
	return rc;
}
