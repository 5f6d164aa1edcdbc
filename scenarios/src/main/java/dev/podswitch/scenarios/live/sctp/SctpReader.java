package dev.podswitch.scenarios.live.sctp;

import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.packet.Ipv4Flyweight;
import dev.podswitch.dataplane.packet.PacketBytes;
import dev.podswitch.dataplane.packet.SctpFlyweight;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Reads what a raw SCTP socket received — an IPv4 header, then the SCTP packet — checking every
 * length against the bytes that arrived before reading a field, and the CRC32c of the common
 * header (the kernel checks nothing for a protocol it does not know). A packet that fails a check
 * is not an error: {@link #read} returns null and {@link #problem()} says why, for the counters.
 * Not thread-safe: one per receiving thread.
 */
final class SctpReader
{
    /** Why a received packet was ignored. */
    enum Problem
    {
        /** Shorter than its headers or its own length fields say. */
        TRUNCATED,
        /** Not IPv4 protocol 132, or a fragment (the kernel reassembles before raw delivery, so never expected). */
        BAD_IP_HEADER,
        /** The CRC32c does not match: corrupted, or not SCTP at all. */
        BAD_CHECKSUM,
        /** A chunk or parameter whose length cannot be right. */
        MALFORMED_CHUNK
    }

    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final SctpFlyweight sctp = new SctpFlyweight();
    private Problem problem;

    /** The packet's meaning, or null (see {@link #problem()}). May rewrite and restore the checksum field while checking it. */
    InboundSctp read(final MemorySegment packet, final int length)
    {
        problem = null;
        if (length < Ipv4Flyweight.MIN_HEADER_LENGTH)
        {
            return ignore(Problem.TRUNCATED);
        }
        ipv4.wrap(packet, 0);
        final int headerLength = ipv4.headerLength();
        if (ipv4.version() != 4 || headerLength < Ipv4Flyweight.MIN_HEADER_LENGTH
            || ipv4.protocol() != IpProtocol.SCTP.number() || ipv4.isFragment())
        {
            return ignore(Problem.BAD_IP_HEADER);
        }
        final int totalLength = ipv4.totalLength();
        if (totalLength > length || totalLength < headerLength)
        {
            return ignore(Problem.TRUNCATED);
        }
        final int sctpLength = totalLength - headerLength;
        if (sctpLength < SctpFlyweight.MIN_LENGTH)
        {
            return ignore(Problem.TRUNCATED);
        }
        sctp.wrap(packet, headerLength);
        if (!sctp.isChecksumValid(sctpLength))
        {
            return ignore(Problem.BAD_CHECKSUM);
        }
        return readChunk(packet, headerLength, sctpLength);
    }

    private InboundSctp readChunk(final MemorySegment packet, final int sctpOffset, final int sctpLength)
    {
        final int chunkType = sctp.chunkType();
        final int chunkLength = sctp.chunkLength();
        final int chunksLength = sctpLength - SctpFlyweight.COMMON_HEADER_LENGTH;
        if (chunkLength < SctpChunks.CHUNK_HEADER_LENGTH)
        {
            return ignore(Problem.MALFORMED_CHUNK);
        }
        if (chunkLength > chunksLength)
        {
            return ignore(Problem.TRUNCATED);
        }
        final boolean isInit = chunkType == SctpFlyweight.CHUNK_INIT || chunkType == SctpFlyweight.CHUNK_INIT_ACK;
        if (isInit && chunkLength < SctpChunks.CHUNK_HEADER_LENGTH + SctpChunks.INIT_FIXED_LENGTH)
        {
            return ignore(Problem.MALFORMED_CHUNK);
        }
        final long chunkValue = sctpOffset + SctpFlyweight.COMMON_HEADER_LENGTH + SctpChunks.CHUNK_HEADER_LENGTH;
        byte[] cookie = new byte[0];
        if (chunkType == SctpFlyweight.CHUNK_INIT_ACK)
        {
            cookie = stateCookie(packet, chunkValue + SctpChunks.INIT_FIXED_LENGTH,
                chunkLength - SctpChunks.CHUNK_HEADER_LENGTH - SctpChunks.INIT_FIXED_LENGTH);
            if (cookie == null)
            {
                return ignore(Problem.MALFORMED_CHUNK);
            }
        }
        else if (chunkType == SctpChunks.COOKIE_ECHO)
        {
            cookie = packet.asSlice(chunkValue, chunkLength - SctpChunks.CHUNK_HEADER_LENGTH).toArray(ValueLayout.JAVA_BYTE);
        }
        // The last chunk of a packet may come with or without its padding.
        final boolean onlyChunk = chunkLength == chunksLength || SctpChunks.padded(chunkLength) == chunksLength;
        return new InboundSctp(ipv4.sourceIp(), ipv4.destinationIp(), sctp.sourcePort(), sctp.destinationPort(),
            sctp.verificationTag(), chunkType, sctp.chunkFlags(), isInit ? sctp.initiateTag() : 0, cookie, onlyChunk);
    }

    /**
     * The value of the State Cookie parameter among an INIT ACK's parameters (RFC 9260 §3.3.3), an
     * empty array when there is none, or null when a parameter's length runs past the chunk.
     */
    private static byte[] stateCookie(final MemorySegment packet, final long start, final int length)
    {
        long at = start;
        final long end = start + length;
        while (at + SctpChunks.PARAMETER_HEADER_LENGTH <= end)
        {
            final int type = PacketBytes.getU16(packet, at);
            final int parameterLength = PacketBytes.getU16(packet, at + 2);
            if (parameterLength < SctpChunks.PARAMETER_HEADER_LENGTH || at + parameterLength > end)
            {
                return null;
            }
            if (type == SctpFlyweight.PARAMETER_STATE_COOKIE)
            {
                return packet.asSlice(at + SctpChunks.PARAMETER_HEADER_LENGTH,
                    parameterLength - SctpChunks.PARAMETER_HEADER_LENGTH).toArray(ValueLayout.JAVA_BYTE);
            }
            at += SctpChunks.padded(parameterLength);
        }
        return new byte[0];
    }

    private InboundSctp ignore(final Problem why)
    {
        problem = why;
        return null;
    }

    /** Why the last {@link #read} returned null. */
    Problem problem()
    {
        return problem;
    }
}
