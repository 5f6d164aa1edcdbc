package dev.podswitch.agent.cni;

import dev.podswitch.scenarios.live.LiveSupport;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What the cnitool-driven tests need: a machine where the live lab runs (root, /dev/net/tun,
 * iproute2), ping, and the CNI project's own client, cnitool. Elsewhere they skip with the reason —
 * but under CI=true they fail, as the other root tests do, so a CI machine that lost cnitool
 * cannot pass by skipping them.
 */
final class CniRootPrerequisites
{
    static final Path CNITOOL_DEFAULT = Path.of("/usr/local/bin/cnitool");

    private CniRootPrerequisites()
    {
    }

    /** @return cnitool's path; fails (CI) or skips (elsewhere) when something is missing. */
    static Path require()
    {
        final String live = LiveSupport.unavailableReason();
        final Path ping = onPath("ping");
        final Path cnitool = Files.isExecutable(CNITOOL_DEFAULT) ? CNITOOL_DEFAULT : onPath("cnitool");
        final String missing = live != null ? live
            : ping == null ? "ping is not installed (apt-get install iputils-ping)"
            : cnitool == null ? "cnitool is not installed at " + CNITOOL_DEFAULT + " nor on PATH; "
                + "`.ci/build-cnitool.sh` builds it from Debian's source of the CNI project (as root)"
            : null;
        if (missing != null && "true".equals(System.getenv("CI")))
        {
            fail("CI=true: the cnitool tests must run, but " + missing);
        }
        assumeTrue(missing == null, () -> "root test skipped: " + missing);
        return cnitool;
    }

    private static Path onPath(final String program)
    {
        for (final String directory : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator))
        {
            final Path candidate = Path.of(directory, program);
            if (!directory.isEmpty() && Files.isExecutable(candidate))
            {
                return candidate;
            }
        }
        for (final String directory : new String[] {"/usr/sbin", "/sbin", "/usr/bin", "/bin"})
        {
            if (Files.isExecutable(Path.of(directory, program)))
            {
                return Path.of(directory, program);
            }
        }
        return null;
    }
}
