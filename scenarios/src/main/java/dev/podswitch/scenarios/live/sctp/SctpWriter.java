package dev.podswitch.scenarios.live.sctp;

import dev.podswitch.dataplane.packet.PacketBytes;
import dev.podswitch.dataplane.packet.SctpFlyweight;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Builds the SCTP packets of live probes and the userspace responder — common header, one chunk,
 * CRC32c last — into one buffer that each call overwrites, with the switch's {@link SctpFlyweight}
 * (so the emulated and live endpoints write the same INIT and INIT ACK). No IP header: a raw
 * socket's kernel writes it. Every method returns the packet length. Not thread-safe.
 */
final class SctpWriter
{
    /** An INIT ACK with our 32-byte cookie is 12 + 20 + 4 + 32 = 68 bytes; room to spare. */
    private static final int CAPACITY = 256;

    private final MemorySegment buffer = Arena.ofAuto().allocate(CAPACITY, 8);
    private final SctpFlyweight sctp = new SctpFlyweight();

    MemorySegment buffer()
    {
        return buffer;
    }

    /** An INIT: verification tag 0 (RFC 9260 §8.5.1), our initiate tag, no parameters. */
    int init(final int sourcePort, final int destinationPort, final int initiateTag)
    {
        sctp.wrap(buffer, 0).initCommonHeader(sourcePort, destinationPort, 0);
        return finish(sctp.putInitChunk(SctpFlyweight.CHUNK_INIT, initiateTag, 0));
    }

    /** An INIT ACK: tagged with the INIT's initiate tag, carrying our own tag and the State Cookie. */
    int initAck(final int sourcePort, final int destinationPort, final int peerTag, final int ownTag, final byte[] cookie)
    {
        sctp.wrap(buffer, 0).initCommonHeader(sourcePort, destinationPort, peerTag);
        final int length = sctp.putInitChunk(SctpFlyweight.CHUNK_INIT_ACK, ownTag, cookie.length);
        // putInitChunk writes a placeholder cookie; ours goes over it (same length, so the padding stays right).
        final long cookieValue = SctpFlyweight.COMMON_HEADER_LENGTH + SctpFlyweight.INIT_CHUNK_LENGTH
            + SctpChunks.PARAMETER_HEADER_LENGTH;
        MemorySegment.copy(MemorySegment.ofArray(cookie), 0, buffer, cookieValue, cookie.length);
        return finish(length);
    }

    /** An ABORT with no causes; {@code tagReflected} is its T bit. */
    int abort(final int sourcePort, final int destinationPort, final int verificationTag, final boolean tagReflected)
    {
        sctp.wrap(buffer, 0).initCommonHeader(sourcePort, destinationPort, verificationTag);
        return finish(sctp.putAbortChunk(tagReflected));
    }

    /** A COOKIE ACK (RFC 9260 §3.3.12): type 11, no flags, no value. */
    int cookieAck(final int sourcePort, final int destinationPort, final int verificationTag)
    {
        sctp.wrap(buffer, 0).initCommonHeader(sourcePort, destinationPort, verificationTag);
        PacketBytes.putU8(buffer, SctpFlyweight.CHUNK_TYPE_OFFSET, SctpChunks.COOKIE_ACK);
        PacketBytes.putU8(buffer, SctpFlyweight.CHUNK_FLAGS_OFFSET, 0);
        PacketBytes.putU16(buffer, SctpFlyweight.CHUNK_LENGTH_OFFSET, SctpChunks.CHUNK_HEADER_LENGTH);
        return finish(SctpFlyweight.COMMON_HEADER_LENGTH + SctpChunks.CHUNK_HEADER_LENGTH);
    }

    private int finish(final int length)
    {
        sctp.updateChecksum(length);
        return length;
    }
}
