package dev.podswitch.scenarios.live.sctp;

import dev.podswitch.control.live.NetworkNamespaces;
import dev.podswitch.scenarios.live.sctp.SctpCounters.Count;

import java.io.Closeable;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.security.SecureRandom;
import java.util.Set;

/**
 * The SCTP side of one live pod or host on a kernel without SCTP: a raw socket in its namespace
 * and a daemon thread that answers INITs ({@link SctpAnswers}). It runs whether or not the pod
 * declares SCTP ports, because a real SCTP stack answers an INIT to a closed port with an ABORT,
 * and because its raw socket is what keeps the kernel from answering every SCTP packet with an
 * ICMP protocol unreachable — replies to the pod's own probes included.
 *
 * <p>A handshake responder, not an SCTP stack: no association is kept, no DATA is received.
 */
public final class SctpResponder implements Closeable
{
    /** Largest IPv4 packet: nothing a raw socket delivers is cut. */
    private static final int RECEIVE_BUFFER = 65_535;
    /** How often the thread looks at its stop flag should the wake-up on close not reach poll. */
    private static final int POLL_MS = 250;
    private static final long JOIN_MS = 5_000;

    private final RawSctpSocket socket;
    private final SctpAnswers answers;
    private final SctpCounters counters = new SctpCounters();
    private final Thread thread;

    private SctpResponder(final String owner, final RawSctpSocket socket, final Set<Integer> servedPorts)
    {
        this.socket = socket;
        final SecureRandom random = new SecureRandom();
        final byte[] key = new byte[32];
        random.nextBytes(key);
        this.answers = new SctpAnswers(servedPorts, key, () -> nonZeroTag(random), counters);
        this.thread = Thread.ofPlatform().daemon(true).name("psw-sctp-" + owner).unstarted(this::serve);
    }

    /** Opens the raw socket inside {@code namespace} and starts answering; {@code servedPorts} may be empty. */
    public static SctpResponder start(final String owner, final String namespace, final Set<Integer> servedPorts)
    {
        final RawSctpSocket socket;
        try
        {
            socket = NetworkNamespaces.callIn(namespace, RawSctpSocket::open);
        }
        catch (final Exception failed)
        {
            throw new IllegalStateException(owner + ": cannot open the SCTP responder's raw socket in " + namespace
                + ": " + failed.getMessage(), failed);
        }
        final SctpResponder responder = new SctpResponder(owner, socket, servedPorts);
        responder.thread.start();
        return responder;
    }

    static int nonZeroTag(final SecureRandom random)
    {
        int tag;
        do
        {
            tag = random.nextInt();
        }
        while (tag == 0);
        return tag;
    }

    public SctpCounters counters()
    {
        return counters;
    }

    private void serve()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment buffer = arena.allocate(RECEIVE_BUFFER, 8);
            while (true)
            {
                final int length = socket.receive(buffer, POLL_MS);
                if (length < 0)
                {
                    return;
                }
                if (length > 0)
                {
                    answerOne(buffer, length);
                }
            }
        }
        finally
        {
            // Closed here, by the only thread that uses it, so no other thread can race a reused fd number.
            socket.close();
        }
    }

    private void answerOne(final MemorySegment buffer, final int length)
    {
        try
        {
            final SctpAnswers.Reply reply = answers.answer(buffer, length);
            if (reply != null && !socket.send(reply.destinationIp(), answers.buffer(), reply.length()))
            {
                counters.increment(Count.SEND_FAILED);
            }
        }
        catch (final RuntimeException bug)
        {
            // One packet must never end the responder: the pod would go silent for every later probe.
            counters.increment(Count.INTERNAL_ERROR);
        }
    }

    /** Stops answering and closes the socket, waiting for the thread (the namespace is deleted next). */
    @Override
    public void close()
    {
        socket.wakeUp();
        try
        {
            thread.join(JOIN_MS);
        }
        catch (final InterruptedException interrupted)
        {
            Thread.currentThread().interrupt();
        }
    }
}
