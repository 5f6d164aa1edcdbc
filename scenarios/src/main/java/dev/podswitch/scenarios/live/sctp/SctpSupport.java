package dev.podswitch.scenarios.live.sctp;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What this machine offers live SCTP, and the {@link LiveSctp} way chosen from it. */
public final class SctpSupport
{
    private static final Path PROTOCOLS = Path.of("/proc/net/protocols");
    private static final Path STATUS = Path.of("/proc/self/status");
    /** Bit of CAP_NET_RAW in the capability sets of /proc/self/status. */
    private static final int CAP_NET_RAW = 13;

    private SctpSupport()
    {
    }

    /**
     * The way for this machine, decided on first use and kept: switching while pods are up would
     * leave some with a responder that fights the kernel. (Loading the sctp module while a lab
     * runs would do the same; do not.)
     */
    public static LiveSctp forThisMachine()
    {
        return Chosen.WAY;
    }

    /** True when the kernel has SCTP loaded ({@code /proc/net/protocols} lists it). */
    public static boolean kernelHasSctp()
    {
        try
        {
            return Files.readAllLines(PROTOCOLS).stream().anyMatch(line -> line.startsWith("SCTP"));
        }
        catch (final IOException | RuntimeException unreadable)
        {
            return false;
        }
    }

    /** True when this process may open raw sockets (CAP_NET_RAW in its effective set). */
    public static boolean mayOpenRawSockets()
    {
        try
        {
            return Files.readAllLines(STATUS).stream().filter(line -> line.startsWith("CapEff:")).findFirst()
                .map(line -> Long.parseUnsignedLong(line.substring("CapEff:".length()).strip(), 16))
                .map(effective -> (effective >>> CAP_NET_RAW & 1) == 1)
                .orElse(false);
        }
        catch (final IOException | RuntimeException unreadable)
        {
            return false;
        }
    }

    /** Why live SCTP cannot work on this machine, or null. */
    public static String unavailableReason()
    {
        return unavailableReason(kernelHasSctp(), mayOpenRawSockets());
    }

    /** Why neither way can work (no SCTP in the kernel and no raw sockets), or null. */
    static String unavailableReason(final boolean kernelHasSctp, final boolean mayOpenRawSockets)
    {
        return kernelHasSctp || mayOpenRawSockets ? null
            : "this kernel has no SCTP (no SCTP line in /proc/net/protocols) and this process may not open the raw "
                + "sockets of the userspace SCTP responder (it lacks CAP_NET_RAW)";
    }

    /** Holder: nothing is read from /proc before live SCTP is first used. */
    private static final class Chosen
    {
        private static final LiveSctp WAY = kernelHasSctp() ? new KernelSctp() : new UserspaceSctp();
    }
}
