package dev.podswitch.agent.api;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.concurrent.DefaultEventExecutorGroup;
import io.netty.util.concurrent.EventExecutorGroup;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The control API served with Netty: HTTP/1.1 and JSON on a Unix domain socket that only its owner
 * may use (mode 0600, bound in a private directory and renamed into place, so there is no moment
 * in which anyone else could connect), and optionally on a loopback TCP port where every request
 * must carry the bearer token from a file. Bodies are bounded ({@link Limits}), idle connections
 * are closed, and connections beyond the limit are refused — each with a JSON {@code Status}.
 *
 * <p>Threads: one epoll event loop does the I/O; requests are handled one at a time on one
 * executor thread (the model serialises applies anyway), never on the data plane's threads.
 */
public final class ApiServer implements AutoCloseable
{
    /** What a client may send, and how many may be connected at once. */
    public record Limits(int maxBodyBytes, int maxConnections, int readTimeoutSeconds)
    {
        public static final Limits DEFAULT = new Limits(1024 * 1024, 64, 30);

        public Limits
        {
            if (maxBodyBytes < 1024 || maxConnections < 1 || readTimeoutSeconds < 1)
            {
                throw new IllegalArgumentException("the control API needs a body limit of at least 1024 bytes (--api-max-body), "
                    + "at least one connection (--api-max-connections) and a read timeout of at least 1 s; got "
                    + maxBodyBytes + ", " + maxConnections + ", " + readTimeoutSeconds);
            }
        }
    }

    /** Where to listen: the Unix socket always; TCP only on a loopback address, with a token file. */
    public record Listen(Path socket, InetSocketAddress tcp, Path tokenFile)
    {
        public static Listen socket(final Path socket)
        {
            return new Listen(socket, null, null);
        }
    }

    private final EventLoopGroup loop;
    private final EventExecutorGroup handlers;
    private final List<Channel> listeners = new ArrayList<>();
    private final Path socket;

    private ApiServer(final EventLoopGroup loop, final EventExecutorGroup handlers, final Path socket)
    {
        this.loop = loop;
        this.handlers = handlers;
        this.socket = socket;
    }

    public static boolean isAvailable()
    {
        return Epoll.isAvailable();
    }

    public static ApiServer start(final ControlApi api, final Listen listen, final Limits limits) throws IOException
    {
        if (!Epoll.isAvailable())
        {
            throw new IOException("the control API needs Netty's epoll transport (Linux x86_64): "
                + Epoll.unavailabilityCause());
        }
        final String token = listen.tcp() == null ? null : BearerToken.read(listen.tokenFile());
        if (listen.tcp() != null && !listen.tcp().getAddress().isLoopbackAddress())
        {
            throw new IOException("the control API's TCP listener binds only to loopback, not " + listen.tcp());
        }
        final EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        final EventExecutorGroup handlers = new DefaultEventExecutorGroup(1);
        final ApiServer server = new ApiServer(loop, handlers, listen.socket());
        final AtomicInteger connections = new AtomicInteger();
        try
        {
            server.listeners.add(bindOwnerOnly(new ServerBootstrap().group(loop)
                .channel(EpollServerDomainSocketChannel.class)
                .childHandler(initializer(api, limits, handlers, connections, null)), listen.socket()));
            if (listen.tcp() != null)
            {
                server.listeners.add(new ServerBootstrap().group(loop).channel(EpollServerSocketChannel.class)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childHandler(initializer(api, limits, handlers, connections, token))
                    .bind(listen.tcp()).syncUninterruptibly().channel());
            }
            return server;
        }
        catch (final IOException | RuntimeException failed)
        {
            server.close();
            throw failed;
        }
    }

    private static ChannelInitializer<Channel> initializer(final ControlApi api, final Limits limits,
        final EventExecutorGroup handlers, final AtomicInteger connections, final String token)
    {
        return new ChannelInitializer<>()
        {
            @Override
            protected void initChannel(final Channel channel)
            {
                final ChannelPipeline pipeline = channel.pipeline();
                pipeline.addLast(new ReadTimeoutHandler(limits.readTimeoutSeconds(), TimeUnit.SECONDS));
                pipeline.addLast(new HttpServerCodec(4096, 16 * 1024, 16 * 1024));
                pipeline.addLast(new BoundedAggregator(limits.maxBodyBytes()));
                pipeline.addLast(new ConnectionLimit(connections, limits.maxConnections()));
                pipeline.addLast(handlers, "api", new ApiHandler(api, token));
            }
        };
    }

    /** Binds in a private (0700) directory, restricts the socket to 0600, then renames it into place. */
    private static Channel bindOwnerOnly(final ServerBootstrap bootstrap, final Path path) throws IOException
    {
        final Path parent = path.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        final Path privateDirectory = Files.createTempDirectory(parent, ".psw-api",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        final Path bound = privateDirectory.resolve("socket");
        try
        {
            final Channel channel = bootstrap.bind(new DomainSocketAddress(bound.toFile())).syncUninterruptibly().channel();
            try
            {
                Files.setPosixFilePermissions(bound, PosixFilePermissions.fromString("rw-------"));
                Files.move(bound, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                return channel;
            }
            catch (final IOException | RuntimeException failed)
            {
                channel.close().syncUninterruptibly();
                throw failed;
            }
        }
        finally
        {
            Files.deleteIfExists(bound);
            Files.deleteIfExists(privateDirectory);
        }
    }

    public Path socket()
    {
        return socket;
    }

    /** The TCP listener's address (its port when 0 was asked for), or null without one. */
    public InetSocketAddress tcpAddress()
    {
        return listeners.size() > 1 ? (InetSocketAddress)listeners.get(1).localAddress() : null;
    }

    @Override
    public void close()
    {
        for (final Channel listener : listeners)
        {
            listener.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        loop.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        handlers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        try
        {
            Files.deleteIfExists(socket);
        }
        catch (final IOException ignored)
        {
            // A stale socket file is replaced by the next start.
        }
    }
}
