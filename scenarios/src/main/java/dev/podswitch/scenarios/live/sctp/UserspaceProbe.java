package dev.podswitch.scenarios.live.sctp;

import dev.podswitch.dataplane.packet.PacketBytes;
import dev.podswitch.dataplane.packet.SctpFlyweight;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.security.SecureRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One SCTP probe over a raw socket, as the emulated endpoint's probe does it: an INIT from a
 * source port of our own, then the first INIT ACK (→ open, source IP seen from the cookie, and
 * an ABORT to tear the half-open association down) or ABORT (→ refused) that comes back from the
 * destination's address and port to ours with our initiate tag as its verification tag. Anything
 * else the raw socket hands us — other probes' answers, this namespace's responder traffic — is
 * skipped. Nothing before the deadline → none.
 */
final class UserspaceProbe
{
    /** Source ports, cycled through 32768–60999 (Linux's ephemeral range) from a random start. */
    private static final int FIRST_PORT = 32_768;
    private static final int PORTS = 61_000 - FIRST_PORT;
    private static final AtomicInteger NEXT_PORT = new AtomicInteger(ThreadLocalRandom.current().nextInt(PORTS));
    private static final SecureRandom TAGS = new SecureRandom();
    private static final int RECEIVE_BUFFER = 65_535;

    private final SctpReader reader = new SctpReader();
    private final SctpWriter writer = new SctpWriter();

    /**
     * A source port no other probe of this JVM uses at the same time: a raw socket reserves no port,
     * and the switch's connection tracker and the prober's filter tell probes apart by it.
     */
    static int nextSourcePort()
    {
        return FIRST_PORT + Math.floorMod(NEXT_PORT.getAndIncrement(), PORTS);
    }

    SctpProbeResult run(final RawSctpSocket socket, final int destinationIp, final int destinationPort,
        final ProbeTiming timing)
    {
        final int sourcePort = nextSourcePort();
        final int tag = SctpResponder.nonZeroTag(TAGS);
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment buffer = arena.allocate(RECEIVE_BUFFER, 8);
            final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timing.totalMs());
            long nextSend = System.nanoTime();
            for (long now = nextSend; now < deadline; now = System.nanoTime())
            {
                if (now >= nextSend)
                {
                    socket.send(destinationIp, writer.buffer(), writer.init(sourcePort, destinationPort, tag));
                    nextSend = now + TimeUnit.MILLISECONDS.toNanos(timing.resendMs());
                }
                final int waitMs = (int)Math.max(1, TimeUnit.NANOSECONDS.toMillis(Math.min(nextSend, deadline) - now));
                final int length = socket.receive(buffer, waitMs);
                final InboundSctp in = length > 0 ? reader.read(buffer, length) : null;
                if (in == null || in.sourceIp() != destinationIp || in.sourcePort() != destinationPort
                    || in.destinationPort() != sourcePort || in.verificationTag() != tag)
                {
                    continue;
                }
                if (in.chunkType() == SctpFlyweight.CHUNK_INIT_ACK)
                {
                    // Tear the half-open association down, as a probe that only wanted the handshake does.
                    socket.send(destinationIp, writer.buffer(), writer.abort(sourcePort, destinationPort,
                        in.initiateTag(), false));
                    final StateCookie cookie = StateCookie.read(in.cookie());
                    return new SctpProbeResult(SctpProbeResult.Answer.OPEN,
                        cookie == null ? null : PacketBytes.ipToString(cookie.sourceIpSeen()));
                }
                if (in.chunkType() == SctpFlyweight.CHUNK_ABORT && (in.chunkFlags() & SctpFlyweight.ABORT_FLAG_TAG_REFLECTED) == 0)
                {
                    return new SctpProbeResult(SctpProbeResult.Answer.REFUSED, null);
                }
            }
            return SctpProbeResult.none();
        }
    }
}
