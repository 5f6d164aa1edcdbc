package dev.podswitch.scenarios.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Debian's chromium, headless, as a browser a teacher would open the report in: it runs the
 * page's script and gives back the DOM it ends with, or a screenshot. Missing, it skips the test
 * with a message — except under CI=true, where that fails.
 */
final class HeadlessChromium
{
    private static final long TIMEOUT_SECONDS = 90;

    private final Path binary;
    private final Path profile;

    private HeadlessChromium(final Path binary, final Path profile)
    {
        this.binary = binary;
        this.profile = profile;
    }

    static HeadlessChromium find(final Path work)
    {
        for (final String directory : System.getenv().getOrDefault("PATH", "/usr/bin").split(":"))
        {
            for (final String name : List.of("chromium", "chromium-browser"))
            {
                final Path candidate = Path.of(directory, name);
                if (Files.isExecutable(candidate))
                {
                    return new HeadlessChromium(candidate, work.resolve("chromium-profile"));
                }
            }
        }
        if ("true".equals(System.getenv("CI")))
        {
            fail("CI=true: headless Chromium must render the report, but it is not on the PATH (apt-get install chromium)");
        }
        assumeTrue(false, "chromium is not installed (apt-get install chromium); the report is not rendered");
        return null;
    }

    /** The DOM after the page's script ran, {@code fragment} (e.g. {@code cell=ID}, or empty) in the address. */
    String dumpDom(final Path page, final String fragment) throws IOException, InterruptedException
    {
        return new String(run(List.of("--dump-dom", url(page, fragment))), StandardCharsets.UTF_8);
    }

    /** A PNG of the page's top {@code width × height} pixels. */
    void screenshot(final Path page, final String fragment, final Path png, final int width, final int height)
        throws IOException, InterruptedException
    {
        run(List.of("--hide-scrollbars", "--window-size=" + width + "," + height, "--screenshot=" + png.toAbsolutePath(),
            url(page, fragment)));
    }

    private static String url(final Path page, final String fragment)
    {
        return page.toAbsolutePath().toUri() + (fragment.isEmpty() ? "" : "#" + fragment);
    }

    private byte[] run(final List<String> arguments) throws IOException, InterruptedException
    {
        // --no-sandbox: the tests run as root, where Chromium's sandbox refuses to start; the page is our own file.
        final List<String> command = new ArrayList<>(List.of(binary.toString(), "--headless", "--no-sandbox",
            "--disable-gpu", "--no-first-run", "--user-data-dir=" + profile, "--virtual-time-budget=5000"));
        command.addAll(arguments);
        final Path errors = Files.createTempFile("chromium-", ".log");
        try
        {
            final Process process = new ProcessBuilder(command).redirectError(errors.toFile()).start();
            final byte[] out = process.getInputStream().readAllBytes();
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                fail("chromium did not finish in " + TIMEOUT_SECONDS + " s: " + command);
            }
            if (process.exitValue() != 0)
            {
                fail("chromium exited " + process.exitValue() + ": " + Files.readString(errors));
            }
            return out;
        }
        finally
        {
            Files.deleteIfExists(errors);
        }
    }
}
