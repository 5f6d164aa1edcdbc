package dev.podswitch.dataplane.port.endpoint;

import dev.podswitch.dataplane.packet.IpProtocol;

/**
 * The probes in flight across one emulated cluster, keyed by protocol and source port (or ICMP
 * identifier). Source ports are handed out cluster-wide, so a destination can find the probe a
 * request belongs to from the packet alone — and tell whether its source IP survived the trip.
 *
 * <p>Threads: written ({@link #register}, {@link #release}) only by the thread that drives the
 * emulated cluster, and only while no node agent runs; read ({@link #find}) by the node agents,
 * on one thread or several, only while the driver waits in {@code runUntilIdle}. The hand-over
 * between the two phases (an {@code AgentGate}, or the same thread when nodes run on the driver's)
 * is the happens-before edge, so the table needs no locks or volatile slots, and the
 * single-threaded path stays plain array reads and writes.
 */
public final class ProbeRegistry
{
    public static final int FIRST_PORT = 32768;
    public static final int LAST_PORT = 60999;
    /** How many probes may be in flight at once: one per source port. */
    public static final int CAPACITY = LAST_PORT - FIRST_PORT + 1;

    private final Probe[][] probeByProtocolAndPort = new Probe[IpProtocol.values().length][CAPACITY];
    private int nextPort = FIRST_PORT;
    private int inFlight;

    /** Assigns the probe a free source port and remembers it; false when every port is busy. */
    public boolean register(final Probe probe)
    {
        if (inFlight >= CAPACITY)
        {
            return false;
        }
        final Probe[] byPort = probeByProtocolAndPort[probe.protocol().ordinal()];
        while (byPort[nextPort - FIRST_PORT] != null)
        {
            advance();
        }
        probe.sourcePort(nextPort);
        byPort[nextPort - FIRST_PORT] = probe;
        inFlight++;
        advance();
        return true;
    }

    private void advance()
    {
        nextPort = nextPort == LAST_PORT ? FIRST_PORT : nextPort + 1;
    }

    public Probe find(final IpProtocol protocol, final int sourcePort)
    {
        if (protocol == null || sourcePort < FIRST_PORT || sourcePort > LAST_PORT)
        {
            return null;
        }
        return probeByProtocolAndPort[protocol.ordinal()][sourcePort - FIRST_PORT];
    }

    /** Forgets a finished probe, freeing its source port. */
    public void release(final Probe probe)
    {
        final Probe[] byPort = probeByProtocolAndPort[probe.protocol().ordinal()];
        final int index = probe.sourcePort() - FIRST_PORT;
        if (index >= 0 && index < CAPACITY && byPort[index] == probe)
        {
            byPort[index] = null;
            inFlight--;
        }
    }

    public int inFlight()
    {
        return inFlight;
    }
}
