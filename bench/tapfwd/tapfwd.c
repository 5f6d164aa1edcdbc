/*
 * tapfwd — the plain-syscall limit for a userspace TAP switch: two TAP devices, one poll, one read,
 * one write. bench/e2e.sh runs it beside podswitch as the anchor "what can any userspace TAP
 * forwarder do here": whatever podswitch adds beyond this program's cost is podswitch's own.
 *
 * Usage: tapfwd [-v] TAP_A TAP_B
 *   Creates (or attaches to) the two TAPs, prints "ready" on stdout once both are open, and copies
 *   every frame that arrives on one to the other until SIGINT/SIGTERM. Move the TAPs into network
 *   namespaces after "ready": the file descriptors stay bound to them.
 *   -v  virtio-net headers with offloads (IFF_VNET_HDR; TUN_F_CSUM, TSO4, TSO6): the kernel hands
 *       over 64 KiB TCP super-frames with partial checksums, and the other TAP takes them whole —
 *       the same offloads podswitch asks for, so the two are compared like for like.
 * Deliberately nothing else: no batching, no policy, no learning; a frame from A goes to B.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define FRAME_MAX (65536 + 64)

static volatile sig_atomic_t stopping;

static void stop(int signal_number)
{
    (void)signal_number;
    stopping = 1;
}

static int open_tap(const char *name, int vnet)
{
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        perror("tapfwd: open /dev/net/tun");
        exit(1);
    }
    struct ifreq request;
    memset(&request, 0, sizeof request);
    request.ifr_flags = IFF_TAP | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0);
    strncpy(request.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &request) < 0) {
        fprintf(stderr, "tapfwd: TUNSETIFF %s: %s\n", name, strerror(errno));
        exit(1);
    }
    if (vnet) {
        int header = 10; /* struct virtio_net_hdr: what both sides speak */
        if (ioctl(fd, TUNSETVNETHDRSZ, &header) < 0
            || ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) < 0) {
            fprintf(stderr, "tapfwd: offloads on %s: %s\n", name, strerror(errno));
            exit(1);
        }
    }
    return fd;
}

int main(int argc, char **argv)
{
    int vnet = 0;
    int first = 1;
    if (argc > 1 && strcmp(argv[1], "-v") == 0) {
        vnet = 1;
        first = 2;
    }
    if (argc - first != 2) {
        fprintf(stderr, "usage: tapfwd [-v] TAP_A TAP_B\n");
        return 2;
    }
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = stop; /* no SA_RESTART: poll returns EINTR and the loop ends */
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);

    struct pollfd fds[2] = {
        {.fd = open_tap(argv[first], vnet), .events = POLLIN},
        {.fd = open_tap(argv[first + 1], vnet), .events = POLLIN},
    };
    static unsigned char frame[FRAME_MAX];
    unsigned long long forwarded[2] = {0, 0};
    printf("ready\n");
    fflush(stdout);
    while (!stopping) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            perror("tapfwd: poll");
            return 1;
        }
        for (int side = 0; side < 2; side++) {
            if (!(fds[side].revents & POLLIN)) {
                continue;
            }
            ssize_t length = read(fds[side].fd, frame, sizeof frame);
            if (length <= 0) {
                continue;
            }
            if (write(fds[1 - side].fd, frame, (size_t)length) == length) {
                forwarded[side]++;
            }
        }
    }
    fprintf(stderr, "tapfwd: forwarded %llu frames A->B, %llu B->A\n", forwarded[0], forwarded[1]);
    return 0;
}
