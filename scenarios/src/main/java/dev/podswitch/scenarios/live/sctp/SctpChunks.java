package dev.podswitch.scenarios.live.sctp;

/**
 * Chunk types and parameters of RFC 9260 that the switch's {@code SctpFlyweight} does not name
 * (it needs only INIT, INIT ACK and ABORT); kept here because that package is not ours to change.
 */
final class SctpChunks
{
    static final int COOKIE_ECHO = 10;
    static final int COOKIE_ACK = 11;
    /** An INIT's fixed part after the 4-byte chunk header: initiate tag, a_rwnd, outbound and inbound streams, initial TSN. */
    static final int INIT_FIXED_LENGTH = 16;
    static final int CHUNK_HEADER_LENGTH = 4;
    static final int PARAMETER_HEADER_LENGTH = 4;

    private SctpChunks()
    {
    }

    /** Chunks and parameters are padded to a multiple of 4 bytes (RFC 9260 §3.2, §3.2.1). */
    static int padded(final int length)
    {
        return (length + 3) & ~3;
    }
}
