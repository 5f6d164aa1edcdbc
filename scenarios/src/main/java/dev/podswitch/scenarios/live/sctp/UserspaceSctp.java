package dev.podswitch.scenarios.live.sctp;

import dev.podswitch.control.live.NetworkNamespaces;

import java.io.Closeable;
import java.util.Set;

/**
 * Live SCTP on a kernel without SCTP: an {@link SctpResponder} per pod — always, even with no
 * SCTP port declared, so closed ports are refused with an ABORT as a real stack does — and
 * probes made by {@link UserspaceProbe}, each over a raw socket of its own in the source pod's
 * namespace.
 */
final class UserspaceSctp implements LiveSctp
{
    @Override
    public Closeable serve(final String owner, final String namespace, final Set<Integer> ports)
    {
        return SctpResponder.start(owner, namespace, ports);
    }

    @Override
    public SctpProbeResult probe(final String namespace, final int destinationIp, final int port,
        final ProbeTiming timing) throws Exception
    {
        try (RawSctpSocket socket = NetworkNamespaces.callIn(namespace, RawSctpSocket::open))
        {
            return new UserspaceProbe().run(socket, destinationIp, port, timing);
        }
    }
}
