package dev.podswitch.agent.state;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Replaces a file whole: the new content goes to a temp file beside it (with its permissions,
 * fsynced), which is then renamed over the old one — so a reader (a runtime watching the config
 * directory, the agent after a crash) sees the old file or the new one, never half of one.
 */
public final class AtomicFiles
{
    private AtomicFiles()
    {
    }

    /**
     * @throws IOException when the new content cannot be kept (a full disk: "No space left on
     *                     device"), naming the file and saying the old one is intact — it is, since
     *                     nothing replaces it before the new content is on disk; the temp file goes.
     */
    public static void write(final Path file, final byte[] content, final String permissions) throws IOException
    {
        final Path temp = file.resolveSibling("." + file.getFileName() + ".tmp");
        try
        {
            Files.write(temp, content);
            Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString(permissions));
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE))
            {
                channel.force(true);
            }
        }
        catch (final IOException failed)
        {
            deleteQuietly(temp, failed);
            throw new IOException("cannot write " + file + ": " + failed.getMessage() + "; the previous "
                + file.getFileName() + " is intact", failed);
        }
        move(temp, file);
        syncDirectory(file.toAbsolutePath().getParent());
    }

    private static void deleteQuietly(final Path temp, final IOException cause)
    {
        try
        {
            Files.deleteIfExists(temp);
        }
        catch (final IOException alsoFailed)
        {
            cause.addSuppressed(alsoFailed);
        }
    }

    /** The rename itself is durable only once the directory is: fsync it, as the IPAM store does. */
    static void syncDirectory(final Path directory) throws IOException
    {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ))
        {
            channel.force(true);
        }
    }

    public static void move(final Path temp, final Path file) throws IOException
    {
        try
        {
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        catch (final AtomicMoveNotSupportedException notAtomic)
        {
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
