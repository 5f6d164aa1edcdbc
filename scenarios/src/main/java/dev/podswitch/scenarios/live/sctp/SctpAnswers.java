package dev.podswitch.scenarios.live.sctp;

import dev.podswitch.dataplane.packet.SctpFlyweight;
import dev.podswitch.scenarios.live.sctp.SctpCounters.Count;

import java.lang.foreign.MemorySegment;
import java.util.Set;
import java.util.function.IntSupplier;

/**
 * What the userspace responder answers, as the emulated endpoint does (and RFC 9260 says):
 * <ul>
 * <li>an INIT to a served port → INIT ACK tagged with the INIT's initiate tag, carrying a fresh
 *     tag of ours and a {@link StateCookie} that records the source IP the INIT came from;</li>
 * <li>an INIT to any other port → ABORT tagged with the INIT's initiate tag, T bit clear
 *     (RFC 9260 §8.4 item 3: the tag is not reflected, it is the peer's own);</li>
 * <li>a COOKIE ECHO with one of our cookies → COOKIE ACK (the association's handshake ends
 *     there: no association is kept, so later DATA goes unanswered);</li>
 * <li>anything else — replies to this namespace's own probes, ABORTs, malformed packets — nothing,
 *     counted by reason. An INIT must carry verification tag 0 and a non-zero initiate tag and
 *     travel alone (RFC 9260 §8.5.1, §3.3.2, §6.10); one that does not is discarded.</li>
 * </ul>
 * Pure logic over byte buffers, so tests drive it without sockets. Not thread-safe: one per
 * responder thread. Every packet ends in exactly one counter.
 */
final class SctpAnswers
{
    /** An answer waiting in {@link #buffer()}: {@code length} bytes, to go to {@code destinationIp}. */
    record Reply(int destinationIp, int length)
    {
    }

    private final Set<Integer> servedPorts;
    private final byte[] cookieKey;
    private final IntSupplier ownTags;
    private final SctpCounters counters;
    private final SctpReader reader = new SctpReader();
    private final SctpWriter writer = new SctpWriter();

    /**
     * @param ownTags gives the initiate tag of each INIT ACK: non-zero, hard to guess (RFC 9260 §5.3.1).
     */
    SctpAnswers(final Set<Integer> servedPorts, final byte[] cookieKey, final IntSupplier ownTags,
        final SctpCounters counters)
    {
        this.servedPorts = Set.copyOf(servedPorts);
        this.cookieKey = cookieKey.clone();
        this.ownTags = ownTags;
        this.counters = counters;
    }

    /** The buffer replies are written into; valid until the next {@link #answer}. */
    MemorySegment buffer()
    {
        return writer.buffer();
    }

    /** Answers one received packet (IPv4 header first), or returns null; counts it either way. */
    Reply answer(final MemorySegment received, final int length)
    {
        counters.increment(Count.RECEIVED);
        final InboundSctp in = reader.read(received, length);
        if (in == null)
        {
            counters.increment(switch (reader.problem())
            {
                case TRUNCATED -> Count.IGNORED_TRUNCATED;
                case BAD_IP_HEADER -> Count.IGNORED_BAD_IP_HEADER;
                case BAD_CHECKSUM -> Count.IGNORED_BAD_CHECKSUM;
                case MALFORMED_CHUNK -> Count.IGNORED_MALFORMED;
            });
            return null;
        }
        return switch (in.chunkType())
        {
            case SctpFlyweight.CHUNK_INIT -> answerInit(in);
            case SctpChunks.COOKIE_ECHO -> answerCookieEcho(in);
            default -> ignored(Count.IGNORED_NOT_A_REQUEST);
        };
    }

    private Reply answerInit(final InboundSctp in)
    {
        if (in.verificationTag() != 0 || in.initiateTag() == 0 || !in.onlyChunk())
        {
            return ignored(Count.IGNORED_MALFORMED);
        }
        final int length;
        final Count outcome;
        if (servedPorts.contains(in.destinationPort()))
        {
            final int ownTag = ownTags.getAsInt();
            final byte[] cookie = new StateCookie(in.sourceIp(), in.destinationIp(), in.sourcePort(),
                in.destinationPort(), in.initiateTag(), ownTag).encode(cookieKey);
            length = writer.initAck(in.destinationPort(), in.sourcePort(), in.initiateTag(), ownTag, cookie);
            outcome = Count.INIT_ACK_SENT;
        }
        else
        {
            length = writer.abort(in.destinationPort(), in.sourcePort(), in.initiateTag(), false);
            outcome = Count.ABORT_SENT;
        }
        counters.increment(outcome);
        return new Reply(in.sourceIp(), length);
    }

    private Reply answerCookieEcho(final InboundSctp in)
    {
        final StateCookie cookie = StateCookie.verify(in.cookie(), cookieKey);
        if (cookie == null || cookie.ownTag() != in.verificationTag() || cookie.localPort() != in.destinationPort()
            || cookie.peerPort() != in.sourcePort() || cookie.sourceIpSeen() != in.sourceIp())
        {
            return ignored(Count.IGNORED_BAD_COOKIE);
        }
        final int length = writer.cookieAck(in.destinationPort(), in.sourcePort(), cookie.peerTag());
        counters.increment(Count.COOKIE_ACK_SENT);
        return new Reply(in.sourceIp(), length);
    }

    private Reply ignored(final Count why)
    {
        counters.increment(why);
        return null;
    }
}
