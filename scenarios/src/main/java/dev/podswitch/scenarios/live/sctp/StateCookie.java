package dev.podswitch.scenarios.live.sctp;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The State Cookie the userspace responder puts into its INIT ACK (RFC 9260 §5.1.3: whatever the
 * server needs to rebuild the association from a COOKIE ECHO, signed so it cannot be forged).
 * It also carries the source IP the INIT arrived with, which is how a live prober learns the
 * address the destination saw — the no-NAT check, as TCP and UDP listeners write the peer address.
 * <pre>
 *  0       4           8            12          14           16          20         24     32
 * +-------+-----------+------------+-----------+------------+-----------+----------+------+
 * | PSW1  | source IP | local IP   | peer port | local port | peer tag  | own tag  | MAC  |
 * |       | seen      | (INIT dst) |           |            | (INIT's)  | (ours)   | (8)  |
 * +-------+-----------+------------+-----------+------------+-----------+----------+------+
 * </pre>
 * The MAC is HMAC-SHA256 over the first 24 bytes with the responder's random key, cut to 8
 * bytes. The prober reads the fields without the key (it only wants the source IP); only the
 * responder verifies the MAC. There is no lifespan: the responder keeps no association, so a
 * replayed cookie earns nothing but another COOKIE ACK.
 */
record StateCookie(int sourceIpSeen, int localIp, int peerPort, int localPort, int peerTag, int ownTag)
{
    static final int LENGTH = 32;
    private static final int MAGIC = 0x50535731; // "PSW1"
    private static final int SIGNED_LENGTH = 24;
    private static final int MAC_LENGTH = LENGTH - SIGNED_LENGTH;
    private static final String HMAC = "HmacSHA256";

    /** The cookie's bytes, signed with {@code key}. */
    byte[] encode(final byte[] key)
    {
        final ByteBuffer bytes = ByteBuffer.allocate(LENGTH);
        bytes.putInt(MAGIC).putInt(sourceIpSeen).putInt(localIp).putShort((short)peerPort).putShort((short)localPort)
            .putInt(peerTag).putInt(ownTag);
        bytes.put(mac(key, bytes.array()));
        return bytes.array();
    }

    /** The fields of a cookie a podswitch responder made, without checking its MAC; null if it is not one. */
    static StateCookie read(final byte[] cookie)
    {
        if (cookie.length != LENGTH)
        {
            return null;
        }
        final ByteBuffer bytes = ByteBuffer.wrap(cookie);
        if (bytes.getInt() != MAGIC)
        {
            return null;
        }
        return new StateCookie(bytes.getInt(), bytes.getInt(), bytes.getShort() & 0xFFFF, bytes.getShort() & 0xFFFF,
            bytes.getInt(), bytes.getInt());
    }

    /** The fields of a cookie signed with {@code key}; null if it is not one or its MAC is wrong. */
    static StateCookie verify(final byte[] cookie, final byte[] key)
    {
        final StateCookie read = read(cookie);
        if (read == null)
        {
            return null;
        }
        final byte[] expected = mac(key, cookie);
        return MessageDigest.isEqual(expected, Arrays.copyOfRange(cookie, SIGNED_LENGTH, LENGTH)) ? read : null;
    }

    private static byte[] mac(final byte[] key, final byte[] cookie)
    {
        try
        {
            final Mac mac = Mac.getInstance(HMAC);
            mac.init(new SecretKeySpec(key, HMAC));
            mac.update(cookie, 0, SIGNED_LENGTH);
            return Arrays.copyOf(mac.doFinal(), MAC_LENGTH);
        }
        catch (final GeneralSecurityException missing)
        {
            throw new IllegalStateException("the JDK has no " + HMAC, missing);
        }
    }
}
