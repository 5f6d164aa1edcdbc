package dev.podswitch.scenarios.live;

import dev.podswitch.control.live.LiveLab;
import dev.podswitch.control.live.NetworkNamespaces;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.scenarios.live.sctp.SctpSupport;
import dev.podswitch.scenarios.model.Expectation;
import dev.podswitch.scenarios.model.Scenario;
import dev.podswitch.scenarios.model.StepSpec;
import dev.podswitch.scenarios.run.UnsupportedScenarioException;

import java.nio.file.Files;
import java.nio.file.Path;

/** What the live mode can do on this machine, decided at run time. */
public final class LiveSupport
{
    private LiveSupport()
    {
    }

    /**
     * Refuses, before anything is built, a scenario the live mode would answer wrongly: one that
     * probes SCTP on a machine where neither live SCTP way works — the kernel has no SCTP and this
     * process may not open the raw sockets of the userspace responder (see {@link SctpSupport}).
     * Everywhere else SCTP runs live.
     *
     * @throws UnsupportedScenarioException naming the first SCTP probe and why it cannot run here.
     */
    public static void requireSupported(final Scenario scenario)
    {
        requireSupported(scenario, SctpSupport.unavailableReason());
    }

    /** As {@link #requireSupported(Scenario)}, with why SCTP cannot run here (null: it can). */
    static void requireSupported(final Scenario scenario, final String sctpUnavailable)
    {
        if (sctpUnavailable == null)
        {
            return;
        }
        for (final StepSpec step : scenario.steps())
        {
            for (final Expectation expectation : step.expectations())
            {
                if (expectation.protocol() == IpProtocol.SCTP)
                {
                    throw sctp(scenario, step, expectation.from() + " → " + expectation.to() + " SCTP/"
                        + expectation.port(), sctpUnavailable);
                }
            }
            if (step.matrix() != null && step.matrix().protocol() == IpProtocol.SCTP)
            {
                throw sctp(scenario, step, "the matrix (SCTP/" + step.matrix().port() + ")", sctpUnavailable);
            }
        }
    }

    private static UnsupportedScenarioException sctp(final Scenario scenario, final StepSpec step, final String probe,
        final String why)
    {
        return new UnsupportedScenarioException(scenario.file() + ": step \"" + step.name() + "\": " + probe
            + ": SCTP probes cannot run live here: " + why
            + "; run without --live for the emulated mode, which probes SCTP");
    }

    /** True when the kernel has SCTP loaded ({@code /proc/net/protocols} lists it). */
    public static boolean kernelHasSctp()
    {
        return SctpSupport.kernelHasSctp();
    }

    /** Why live labs cannot run here (not root, no TAP, no iproute2), or null. */
    public static String unavailableReason()
    {
        final Throwable cause = LiveLab.unavailabilityCause();
        return cause == null ? null : cause.getMessage();
    }

    /**
     * Turns off the kernel's ICMP error rate limit in a namespace, so every UDP probe to a port
     * nothing serves gets its port unreachable (the default allows a burst of about 6 per peer, then
     * one a second, which would turn repeated refusals into false "denied").
     */
    static void unlimitIcmpErrors(final String namespace)
    {
        try
        {
            NetworkNamespaces.callIn(namespace, () ->
            {
                Files.writeString(Path.of("/proc/sys/net/ipv4/icmp_ratelimit"), "0\n");
                return null;
            });
        }
        catch (final Exception failed)
        {
            throw new IllegalStateException("cannot set net.ipv4.icmp_ratelimit=0 in " + namespace + ": " + failed, failed);
        }
    }
}
