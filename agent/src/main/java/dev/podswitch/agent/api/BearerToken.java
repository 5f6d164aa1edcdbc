package dev.podswitch.agent.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.util.Set;

/**
 * The loopback TCP listener's credential: a token in a file only its owner can read (a token
 * anyone on the machine can read protects nothing, so a group- or world-readable file is refused).
 * Compared in constant time.
 */
final class BearerToken
{
    static final int MIN_LENGTH = 16;
    private static final int MAX_FILE_BYTES = 4096;

    private BearerToken()
    {
    }

    static String read(final Path file) throws IOException
    {
        if (file == null)
        {
            throw new IOException("a TCP listener needs a token file (--api-token-file): loopback is reachable by "
                + "every local user");
        }
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || Files.size(file) > MAX_FILE_BYTES)
        {
            throw new IOException(file + " is not a regular file of at most " + MAX_FILE_BYTES + " bytes");
        }
        final Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
        if (permissions.contains(PosixFilePermission.GROUP_READ) || permissions.contains(PosixFilePermission.OTHERS_READ))
        {
            throw new IOException(file + " can be read by others (" + java.nio.file.attribute.PosixFilePermissions
                .toString(permissions) + "); chmod 600 it");
        }
        final String token = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (token.length() < MIN_LENGTH)
        {
            throw new IOException(file + " holds a token of " + token.length() + " characters; use at least "
                + MIN_LENGTH + " (for example: head -c 32 /dev/urandom | base64 > FILE)");
        }
        return token;
    }

    static boolean matches(final String expected, final String authorization)
    {
        if (authorization == null || !authorization.startsWith("Bearer "))
        {
            return false;
        }
        return MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
            authorization.substring("Bearer ".length()).strip().getBytes(StandardCharsets.UTF_8));
    }
}
