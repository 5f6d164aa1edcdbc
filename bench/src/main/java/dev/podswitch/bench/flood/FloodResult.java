package dev.podswitch.bench.flood;

import java.util.TreeMap;

/**
 * What one flood run measured. The other pods' traffic is in three classes: DNS-like exchanges
 * and TCP handshakes (each a new connection, counted as tried and succeeded) and long flows
 * (established before the flood; segments offered and arrived). {@code firstFailureRound} is the
 * first round in which a new connection failed (−1: none), with the flood flows offered before
 * its end and the fullest connection table then; {@code unbalancedRounds} counts rounds after which
 * some node's {@code received = forwarded + answered + Σ drops} did not hold.
 */
record FloodResult(FloodKind kind, int rounds, long floodOffered, long floodAccepted, long framesAtTarget,
    long framesAtFlooder, long wallNs, long dnsTried, long dnsOk, long tcpTried, long tcpOk, long notStarted,
    long longOffered, long longArrived, long longLostTowardClients, int longFlowsWithLoss, int longFlows,
    long misdelivered, int firstFailureRound, long firstFailureFloodFlows, double firstFailureTableFill,
    double worstRoundSuccess, int firstLossRound, long conntrackInserts, long conntrackEvictions,
    long conntrackInsertFailures, double tableFillAtEnd, int conntrackCapacity, long framesReceived,
    TreeMap<String, Long> drops, int unbalancedRounds, String firstUnbalanced, int idleTimeouts, long agentErrors,
    int distinctErrors)
{
    long newTried()
    {
        return dnsTried + tcpTried;
    }

    long newOk()
    {
        return dnsOk + tcpOk;
    }

    double newSuccess()
    {
        return ratio(newOk(), newTried());
    }

    double dnsSuccess()
    {
        return ratio(dnsOk, dnsTried);
    }

    double tcpSuccess()
    {
        return ratio(tcpOk, tcpTried);
    }

    long longLost()
    {
        return longOffered - longArrived;
    }

    double floodFlowsPerSecond()
    {
        return floodAccepted * 1e9 / wallNs;
    }

    double msPerRound()
    {
        return wallNs / 1e6 / rounds;
    }

    boolean balanced()
    {
        return unbalancedRounds == 0;
    }

    /** The run measured what it claims: long flows carried traffic, new connections were tried, the flood arrived. */
    boolean measuredSomething()
    {
        return longOffered > 0 && newTried() > 0 && (kind == FloodKind.NONE || framesAtTarget > 0);
    }

    private static double ratio(final long part, final long whole)
    {
        return whole == 0 ? Double.NaN : (double)part / whole;
    }
}
