package dev.podswitch.dataplane.conntrack;

import dev.podswitch.dataplane.packet.PacketMeta;
import org.junit.jupiter.api.Test;

import static dev.podswitch.dataplane.conntrack.ConnectionTracker.MISS;
import static dev.podswitch.dataplane.conntrack.ConnectionTracker.index;
import static dev.podswitch.dataplane.conntrack.ConnectionTracker.isInvalid;
import static dev.podswitch.dataplane.conntrack.ConnectionTracker.isRelated;
import static dev.podswitch.dataplane.conntrack.ConnectionTracker.isReply;
import static dev.podswitch.dataplane.conntrack.Packets.CHUNK_ABORT;
import static dev.podswitch.dataplane.conntrack.Packets.CHUNK_COOKIE_ACK;
import static dev.podswitch.dataplane.conntrack.Packets.CHUNK_COOKIE_ECHO;
import static dev.podswitch.dataplane.conntrack.Packets.CHUNK_DATA;
import static dev.podswitch.dataplane.conntrack.Packets.CHUNK_INIT;
import static dev.podswitch.dataplane.conntrack.Packets.CHUNK_INIT_ACK;
import static dev.podswitch.dataplane.conntrack.Packets.CHUNK_SHUTDOWN;
import static dev.podswitch.dataplane.conntrack.Packets.CHUNK_SHUTDOWN_ACK;
import static dev.podswitch.dataplane.conntrack.Packets.CHUNK_SHUTDOWN_COMPLETE;
import static dev.podswitch.dataplane.conntrack.Packets.ECHO_REPLY;
import static dev.podswitch.dataplane.conntrack.Packets.ECHO_REQUEST;
import static dev.podswitch.dataplane.conntrack.Packets.GRE;
import static dev.podswitch.dataplane.conntrack.Packets.ICMP;
import static dev.podswitch.dataplane.conntrack.Packets.POD_A;
import static dev.podswitch.dataplane.conntrack.Packets.POD_B;
import static dev.podswitch.dataplane.conntrack.Packets.POD_C;
import static dev.podswitch.dataplane.conntrack.Packets.ROUTER;
import static dev.podswitch.dataplane.conntrack.Packets.SYN;
import static dev.podswitch.dataplane.conntrack.Packets.TCP;
import static dev.podswitch.dataplane.conntrack.Packets.TIME_EXCEEDED;
import static dev.podswitch.dataplane.conntrack.Packets.UDP;
import static dev.podswitch.dataplane.conntrack.Packets.UNREACHABLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** UDP, ICMP echo, ICMP errors (RELATED), SCTP and other protocols through the tracker. */
class ConnectionTrackerProtocolsTest
{
    private static final long S = 1_000_000_000L;

    private final ConnectionTracker tracker = new ConnectionTracker(256, ConntrackTimeouts.DEFAULTS);
    private long nowNs = 77 * S;

    private void assertState(final long handle, final String state, final long timeoutS)
    {
        assertNotEquals(MISS, handle);
        assertFalse(isInvalid(handle));
        assertEquals(state, tracker.describe(handle).state());
        assertEquals(nowNs + timeoutS * S, tracker.expiryNs(handle), state + " timeout");
    }

    @Test
    void shouldTrackUdpUnrepliedThenRepliedWhenAnswerArrives()
    {
        final long query = tracker.insert(Packets.udp(POD_A, POD_B, 5353, 53), nowNs, 1);
        assertState(query, "UNREPLIED", 30);
        assertState(tracker.lookup(Packets.udp(POD_A, POD_B, 5353, 53), nowNs), "UNREPLIED", 30);
        assertFalse(tracker.describe(query).assured());

        nowNs += 29 * S;
        final long answer = tracker.lookup(Packets.udp(POD_B, POD_A, 53, 5353), nowNs);
        assertTrue(isReply(answer));
        assertState(answer, "REPLIED", 120);
        assertTrue(tracker.describe(answer).assured());
        nowNs += 100 * S;
        assertState(tracker.lookup(Packets.udp(POD_A, POD_B, 5353, 53), nowNs), "REPLIED", 120);
        assertEquals(MISS, tracker.lookup(Packets.udp(POD_A, POD_B, 5353, 54), nowNs), "another port");
        assertEquals(MISS, tracker.lookup(Packets.udp(POD_C, POD_B, 5353, 53), nowNs), "another source");
        assertEquals(MISS, tracker.lookup(Packets.tcp(POD_A, POD_B, 5353, 53, SYN), nowNs), "another protocol");
    }

    @Test
    void shouldExpireUdpAndTrackItAnewWhenIdleTooLong()
    {
        tracker.insert(Packets.udp(POD_A, POD_B, 5353, 53), nowNs, 1);
        nowNs += 30 * S;
        assertEquals(MISS, tracker.lookup(Packets.udp(POD_B, POD_A, 53, 5353), nowNs), "a late answer is no reply");
        assertEquals(1, tracker.counters().expirations());
        assertEquals(0, tracker.size());
        final long again = tracker.insert(Packets.udp(POD_A, POD_B, 5353, 53), nowNs, 2);
        assertState(again, "UNREPLIED", 30);
        assertEquals(2, tracker.policyGeneration(again));
    }

    @Test
    void shouldMatchEchoRequestAndReplyToOneEntryByIdentifier()
    {
        final long request = tracker.insert(Packets.echo(ECHO_REQUEST, POD_A, POD_B, 0x77), nowNs, 1);
        assertState(request, "UNREPLIED", 30);
        final long reply = tracker.lookup(Packets.echo(ECHO_REPLY, POD_B, POD_A, 0x77), nowNs);
        assertEquals(index(request), index(reply));
        assertTrue(isReply(reply));
        assertState(reply, "REPLIED", 30);
        assertFalse(isReply(tracker.lookup(Packets.echo(ECHO_REQUEST, POD_A, POD_B, 0x77), nowNs)));

        assertEquals(MISS, tracker.lookup(Packets.echo(ECHO_REPLY, POD_B, POD_A, 0x78), nowNs), "another identifier");
        assertEquals(MISS, tracker.lookup(Packets.echo(ECHO_REQUEST, POD_B, POD_A, 0x77), nowNs),
            "B pinging A is a new pseudo-connection, not a reply");
        assertEquals(MISS, tracker.lookup(Packets.echo(ECHO_REPLY, POD_A, POD_B, 0x77), nowNs),
            "a reply in the request's direction");
        nowNs += 30 * S;
        assertEquals(MISS, tracker.lookup(Packets.echo(ECHO_REPLY, POD_B, POD_A, 0x77), nowNs));
    }

    @Test
    void shouldRefuseToInsertIcmpThatCannotStartAConnection()
    {
        assertEquals(MISS, tracker.insert(Packets.echo(ECHO_REPLY, POD_B, POD_A, 1), nowNs, 1));
        assertEquals(MISS, tracker.insert(Packets.icmpError(UNREACHABLE, ROUTER, POD_A, UDP, POD_A, POD_B, 1, 2),
            nowNs, 1));
        assertEquals(2, tracker.counters().invalid());
        assertEquals(0, tracker.size());
        assertEquals(0, tracker.counters().inserts());
    }

    @Test
    void shouldBeRelatedReplyWhenPortUnreachableQuotesTrackedUdpFlow()
    {
        final long query = tracker.insert(Packets.udp(POD_A, POD_B, 5353, 53), nowNs, 1);
        final long expiryNs = tracker.expiryNs(query);
        nowNs += S;
        final long error = tracker.lookup(Packets.icmpError(UNREACHABLE, POD_B, POD_A, UDP, POD_A, POD_B, 5353, 53),
            nowNs);
        assertEquals(index(query), index(error));
        assertTrue(isRelated(error));
        assertTrue(isReply(error), "the error travels against the quoted packet");
        assertFalse(isInvalid(error));
        assertEquals("UNREPLIED", tracker.describe(query).state(), "an error is no reply");
        assertEquals(expiryNs, tracker.expiryNs(query), "an error keeps nothing alive");
        assertEquals(0, tracker.describe(query).packetsReply());

        // In a pod network the switch is the only router and sends no ICMP errors, and anti-spoofing
        // stops pods routing: only the quoted packet's destination may report on it. An error from
        // anyone else is a pod trying to reach a connection's end through someone else's state.
        final long fromElsewhere = tracker.lookup(
            Packets.icmpError(TIME_EXCEEDED, ROUTER, POD_A, UDP, POD_A, POD_B, 5353, 53), nowNs);
        assertEquals(ConnectionTracker.MISS, fromElsewhere, "an error not from the quoted destination is unrelated");
        assertEquals(1, tracker.counters().related());
    }

    @Test
    void shouldBeRelatedOriginalWhenErrorQuotesReplyDirectionPacket()
    {
        tracker.insert(Packets.udp(POD_A, POD_B, 5353, 53), nowNs, 1);
        final long error = tracker.lookup(Packets.icmpError(UNREACHABLE, POD_A, POD_B, UDP, POD_B, POD_A, 53, 5353),
            nowNs);
        assertTrue(isRelated(error));
        assertFalse(isReply(error));
    }

    @Test
    void shouldBeRelatedWhenErrorQuotesTcpSctpEchoOrPortlessFlows()
    {
        tracker.insert(Packets.tcp(POD_A, POD_B, 40000, 80, SYN), nowNs, 1);
        assertTrue(isRelated(tracker.lookup(
            Packets.icmpError(UNREACHABLE, POD_B, POD_A, TCP, POD_A, POD_B, 40000, 80), nowNs)));

        tracker.insert(Packets.sctp(POD_A, POD_B, 9, 10, CHUNK_INIT), nowNs, 1);
        assertTrue(isRelated(tracker.lookup(
            Packets.icmpError(UNREACHABLE, POD_B, POD_A, Packets.SCTP, POD_A, POD_B, 9, 10), nowNs)));

        tracker.insert(Packets.other(GRE, POD_A, POD_B), nowNs, 1);
        assertTrue(isRelated(tracker.lookup(Packets.icmpError(UNREACHABLE, ROUTER, POD_A, GRE, POD_A, POD_B, 0, 0),
            nowNs)));

        tracker.insert(Packets.echo(ECHO_REQUEST, POD_A, POD_B, 0x99), nowNs, 1);
        final PacketMeta traceroute = Packets.icmpError(new PacketMeta(), TIME_EXCEEDED, ROUTER, POD_A, ICMP, POD_A,
            POD_B, 0x99, 0x99, ECHO_REQUEST);
        final long hop = tracker.lookup(traceroute, nowNs);
        assertTrue(isRelated(hop) && isReply(hop));
        traceroute.quotedIcmpType = ECHO_REPLY;
        assertEquals(MISS, tracker.lookup(traceroute, nowNs), "that echo reply was never sent A to B");
    }

    @Test
    void shouldMissWhenErrorQuotesUntrackedFlowOrIsMisaddressed()
    {
        tracker.insert(Packets.udp(POD_A, POD_B, 5353, 53), nowNs, 1);
        assertEquals(MISS, tracker.lookup(Packets.icmpError(UNREACHABLE, POD_B, POD_A, UDP, POD_A, POD_B, 5353, 54),
            nowNs), "another port");
        assertEquals(MISS, tracker.lookup(Packets.icmpError(UNREACHABLE, POD_B, POD_A, TCP, POD_A, POD_B, 5353, 53),
            nowNs), "another protocol");
        assertEquals(0, tracker.counters().invalid());

        assertEquals(MISS, tracker.lookup(Packets.icmpError(UNREACHABLE, POD_C, POD_C, UDP, POD_A, POD_B, 5353, 53),
            nowNs), "C may not forge errors about A's flow to reach C");
        assertEquals(1, tracker.counters().invalid());

        final PacketMeta noQuote = Packets.icmpError(UNREACHABLE, POD_B, POD_A, UDP, POD_A, POD_B, 5353, 53);
        noQuote.icmpErrorHasQuote = false;
        assertEquals(MISS, tracker.lookup(noQuote, nowNs));
        assertEquals(0, tracker.counters().related());

        nowNs += 30 * S;
        assertEquals(MISS, tracker.lookup(Packets.icmpError(UNREACHABLE, POD_B, POD_A, UDP, POD_A, POD_B, 5353, 53),
            nowNs), "the flow has expired");
        assertEquals(0, tracker.size());
    }

    @Test
    void shouldEstablishSctpWhenInitAckAnswersInit()
    {
        final long init = tracker.insert(Packets.sctp(POD_A, POD_B, 40000, 9000, CHUNK_INIT), nowNs, 1);
        assertState(init, "COOKIE_WAIT", 3);
        assertState(tracker.lookup(Packets.sctp(POD_A, POD_B, 40000, 9000, CHUNK_INIT), nowNs), "COOKIE_WAIT", 3);
        final long initAck = tracker.lookup(Packets.sctp(POD_B, POD_A, 9000, 40000, CHUNK_INIT_ACK), nowNs);
        assertTrue(isReply(initAck));
        assertState(initAck, "ESTABLISHED", 210);
        assertTrue(tracker.describe(initAck).assured());
        assertState(tracker.lookup(Packets.sctp(POD_A, POD_B, 40000, 9000, CHUNK_COOKIE_ECHO), nowNs), "ESTABLISHED",
            210);
        assertState(tracker.lookup(Packets.sctp(POD_B, POD_A, 9000, 40000, CHUNK_COOKIE_ACK), nowNs), "ESTABLISHED",
            210);
        assertState(tracker.lookup(Packets.sctp(POD_A, POD_B, 40000, 9000, CHUNK_DATA), nowNs), "ESTABLISHED", 210);
        assertState(tracker.lookup(Packets.sctp(POD_A, POD_B, 40000, 9000, CHUNK_SHUTDOWN), nowNs), "SHUTDOWN", 3);
        assertState(tracker.lookup(Packets.sctp(POD_B, POD_A, 9000, 40000, CHUNK_SHUTDOWN_ACK), nowNs), "SHUTDOWN", 3);
        assertState(tracker.lookup(Packets.sctp(POD_A, POD_B, 40000, 9000, CHUNK_SHUTDOWN_COMPLETE), nowNs),
            "CLOSED", 10);
        assertEquals(MISS, tracker.lookup(Packets.sctp(POD_A, POD_B, 40000, 9000, CHUNK_INIT), nowNs),
            "a new association on a closed one's ports");
        assertEquals(0, tracker.size());
    }

    @Test
    void shouldCloseSctpWhenAbortedAndExpireCookieWaitQuickly()
    {
        tracker.insert(Packets.sctp(POD_A, POD_B, 1, 2, CHUNK_INIT), nowNs, 1);
        assertState(tracker.lookup(Packets.sctp(POD_B, POD_A, 2, 1, CHUNK_ABORT), nowNs), "CLOSED", 10);
        assertState(tracker.lookup(Packets.sctp(POD_B, POD_A, 2, 1, CHUNK_INIT_ACK), nowNs), "CLOSED", 10);

        tracker.insert(Packets.sctp(POD_A, POD_B, 3, 4, CHUNK_INIT), nowNs, 1);
        nowNs += 3 * S;
        assertEquals(MISS, tracker.lookup(Packets.sctp(POD_B, POD_A, 4, 3, CHUNK_INIT_ACK), nowNs));

        assertState(tracker.insert(Packets.sctp(POD_A, POD_B, 5, 6, CHUNK_DATA), nowNs, 1), "ESTABLISHED", 210);
        assertState(tracker.insert(Packets.sctp(POD_A, POD_B, 7, 8, CHUNK_ABORT), nowNs, 1), "CLOSED", 10);
    }

    @Test
    void shouldTrackOtherProtocolsWithoutPortsGenerically()
    {
        final long gre = tracker.insert(Packets.other(GRE, POD_A, POD_B), nowNs, 1);
        assertState(gre, "UNREPLIED", 600);
        final long back = tracker.lookup(Packets.other(GRE, POD_B, POD_A), nowNs);
        assertTrue(isReply(back));
        assertState(back, "REPLIED", 600);
        assertTrue(tracker.describe(back).assured());
        assertEquals(MISS, tracker.lookup(Packets.other(50, POD_A, POD_B), nowNs), "ESP is another protocol");
        assertEquals(MISS, tracker.lookup(Packets.other(GRE, POD_A, POD_C), nowNs));
    }

    @Test
    void shouldMissWhenIcmpIsNeitherEchoNorQuotingError()
    {
        final PacketMeta timestamp = Packets.echo(13, POD_A, POD_B, 5);
        assertEquals(MISS, tracker.lookup(timestamp, nowNs));
        assertEquals(MISS, tracker.insert(timestamp, nowNs, 1));
        assertEquals(0, tracker.size());
    }
}
