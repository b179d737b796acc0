/*
 * notify.h - telling the service manager how the daemon is doing.
 *
 * Module notify owns the client side of systemd's notification protocol
 * (sd_notify(3)): when the service manager started the daemon with
 * NOTIFY_SOCKET in its environment (Type=notify), each state change is
 * one datagram of "VARIABLE=value" lines to the AF_UNIX socket it names
 * (an absolute path, or '@' and the name of a socket in the abstract
 * namespace).  Without NOTIFY_SOCKET nothing is sent.  The protocol is
 * implemented here rather than taken from libsystemd, which would be a
 * dependency for these few lines.
 */
#ifndef ROWFS_FS_NOTIFY_H
#define ROWFS_FS_NOTIFY_H

/*
 * notify_send - send state (e.g. "READY=1", "STOPPING=1"; lines separated
 * by '\n') to the socket NOTIFY_SOCKET names.  Returns 1 when sent, 0
 * when NOTIFY_SOCKET is unset or empty, -errno on failure: EINVAL (not an
 * absolute path nor '@NAME'), ENAMETOOLONG (longer than an AF_UNIX
 * address), or the error of socket(2) or sendto(2).
 */
int notify_send(const char *state);

#endif /* ROWFS_FS_NOTIFY_H */
