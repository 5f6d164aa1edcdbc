package dev.podswitch.scenarios.live.sctp;

/**
 * One SCTP packet a raw socket received, after {@link SctpReader}'s checks: its addresses, the
 * common header and its first chunk. {@code initiateTag} is set for INIT and INIT ACK (else 0);
 * {@code cookie} holds an INIT ACK's State Cookie parameter or a COOKIE ECHO's value (else empty);
 * {@code onlyChunk} says whether the first chunk is the whole packet (INIT must travel alone).
 */
record InboundSctp(int sourceIp, int destinationIp, int sourcePort, int destinationPort, int verificationTag,
    int chunkType, int chunkFlags, int initiateTag, byte[] cookie, boolean onlyChunk)
{
}
