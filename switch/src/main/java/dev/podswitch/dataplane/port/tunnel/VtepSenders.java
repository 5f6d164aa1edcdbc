package dev.podswitch.dataplane.port.tunnel;

import dev.podswitch.util.IntHashMap;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Which UDP senders an underlay believes: the (address, port) pairs its own VTEPs send from. A
 * VXLAN datagram names its VTEP only by its source address, and the tunnel trusts that address to
 * say which pods may appear inside ({@code SPOOFED_SOURCE}) — so the address must not be one any
 * process on the host can send from. This is the underlay's answer:
 *
 * <ul>
 *   <li><b>From one of our own VTEPs' addresses</b> (every podswitch node of this process shares the
 *   underlay): only from one of the ports that VTEP's sending sockets hold. An unprivileged process
 *   can bind a loopback address — or any address of this host — but not a port our socket holds
 *   (no {@code SO_REUSEADDR}/{@code SO_REUSEPORT} on ours), and cannot forge a source port without
 *   {@code CAP_NET_RAW} in our network namespace. So the pair stands for our own socket.</li>
 *   <li><b>From any other loopback address</b>: refused. Every 127/8 address is local, so anyone
 *   can send from it; the only loopback peers podswitch has are its own VTEPs.</li>
 *   <li><b>From any other address</b> (an external peer, a kernel VXLAN device as flannel builds
 *   one): believed on its address alone. Such a peer picks its source port per flow from its
 *   whole range (a hash of the inner flow, RFC 7348 §5), so no port list could name it; and an
 *   unprivileged local process cannot send from an address that is not local ({@code
 *   IP_TRANSPARENT} needs {@code CAP_NET_ADMIN}). The tunnel then asks the
 *   forwarding table whether the address is a peer at all. This holds only while the external
 *   peer's address is not one of this host's own: give such an underlay a network namespace of
 *   its own (see docs/security.md).</li>
 * </ul>
 *
 * We chose known (address, port) pairs over an underlay namespace because emulated labs and tests
 * run without root and must keep working the same way, and because the pairs cost one lookup per
 * datagram; a namespace remains the right tool for live nodes whose external peers share the host.
 *
 * <p>Threads: {@link #add} and {@link #clear} on the control thread (copy-on-write); {@link #admits}
 * on any receive thread, lock-free and allocation-free.
 */
final class VtepSenders
{
    private static final int LOOPBACK_NETWORK = 127 << 24;
    private static final int LOOPBACK_MASK = 0xFF00_0000;

    private final Map<Integer, int[]> portsByVtep = new HashMap<>();
    private volatile IntHashMap<int[]> portsByVtepIp = new IntHashMap<>(4);

    /** Records the ports {@code vtepIp} sends from (replacing any it had). */
    synchronized void add(final int vtepIp, final int[] ports)
    {
        final int[] sorted = ports.clone();
        Arrays.sort(sorted);
        portsByVtep.put(vtepIp, sorted);
        publish();
    }

    synchronized void clear()
    {
        portsByVtep.clear();
        publish();
    }

    private void publish()
    {
        final IntHashMap<int[]> updated = new IntHashMap<>(portsByVtep.size());
        portsByVtep.forEach(updated::put);
        portsByVtepIp = updated;
    }

    /** The ports {@code vtepIp} sends from, a copy; empty when it is none of ours. */
    synchronized int[] portsOf(final int vtepIp)
    {
        final int[] ports = portsByVtep.get(vtepIp);
        return ports == null ? new int[0] : ports.clone();
    }

    /** Whether a datagram from {@code senderIp}:{@code senderPort} may be taken as its address says (see the class comment). */
    boolean admits(final int senderIp, final int senderPort)
    {
        final int[] ports = portsByVtepIp.get(senderIp);
        if (ports != null)
        {
            for (final int port : ports)
            {
                if (port == senderPort)
                {
                    return true;
                }
            }
            return false;
        }
        return (senderIp & LOOPBACK_MASK) != LOOPBACK_NETWORK;
    }
}
