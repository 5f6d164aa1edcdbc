package dev.podswitch.scenarios.live.sctp;

import dev.podswitch.util.Closeables;

import java.io.Closeable;

import dev.podswitch.control.live.NetworkNamespaces;
import dev.podswitch.dataplane.packet.PacketBytes;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Live SCTP with the kernel's own stack, for kernels that have it ({@code /proc/net/protocols}
 * lists SCTP). There a raw-socket responder would fight the kernel, which answers every INIT
 * itself (ABORT for a closed port), so the pods use one-to-one SCTP sockets instead, as TCP does:
 * a listener per declared port that accepts, writes the peer address it saw and closes; a probe
 * that connects without blocking and polls — connected → open (then the listener's line),
 * ECONNREFUSED (an ABORT) → refused, nothing in time → none.
 *
 * <p>UNTESTED here: the development and CI machines have no SCTP module, so only the userspace
 * path ({@link UserspaceSctp}) runs in the tests. Kept small on purpose.
 */
final class KernelSctp implements LiveSctp
{
    @Override
    public Closeable serve(final String owner, final String namespace, final Set<Integer> ports)
    {
        final List<Closeable> listeners = new ArrayList<>();
        try
        {
            for (final int port : ports)
            {
                listeners.add(Listener.start(owner, namespace, port));
            }
        }
        catch (final RuntimeException failed)
        {
            listeners.forEach(Closeables::closeQuietly);
            throw failed;
        }
        return () -> listeners.forEach(Closeables::closeQuietly);
    }

    @Override
    public SctpProbeResult probe(final String namespace, final int destinationIp, final int port,
        final ProbeTiming timing) throws Exception
    {
        final int fd = NetworkNamespaces.callIn(namespace, () -> socket(SocketLibc.SOCK_NONBLOCK));
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment errno = call.allocate(SocketLibc.CAPTURE_LAYOUT);
            final int connected = (int)SocketLibc.CONNECT.invokeExact(errno, fd,
                SocketLibc.sockaddrIn(call, destinationIp, port), SocketLibc.SOCKADDR_IN_LENGTH);
            if (connected != 0 && SocketLibc.errno(errno) != SocketLibc.EINPROGRESS)
            {
                return refusedOrNone(SocketLibc.errno(errno));
            }
            if ((SocketLibc.poll(fd, SocketLibc.POLLOUT, timing.totalMs()) & SocketLibc.POLLOUT) == 0)
            {
                return SctpProbeResult.none();
            }
            final MemorySegment error = call.allocate(ValueLayout.JAVA_INT);
            final MemorySegment errorLength = call.allocateFrom(ValueLayout.JAVA_INT, 4);
            final int got = (int)SocketLibc.GETSOCKOPT.invokeExact(errno, fd, SocketLibc.SOL_SOCKET, SocketLibc.SO_ERROR,
                error, errorLength);
            final int soError = got == 0 ? error.get(ValueLayout.JAVA_INT, 0) : SocketLibc.errno(errno);
            if (soError != 0)
            {
                return refusedOrNone(soError);
            }
            return new SctpProbeResult(SctpProbeResult.Answer.OPEN, readLine(fd, timing.answerMs()));
        }
        catch (final RuntimeException | Error failed)
        {
            throw failed;
        }
        catch (final Throwable impossible)
        {
            throw new IllegalStateException(impossible);
        }
        finally
        {
            SocketLibc.closeQuietly(fd);
        }
    }

    private static SctpProbeResult refusedOrNone(final int errno)
    {
        return errno == SocketLibc.ECONNREFUSED ? new SctpProbeResult(SctpProbeResult.Answer.REFUSED, null)
            : SctpProbeResult.none();
    }

    /** The listener's one line (the peer address it saw), or null if none came in time. */
    private static String readLine(final int fd, final int timeoutMs) throws Throwable
    {
        if ((SocketLibc.poll(fd, SocketLibc.POLLIN, timeoutMs) & SocketLibc.POLLIN) == 0)
        {
            return null;
        }
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment line = call.allocate(64);
            final long read = (long)SocketLibc.RECV.invokeExact(call.allocate(SocketLibc.CAPTURE_LAYOUT), fd, line,
                line.byteSize(), 0);
            return read <= 0 ? null
                : new String(line.asSlice(0, read).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII).strip();
        }
    }

    /** socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP) in the calling thread's namespace. */
    private static int socket(final int flags)
    {
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment errno = call.allocate(SocketLibc.CAPTURE_LAYOUT);
            final int fd = (int)SocketLibc.SOCKET.invokeExact(errno, SocketLibc.AF_INET,
                SocketLibc.SOCK_STREAM | SocketLibc.SOCK_CLOEXEC | flags, SocketLibc.IPPROTO_SCTP);
            if (fd < 0)
            {
                throw new IllegalStateException("socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP) failed: errno "
                    + SocketLibc.errno(errno));
            }
            return fd;
        }
        catch (final RuntimeException | Error failed)
        {
            throw failed;
        }
        catch (final Throwable impossible)
        {
            throw new IllegalStateException(impossible);
        }
    }

    /** One declared port: bind 0.0.0.0:port, listen, and per association write the peer address and close. */
    private static final class Listener implements Closeable
    {
        private static final int POLL_MS = 250;
        private final int fd;
        private volatile boolean closed;
        private final Thread thread;

        private Listener(final String owner, final int fd, final int port)
        {
            this.fd = fd;
            this.thread = Thread.ofPlatform().daemon(true).name("psw-sctp-" + owner + "-" + port).unstarted(this::serve);
        }

        static Listener start(final String owner, final String namespace, final int port)
        {
            final int fd;
            try
            {
                fd = NetworkNamespaces.callIn(namespace, () -> listening(port));
            }
            catch (final Exception failed)
            {
                throw new IllegalStateException(owner + ": cannot serve SCTP/" + port + " in " + namespace + ": "
                    + failed.getMessage(), failed);
            }
            final Listener listener = new Listener(owner, fd, port);
            listener.thread.start();
            return listener;
        }

        private static int listening(final int port)
        {
            final int fd = socket(0);
            try (Arena call = Arena.ofConfined())
            {
                final MemorySegment errno = call.allocate(SocketLibc.CAPTURE_LAYOUT);
                final int ignored = (int)SocketLibc.SETSOCKOPT.invokeExact(errno, fd, SocketLibc.SOL_SOCKET,
                    SocketLibc.SO_REUSEADDR, call.allocateFrom(ValueLayout.JAVA_INT, 1), 4);
                if ((int)SocketLibc.BIND.invokeExact(errno, fd, SocketLibc.sockaddrIn(call, 0, port),
                    SocketLibc.SOCKADDR_IN_LENGTH) != 0 || (int)SocketLibc.LISTEN.invokeExact(errno, fd, 128) != 0)
                {
                    final int error = SocketLibc.errno(errno);
                    SocketLibc.closeQuietly(fd);
                    throw new IllegalStateException("bind/listen SCTP port " + port + " failed: errno " + error);
                }
                return fd;
            }
            catch (final RuntimeException | Error failed)
            {
                throw failed;
            }
            catch (final Throwable impossible)
            {
                throw new IllegalStateException(impossible);
            }
        }

        private void serve()
        {
            try (Arena arena = Arena.ofConfined())
            {
                final MemorySegment errno = arena.allocate(SocketLibc.CAPTURE_LAYOUT);
                final MemorySegment peer = arena.allocate(SocketLibc.SOCKADDR_IN_LENGTH, 4);
                final MemorySegment peerLength = arena.allocate(ValueLayout.JAVA_INT);
                while (!closed)
                {
                    if ((SocketLibc.poll(fd, SocketLibc.POLLIN, POLL_MS) & SocketLibc.POLLIN) == 0)
                    {
                        continue;
                    }
                    peerLength.set(ValueLayout.JAVA_INT, 0, SocketLibc.SOCKADDR_IN_LENGTH);
                    final int accepted = (int)SocketLibc.ACCEPT.invokeExact(errno, fd, peer, peerLength);
                    if (accepted >= 0)
                    {
                        final byte[] line = (PacketBytes.ipToString(SocketLibc.sockaddrIp(peer)) + "\n")
                            .getBytes(StandardCharsets.US_ASCII);
                        try (Arena one = Arena.ofConfined())
                        {
                            final long ignored = (long)SocketLibc.WRITE.invokeExact(errno, accepted,
                                one.allocateFrom(ValueLayout.JAVA_BYTE, line), (long)line.length);
                        }
                        finally
                        {
                            SocketLibc.closeQuietly(accepted);
                        }
                    }
                }
            }
            catch (final Throwable failed)
            {
                // The listener ends; probes of this port then time out, which the agreement shows.
            }
            finally
            {
                SocketLibc.closeQuietly(fd);
            }
        }

        @Override
        public void close()
        {
            closed = true;
            try
            {
                thread.join(5_000);
            }
            catch (final InterruptedException interrupted)
            {
                Thread.currentThread().interrupt();
            }
        }
    }
}
