package dev.podswitch.scenarios.live.sctp;

import dev.podswitch.control.live.LiveLab;
import dev.podswitch.control.live.NetworkNamespaces;
import dev.podswitch.dataplane.packet.Ipv4Flyweight;
import dev.podswitch.dataplane.packet.PacketBytes;
import dev.podswitch.dataplane.packet.SctpFlyweight;
import dev.podswitch.scenarios.live.sctp.SctpCounters.Count;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The userspace SCTP responder and prober over real raw sockets, between two namespaces of the
 * test's own ({@link TwoNamespaces}: a prober in {@code a}, a responder in {@code b}). Only runs
 * where the kernel has no SCTP (else the kernel would answer too; the live mode then uses kernel
 * sockets). Needs root: skips with the reason elsewhere, fails under CI=true.
 */
@Tag("root")
class SctpResponderRootTest
{
    private static final int SERVED = 3868;
    private static final int CLOSED = 3869;
    /** Generous: a wait for an answer that must come, not a measurement. */
    private static final ProbeTiming PATIENT = new ProbeTiming(500, 10_000, 10_000);

    private TwoNamespaces namespaces;
    private SctpResponder responder;

    @BeforeEach
    void setUp()
    {
        final String missing = !LiveLab.isAvailable() ? LiveLab.unavailabilityCause().getMessage()
            : SctpSupport.kernelHasSctp() ? "the kernel has SCTP: the live mode uses kernel sockets there" : null;
        if (missing != null && "true".equals(System.getenv("CI")) && !SctpSupport.kernelHasSctp())
        {
            fail("CI=true: the SCTP root tests must run, but " + missing);
        }
        assumeTrue(missing == null, () -> "root test skipped: " + missing);
        namespaces = new TwoNamespaces();
    }

    @AfterEach
    void tearDown()
    {
        if (responder != null)
        {
            responder.close();
        }
        if (namespaces != null)
        {
            namespaces.close();
        }
    }

    private void startResponder()
    {
        responder = SctpResponder.start("test", namespaces.b, Set.of(SERVED));
    }

    private RawSctpSocket proberSocket() throws Exception
    {
        return NetworkNamespaces.callIn(namespaces.a, RawSctpSocket::open);
    }

    @Test
    void shouldAnswerAnInitToAServedPortWithAnInitAckCarryingTheTagsAndTheSourceSeen() throws Exception
    {
        startResponder();
        try (RawSctpSocket socket = proberSocket(); Arena arena = Arena.ofConfined())
        {
            final SctpWriter writer = new SctpWriter();
            final int tag = 0x1234_5678;
            final int sourcePort = UserspaceProbe.nextSourcePort();
            assertTrue(socket.send(TwoNamespaces.ip(TwoNamespaces.IP_B), writer.buffer(),
                writer.init(sourcePort, SERVED, tag)));

            final MemorySegment buffer = arena.allocate(65_535);
            final InboundSctp answer = awaitAnswer(socket, buffer, sourcePort);
            assertEquals(SctpFlyweight.CHUNK_INIT_ACK, answer.chunkType());
            assertEquals(tag, answer.verificationTag(), "tagged with the INIT's initiate tag");
            assertNotEquals(0, answer.initiateTag(), "its own initiate tag is never 0");
            assertEquals(SERVED, answer.sourcePort());
            assertEquals(TwoNamespaces.ip(TwoNamespaces.IP_B), answer.sourceIp());
            // The reader checked the CRC32c already (else no answer); check it directly too.
            final Ipv4Flyweight ip = new Ipv4Flyweight().wrap(buffer, 0);
            assertTrue(new SctpFlyweight().wrap(buffer, ip.headerLength()).isChecksumValid(ip.totalLength() - ip.headerLength()));
            final StateCookie cookie = StateCookie.read(answer.cookie());
            assertNotNull(cookie, "a State Cookie of ours");
            assertEquals(TwoNamespaces.ip(TwoNamespaces.IP_A), cookie.sourceIpSeen(), "the source IP the responder saw");
            assertEquals(tag, cookie.peerTag());
            assertEquals(answer.initiateTag(), cookie.ownTag());
        }
        assertEquals(1, responder.counters().get(Count.INIT_ACK_SENT));
    }

    @Test
    void shouldAnswerAnInitToAClosedPortWithAnAbortTaggedWithTheInitiateTagAndTheTBitClear() throws Exception
    {
        startResponder();
        try (RawSctpSocket socket = proberSocket(); Arena arena = Arena.ofConfined())
        {
            final SctpWriter writer = new SctpWriter();
            final int tag = 0x0BAD_F00D;
            final int sourcePort = UserspaceProbe.nextSourcePort();
            socket.send(TwoNamespaces.ip(TwoNamespaces.IP_B), writer.buffer(), writer.init(sourcePort, CLOSED, tag));

            final InboundSctp answer = awaitAnswer(socket, arena.allocate(65_535), sourcePort);
            assertEquals(SctpFlyweight.CHUNK_ABORT, answer.chunkType());
            assertEquals(tag, answer.verificationTag());
            assertEquals(0, answer.chunkFlags() & SctpFlyweight.ABORT_FLAG_TAG_REFLECTED, "T bit clear: the tag is the INIT's own");
            assertEquals(CLOSED, answer.sourcePort());
        }
    }

    @Test
    void shouldReportOpenRefusedAndNoneThroughTheProber() throws Exception
    {
        startResponder();
        final LiveSctp sctp = new UserspaceSctp();
        final int b = TwoNamespaces.ip(TwoNamespaces.IP_B);
        assertEquals(new SctpProbeResult(SctpProbeResult.Answer.OPEN, TwoNamespaces.IP_A),
            sctp.probe(namespaces.a, b, SERVED, PATIENT));
        assertEquals(new SctpProbeResult(SctpProbeResult.Answer.REFUSED, null),
            sctp.probe(namespaces.a, b, CLOSED, PATIENT));
        // Nobody at 10.123.0.9 (ARP fails): nothing comes back.
        assertEquals(SctpProbeResult.none(),
            sctp.probe(namespaces.a, TwoNamespaces.ip("10.123.0.9"), SERVED, new ProbeTiming(200, 600, 600)));
    }

    @Test
    void shouldKeepTheKernelFromSendingProtocolUnreachableOnceARawSocketTakesSctp() throws Exception
    {
        final int b = TwoNamespaces.ip(TwoNamespaces.IP_B);
        final long before = outDestUnreachs(namespaces.b);
        try (RawSctpSocket socket = proberSocket())
        {
            // Without a responder the kernel, which has no SCTP, answers protocol unreachable.
            final SctpWriter writer = new SctpWriter();
            socket.send(b, writer.buffer(), writer.init(UserspaceProbe.nextSourcePort(), SERVED, 7));
            awaitCounterAbove(namespaces.b, before);
        }
        startResponder();
        final long withResponder = outDestUnreachs(namespaces.b);
        final LiveSctp sctp = new UserspaceSctp();
        for (int i = 0; i < 5; i++)
        {
            assertEquals(SctpProbeResult.Answer.OPEN, sctp.probe(namespaces.a, b, SERVED, PATIENT).answer());
            assertEquals(SctpProbeResult.Answer.REFUSED, sctp.probe(namespaces.a, b, CLOSED, PATIENT).answer());
        }
        responder.close();
        // Every INIT was taken by the raw socket and answered (the answers came back), the probers' ABORTs
        // were taken too: none of them made the kernel send an ICMP error.
        assertEquals(withResponder, outDestUnreachs(namespaces.b), "no ICMP destination unreachable from b");
        assertTrue(responder.counters().isBalanced(), responder.counters().toString());
    }

    @Test
    void shouldIgnoreAndCountMalformedTruncatedAndBadChecksumPacketsAndGoOnAnswering() throws Exception
    {
        startResponder();
        final int b = TwoNamespaces.ip(TwoNamespaces.IP_B);
        try (RawSctpSocket socket = proberSocket(); Arena arena = Arena.ofConfined())
        {
            final SctpWriter writer = new SctpWriter();
            final MemorySegment buffer = writer.buffer();
            final int sourcePort = UserspaceProbe.nextSourcePort();
            int length = writer.init(sourcePort, SERVED, 0x2222);
            PacketBytes.putU8(buffer, SctpFlyweight.CHECKSUM_OFFSET, PacketBytes.getU8(buffer, SctpFlyweight.CHECKSUM_OFFSET) ^ 0xFF);
            assertTrue(socket.send(b, buffer, length), "a wrong CRC32c");
            writer.init(sourcePort, SERVED, 0x2222);
            assertTrue(socket.send(b, buffer, 8), "shorter than the common header");
            assertTrue(socket.send(b, buffer, 13), "a common header and a byte of chunk");
            length = writer.init(sourcePort, SERVED, 0x2222);
            PacketBytes.putI32(buffer, SctpFlyweight.VERIFICATION_TAG_OFFSET, 77);
            new SctpFlyweight().wrap(buffer, 0).updateChecksum(length);
            assertTrue(socket.send(b, buffer, length), "an INIT with a verification tag");

            // In order over the veth and in order through the responder's one thread: when this INIT's
            // answer arrives, the packets before it have been counted.
            socket.send(b, buffer, writer.init(sourcePort, SERVED, 0x3333));
            final InboundSctp answer = awaitAnswer(socket, arena.allocate(65_535), sourcePort);
            assertEquals(0x3333, answer.verificationTag());
        }
        responder.close();
        final SctpCounters counters = responder.counters();
        assertEquals(1, counters.get(Count.IGNORED_BAD_CHECKSUM), counters.toString());
        assertEquals(2, counters.get(Count.IGNORED_TRUNCATED), counters.toString());
        assertEquals(1, counters.get(Count.IGNORED_MALFORMED), counters.toString());
        assertEquals(1, counters.get(Count.INIT_ACK_SENT), counters.toString());
        assertEquals(0, counters.get(Count.INTERNAL_ERROR), counters.toString());
        assertTrue(counters.isBalanced(), counters.toString());
    }

    private static InboundSctp awaitAnswer(final RawSctpSocket socket, final MemorySegment buffer, final int ourPort)
    {
        final SctpReader reader = new SctpReader();
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline)
        {
            final int length = socket.receive(buffer, 500);
            final InboundSctp in = length > 0 ? reader.read(buffer, length) : null;
            if (in != null && in.destinationPort() == ourPort)
            {
                return in;
            }
        }
        return fail("no answer to our INIT within 10 s");
    }

    /** Waits (bounded) until b's ICMP OutDestUnreachs counter has risen above {@code before}. */
    private static void awaitCounterAbove(final String namespace, final long before) throws Exception
    {
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (outDestUnreachs(namespace) <= before)
        {
            if (System.nanoTime() > deadline)
            {
                fail("the kernel never sent the protocol unreachable this test's control expects");
            }
            Thread.sleep(20);
        }
    }

    /** ICMP destination unreachables sent from a namespace (/proc/thread-self/net is the calling thread's). */
    static long outDestUnreachs(final String namespace) throws Exception
    {
        final List<String> snmp = NetworkNamespaces.callIn(namespace,
            () -> Files.readAllLines(Path.of("/proc/thread-self/net/snmp")));
        final String[] names = snmp.stream().filter(line -> line.startsWith("Icmp:")).findFirst().orElseThrow()
            .split("\\s+");
        final String[] values = snmp.stream().filter(line -> line.startsWith("Icmp:")).skip(1).findFirst().orElseThrow()
            .split("\\s+");
        for (int i = 0; i < names.length; i++)
        {
            if (names[i].equals("OutDestUnreachs"))
            {
                return Long.parseLong(values[i]);
            }
        }
        return fail("no OutDestUnreachs in /proc/net/snmp");
    }
}
