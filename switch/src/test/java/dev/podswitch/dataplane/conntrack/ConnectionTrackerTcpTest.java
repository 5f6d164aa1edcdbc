package dev.podswitch.dataplane.conntrack;

import org.junit.jupiter.api.Test;

import static dev.podswitch.dataplane.conntrack.Packets.ACK;
import static dev.podswitch.dataplane.conntrack.Packets.FIN;
import static dev.podswitch.dataplane.conntrack.Packets.POD_A;
import static dev.podswitch.dataplane.conntrack.Packets.POD_B;
import static dev.podswitch.dataplane.conntrack.Packets.PSH;
import static dev.podswitch.dataplane.conntrack.Packets.RST;
import static dev.podswitch.dataplane.conntrack.Packets.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The TCP state machine through the tracker: a client on pod A, a server on pod B port 80. */
class ConnectionTrackerTcpTest
{
    private static final long S = 1_000_000_000L;
    private static final long T0 = 5_000 * S;

    private final ConnectionTracker tracker = new ConnectionTracker(256, ConntrackTimeouts.DEFAULTS);
    private long nowNs = T0;

    private long client(final int flags)
    {
        return tracker.lookup(Packets.tcp(POD_A, POD_B, 40000, 80, flags), nowNs);
    }

    private long server(final int flags)
    {
        return tracker.lookup(Packets.tcp(POD_B, POD_A, 80, 40000, flags), nowNs);
    }

    private long open()
    {
        final long handle = tracker.insert(Packets.tcp(POD_A, POD_B, 40000, 80, SYN), nowNs, 1);
        server(SYN | ACK);
        client(ACK);
        return handle;
    }

    private void assertState(final long handle, final String state, final long timeoutS)
    {
        assertNotEquals(ConnectionTracker.MISS, handle);
        assertFalse(ConnectionTracker.isInvalid(handle), "valid for " + state);
        final ConntrackEntry entry = tracker.describe(handle);
        assertEquals(state, entry.state());
        assertEquals(nowNs + timeoutS * S, entry.expiryNs(), state + " timeout");
    }

    @Test
    void shouldReachEstablishedWhenThreeWayHandshakeCompletes()
    {
        final long syn = tracker.insert(Packets.tcp(POD_A, POD_B, 40000, 80, SYN), nowNs, 7);
        assertState(syn, "SYN_SENT", 120);
        assertEquals(7, tracker.policyGeneration(syn));

        nowNs += S;
        final long synAck = server(SYN | ACK);
        assertTrue(ConnectionTracker.isReply(synAck));
        assertEquals(ConnectionTracker.index(syn), ConnectionTracker.index(synAck));
        assertState(synAck, "SYN_RECEIVED", 60);

        nowNs += S;
        final long ack = client(ACK);
        assertFalse(ConnectionTracker.isReply(ack));
        assertFalse(ConnectionTracker.isRelated(ack));
        assertState(ack, "ESTABLISHED", 5 * 24 * 3600);
        assertTrue(tracker.describe(ack).assured());

        final long data = server(PSH | ACK);
        assertTrue(ConnectionTracker.isReply(data));
        assertState(data, "ESTABLISHED", 5 * 24 * 3600);
        assertEquals(2, tracker.describe(data).packetsOriginal());
        assertEquals(2, tracker.describe(data).packetsReply());
        assertEquals(1, tracker.size());
    }

    @Test
    void shouldPassThroughFinWaitCloseWaitLastAckTimeWaitWhenClientClosesFirst()
    {
        open();
        assertState(client(FIN | ACK), "FIN_WAIT", 120);
        assertState(client(ACK), "FIN_WAIT", 120);
        assertState(server(ACK), "CLOSE_WAIT", 60);
        assertState(server(PSH | ACK), "CLOSE_WAIT", 60);
        assertState(server(FIN | ACK), "LAST_ACK", 30);
        final long last = client(ACK);
        assertState(last, "TIME_WAIT", 120);
        assertFalse(tracker.describe(last).assured(), "closing connections may be evicted");
        assertState(server(ACK), "TIME_WAIT", 120);
    }

    @Test
    void shouldReachLastAckDirectlyWhenServerAnswersFinWithFin()
    {
        open();
        assertState(server(FIN | ACK), "FIN_WAIT", 120);
        assertState(server(FIN | ACK), "FIN_WAIT", 120);
        assertState(client(FIN | ACK), "LAST_ACK", 30);
        assertState(server(ACK), "TIME_WAIT", 120);
    }

    @Test
    void shouldCloseWhenResetInEitherDirection()
    {
        open();
        assertState(server(RST), "CLOSE", 10);
        assertState(client(ACK), "CLOSE", 10);

        final long other = tracker.insert(Packets.tcp(POD_A, POD_B, 40001, 80, SYN), nowNs, 1);
        assertState(tracker.lookup(Packets.tcp(POD_A, POD_B, 40001, 80, RST | ACK), nowNs), "CLOSE", 10);
        assertEquals(ConnectionTracker.index(other), ConnectionTracker.index(tracker.lookup(
            Packets.tcp(POD_B, POD_A, 80, 40001, RST), nowNs)));
    }

    @Test
    void shouldStartAnewWhenSynArrivesOnTimeWaitOrClose()
    {
        open();
        client(FIN | ACK);
        server(FIN | ACK);
        client(ACK);
        nowNs += 5 * S;
        assertTrue(ConnectionTracker.isInvalid(server(SYN)), "a SYN from the server is no new connection");
        assertEquals(ConnectionTracker.MISS, client(SYN), "policy must judge the new connection");
        assertEquals(0, tracker.size());
        assertEquals(1, tracker.counters().removals());
        final long again = tracker.insert(Packets.tcp(POD_A, POD_B, 40000, 80, SYN), nowNs, 2);
        assertState(again, "SYN_SENT", 120);
        assertEquals(2, tracker.policyGeneration(again));

        server(RST);
        assertEquals(ConnectionTracker.MISS, client(SYN));
        assertEquals(2, tracker.counters().removals());
    }

    @Test
    void shouldEnterSynReceivedWhenBothSidesOpenSimultaneously()
    {
        tracker.insert(Packets.tcp(POD_A, POD_B, 40000, 80, SYN), nowNs, 1);
        assertState(server(SYN), "SYN_RECEIVED", 60);
        assertState(client(SYN | ACK), "SYN_RECEIVED", 60);
        assertState(server(SYN | ACK), "SYN_RECEIVED", 60);
        assertState(client(ACK), "ESTABLISHED", 5 * 24 * 3600);
    }

    @Test
    void shouldFlagInvalidAndKeepStateAndTimerWhenSegmentDoesNotFit()
    {
        final long syn = tracker.insert(Packets.tcp(POD_A, POD_B, 40000, 80, SYN), nowNs, 1);
        final long expiryNs = tracker.expiryNs(syn);
        nowNs += 10 * S;
        for (final int flags : new int[] {ACK, FIN | ACK, 0, SYN | FIN, SYN | RST, PSH})
        {
            final long handle = client(flags);
            assertTrue(ConnectionTracker.isInvalid(handle), "flags " + flags);
            assertEquals(ConnectionTracker.index(syn), ConnectionTracker.index(handle));
        }
        assertTrue(ConnectionTracker.isInvalid(client(SYN | ACK)), "the client cannot answer its own SYN");
        assertEquals("SYN_SENT", tracker.describe(syn).state());
        assertEquals(expiryNs, tracker.expiryNs(syn), "invalid segments do not keep a connection alive");
        assertEquals(7, tracker.counters().invalid());
        assertEquals(7, tracker.counters().hits());
    }

    @Test
    void shouldPickUpMidStreamLooselyWhenFirstPacketIsNotSyn()
    {
        final long ack = tracker.insert(Packets.tcp(POD_A, POD_B, 40000, 80, PSH | ACK), nowNs, 1);
        assertState(ack, "ESTABLISHED", 5 * 24 * 3600);
        assertFalse(tracker.describe(ack).assured(), "not assured before a reply");
        server(ACK);
        assertTrue(tracker.describe(ack).assured());

        assertState(tracker.insert(Packets.tcp(POD_A, POD_B, 40001, 80, SYN | ACK), nowNs, 1), "ESTABLISHED",
            5 * 24 * 3600);
        assertState(tracker.insert(Packets.tcp(POD_A, POD_B, 40002, 80, FIN | ACK), nowNs, 1), "FIN_WAIT", 120);
        assertState(tracker.insert(Packets.tcp(POD_A, POD_B, 40003, 80, RST), nowNs, 1), "CLOSE", 10);

        assertEquals(ConnectionTracker.MISS, tracker.insert(Packets.tcp(POD_A, POD_B, 40004, 80, SYN | FIN), nowNs, 1));
        assertEquals(ConnectionTracker.MISS, tracker.insert(Packets.tcp(POD_A, POD_B, 40005, 80, 0), nowNs, 1));
        assertEquals(2, tracker.counters().invalid());
        assertEquals(4, tracker.size());
    }

    @Test
    void shouldExpireAtTimeoutAndCountWhenIdle()
    {
        final long syn = tracker.insert(Packets.tcp(POD_A, POD_B, 40000, 80, SYN), nowNs, 1);
        nowNs += 120 * S - 1;
        assertEquals(ConnectionTracker.index(syn), ConnectionTracker.index(client(SYN)), "alive until the timeout");
        nowNs += 120 * S;
        assertEquals(ConnectionTracker.MISS, server(SYN | ACK));
        assertEquals(0, tracker.size());
        assertEquals(1, tracker.counters().expirations());

        open();
        nowNs += 5 * 24 * 3600 * S - 1;
        assertState(server(ACK), "ESTABLISHED", 5 * 24 * 3600);
        nowNs += 5 * 24 * 3600 * S;
        assertEquals(ConnectionTracker.MISS, client(ACK));
        assertEquals(2, tracker.counters().expirations());
    }

    @Test
    void shouldReturnExistingHandleWhenInsertFindsTheConnectionTracked()
    {
        final long first = open();
        assertEquals(first, tracker.insert(Packets.tcp(POD_A, POD_B, 40000, 80, ACK), nowNs, 9));
        final long reverse = tracker.insert(Packets.tcp(POD_B, POD_A, 80, 40000, ACK), nowNs, 9);
        assertEquals(ConnectionTracker.index(first), ConnectionTracker.index(reverse));
        assertTrue(ConnectionTracker.isReply(reverse));
        assertEquals(1, tracker.size());
        assertEquals(1, tracker.counters().inserts());
        assertEquals(1, tracker.policyGeneration(first));
    }

    @Test
    void shouldUseConfiguredTimeoutsWhenGiven()
    {
        final ConntrackTimeouts d = ConntrackTimeouts.DEFAULTS;
        final ConntrackTimeouts shortEstablished = new ConntrackTimeouts(d.tcpSynSent(), d.tcpSynReceived(),
            java.time.Duration.ofSeconds(42), d.tcpFinWait(), d.tcpCloseWait(), d.tcpLastAck(), d.tcpTimeWait(),
            d.tcpClose(), d.udpUnreplied(), d.udpReplied(), d.icmp(), d.sctpCookieWait(), d.sctpEstablished(),
            d.sctpShutdown(), d.sctpClosed(), d.generic());
        final ConnectionTracker custom = new ConnectionTracker(16, shortEstablished);
        final long handle = custom.insert(Packets.tcp(POD_A, POD_B, 1, 2, ACK), nowNs, 0);
        assertEquals(nowNs + 42 * S, custom.expiryNs(handle));
    }
}
