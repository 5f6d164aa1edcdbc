package dev.podswitch.scenarios.live;

import dev.podswitch.control.live.IpCommand;
import dev.podswitch.control.live.LiveLab;
import dev.podswitch.control.live.NetworkNamespaces;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code podswitch down --all} deletes what podswitch made and nothing else: of two {@code psw…}
 * namespaces and two {@code psw…} root links, one of each made by hand and one of each with
 * podswitch's mark, only the marked ones go. Run through the real {@code down}, scoped to the names
 * this test made — on a shared machine an unscoped {@code --all} would take other runs' labs too.
 * Root only: skips elsewhere, fails under CI=true.
 */
@Tag("root")
class LiveDownRootTest
{
    private final String suffix = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(0, 7);
    private final String handMadeNamespace = LiveLab.NAME_PREFIX + suffix + "n";
    private final String ownedNamespace = LiveLab.NAME_PREFIX + suffix + "o";
    private final String handMadeLink = LiveLab.NAME_PREFIX + suffix + "l";
    private final String ownedLink = LiveLab.NAME_PREFIX + suffix + "m";
    private final List<String> made = List.of(handMadeNamespace, ownedNamespace, handMadeLink, ownedLink);

    @BeforeEach
    void requireRoot()
    {
        final String missing = LiveSupport.unavailableReason();
        if (missing != null && "true".equals(System.getenv("CI")))
        {
            fail("CI=true: the live tests must run, but " + missing);
        }
        assumeTrue(missing == null, () -> "root test skipped: " + missing);
    }

    @AfterEach
    void removeWhatIsLeft()
    {
        for (final String namespace : List.of(handMadeNamespace, ownedNamespace))
        {
            if (LiveLab.leftoverNamespaces().contains(namespace))
            {
                IpCommand.ip("netns", "delete", namespace);
            }
        }
        for (final String link : List.of(handMadeLink, ownedLink))
        {
            if (linkExists(link))
            {
                // Its veth peer goes with it.
                IpCommand.ip("link", "delete", link);
            }
        }
    }

    private static boolean linkExists(final String name)
    {
        final String links = IpCommand.ip("-o", "link", "show");
        return links.contains(": " + name + ":") || links.contains(": " + name + "@");
    }

    @Test
    void shouldDeleteOnlyMarkedNamespacesAndLinksWhenDownAll(@TempDir final Path stateDirectory)
    {
        IpCommand.ip("netns", "add", handMadeNamespace);
        NetworkNamespaces.addOwned(ownedNamespace);
        IpCommand.ip("link", "add", handMadeLink, "type", "veth", "peer", "name", handMadeLink + "p");
        IpCommand.ip("link", "add", ownedLink, "type", "veth", "peer", "name", ownedLink + "p");
        IpCommand.ip("link", "set", ownedLink, "alias", NetworkNamespaces.OWNER_MARK);
        final ByteArrayOutputStream printed = new ByteArrayOutputStream();

        final int deleted = LiveDown.down(stateDirectory, true, new PrintStream(printed, true, StandardCharsets.UTF_8),
            made::contains);

        final String text = printed.toString(StandardCharsets.UTF_8);
        assertEquals(2, deleted, text);
        assertFalse(LiveLab.leftoverNamespaces().contains(ownedNamespace), text);
        assertFalse(linkExists(ownedLink), text);
        assertTrue(LiveLab.leftoverNamespaces().contains(handMadeNamespace), "a namespace made by hand stays: " + text);
        assertTrue(linkExists(handMadeLink), "a link made by hand stays: " + text);
        assertTrue(text.contains("kept " + handMadeNamespace) && text.contains("kept " + handMadeLink), text);
    }
}
