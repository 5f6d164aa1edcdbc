package dev.podswitch.dataplane.packet;

import java.lang.foreign.MemorySegment;

/**
 * SCTP common header and its first chunk (RFC 9260). Probes need only INIT, INIT ACK and ABORT,
 * which always travel as the first (and only) chunk of their packet.
 * <pre>
 *  0          2          4                  8          12     13      14       16
 * +----------+----------+------------------+----------+------+-------+--------+---- chunk value
 * | src port | dst port | verification tag | CRC32c   | type | flags | length |
 * +----------+----------+------------------+----------+------+-------+--------+----
 * </pre>
 * The CRC32c is written least-significant byte first, as RFC 9260 appendix A specifies.
 */
public final class SctpFlyweight
{
    public static final int SOURCE_PORT_OFFSET = 0;
    public static final int DESTINATION_PORT_OFFSET = 2;
    public static final int VERIFICATION_TAG_OFFSET = 4;
    public static final int CHECKSUM_OFFSET = 8;
    public static final int COMMON_HEADER_LENGTH = 12;
    public static final int CHUNK_TYPE_OFFSET = 12;
    public static final int CHUNK_FLAGS_OFFSET = 13;
    public static final int CHUNK_LENGTH_OFFSET = 14;
    /** INIT and INIT ACK: initiate tag, a_rwnd, streams and initial TSN follow the chunk header. */
    public static final int INITIATE_TAG_OFFSET = 16;
    public static final int INIT_CHUNK_LENGTH = 20;
    public static final int MIN_LENGTH = COMMON_HEADER_LENGTH + 4;

    public static final int CHUNK_INIT = 1;
    public static final int CHUNK_INIT_ACK = 2;
    public static final int CHUNK_ABORT = 6;
    public static final int ABORT_FLAG_TAG_REFLECTED = 0x01;
    public static final int PARAMETER_STATE_COOKIE = 7;

    private MemorySegment segment;
    private long offset;

    public SctpFlyweight wrap(final MemorySegment segment, final long offset)
    {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    public SctpFlyweight initCommonHeader(final int sourcePort, final int destinationPort, final int verificationTag)
    {
        PacketBytes.putU16(segment, offset + SOURCE_PORT_OFFSET, sourcePort);
        PacketBytes.putU16(segment, offset + DESTINATION_PORT_OFFSET, destinationPort);
        PacketBytes.putI32(segment, offset + VERIFICATION_TAG_OFFSET, verificationTag);
        PacketBytes.putI32(segment, offset + CHECKSUM_OFFSET, 0);
        return this;
    }

    /** Writes an INIT (or INIT ACK with a state cookie) chunk; returns the SCTP packet length. */
    public int putInitChunk(final int chunkType, final int initiateTag, final int cookieLength)
    {
        final int parameterLength = cookieLength == 0 ? 0 : 4 + cookieLength;
        final int chunkLength = INIT_CHUNK_LENGTH + parameterLength;
        putChunkHeader(chunkType, 0, chunkLength);
        PacketBytes.putI32(segment, offset + INITIATE_TAG_OFFSET, initiateTag);
        PacketBytes.putI32(segment, offset + INITIATE_TAG_OFFSET + 4, 65536);   // a_rwnd
        PacketBytes.putU16(segment, offset + INITIATE_TAG_OFFSET + 8, 1);       // outbound streams
        PacketBytes.putU16(segment, offset + INITIATE_TAG_OFFSET + 10, 1);      // inbound streams
        PacketBytes.putI32(segment, offset + INITIATE_TAG_OFFSET + 12, initiateTag); // initial TSN
        if (parameterLength != 0)
        {
            final long parameter = offset + COMMON_HEADER_LENGTH + INIT_CHUNK_LENGTH;
            PacketBytes.putU16(segment, parameter, PARAMETER_STATE_COOKIE);
            PacketBytes.putU16(segment, parameter + 2, parameterLength);
            segment.asSlice(parameter + 4, cookieLength).fill((byte)0x5A);
        }
        // RFC 9260 §3.2: pad the chunk to a multiple of 4 bytes with zeros (the CRC covers them).
        final int paddedLength = (chunkLength + 3) & ~3;
        segment.asSlice(offset + COMMON_HEADER_LENGTH + chunkLength, paddedLength - chunkLength).fill((byte)0);
        return COMMON_HEADER_LENGTH + paddedLength;
    }

    /** Writes an ABORT chunk with no causes; returns the SCTP packet length. */
    public int putAbortChunk(final boolean tagReflected)
    {
        putChunkHeader(CHUNK_ABORT, tagReflected ? ABORT_FLAG_TAG_REFLECTED : 0, 4);
        return COMMON_HEADER_LENGTH + 4;
    }

    private void putChunkHeader(final int type, final int flags, final int length)
    {
        PacketBytes.putU8(segment, offset + CHUNK_TYPE_OFFSET, type);
        PacketBytes.putU8(segment, offset + CHUNK_FLAGS_OFFSET, flags);
        PacketBytes.putU16(segment, offset + CHUNK_LENGTH_OFFSET, length);
    }

    public int sourcePort()
    {
        return PacketBytes.getU16(segment, offset + SOURCE_PORT_OFFSET);
    }

    public int destinationPort()
    {
        return PacketBytes.getU16(segment, offset + DESTINATION_PORT_OFFSET);
    }

    public int verificationTag()
    {
        return PacketBytes.getI32(segment, offset + VERIFICATION_TAG_OFFSET);
    }

    public int chunkType()
    {
        return PacketBytes.getU8(segment, offset + CHUNK_TYPE_OFFSET);
    }

    public int chunkFlags()
    {
        return PacketBytes.getU8(segment, offset + CHUNK_FLAGS_OFFSET);
    }

    public int chunkLength()
    {
        return PacketBytes.getU16(segment, offset + CHUNK_LENGTH_OFFSET);
    }

    public int initiateTag()
    {
        return PacketBytes.getI32(segment, offset + INITIATE_TAG_OFFSET);
    }

    public SctpFlyweight updateChecksum(final int sctpLength)
    {
        PacketBytes.putI32(segment, offset + CHECKSUM_OFFSET, 0);
        final int crc = Checksums.crc32c(segment, offset, sctpLength);
        PacketBytes.putI32(segment, offset + CHECKSUM_OFFSET, Integer.reverseBytes(crc));
        return this;
    }

    public boolean isChecksumValid(final int sctpLength)
    {
        final int stored = PacketBytes.getI32(segment, offset + CHECKSUM_OFFSET);
        PacketBytes.putI32(segment, offset + CHECKSUM_OFFSET, 0);
        final int crc = Checksums.crc32c(segment, offset, sctpLength);
        PacketBytes.putI32(segment, offset + CHECKSUM_OFFSET, stored);
        return Integer.reverseBytes(crc) == stored;
    }
}
