package dev.podswitch.agent;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/** Unix domain sockets that only their owner (root) may connect to, from the first moment on. */
public final class UnixSockets
{
    private UnixSockets()
    {
    }

    /**
     * Binds a listening socket at {@code path} with mode 0600. It is bound in a private (0700)
     * directory beside {@code path}, restricted, and only then renamed into place — binding at
     * {@code path} and restricting afterwards would leave a moment in which anyone could connect,
     * and a connection made then stays open.
     */
    public static ServerSocketChannel bindOwnerOnly(final Path path) throws IOException
    {
        final Path parent = path.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        final Path privateDirectory = Files.createTempDirectory(parent, ".psw-socket",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        final Path bound = privateDirectory.resolve("socket");
        final ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try
        {
            server.bind(UnixDomainSocketAddress.of(bound));
            Files.setPosixFilePermissions(bound, PosixFilePermissions.fromString("rw-------"));
            Files.move(bound, path, StandardCopyOption.ATOMIC_MOVE);
            return server;
        }
        catch (final IOException | RuntimeException failed)
        {
            server.close();
            Files.deleteIfExists(bound);
            throw failed;
        }
        finally
        {
            Files.deleteIfExists(privateDirectory);
        }
    }
}
