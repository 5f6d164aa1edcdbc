package dev.podswitch.dataplane.port.tap;

import dev.podswitch.control.live.IpCommand;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Who may open a TAP by name. Creating is exclusive (IFF_TUN_EXCL): an existing link of that name —
 * a persistent TAP nobody holds, or any other link — is never silently taken over. Re-attaching
 * (an agent taking its pods back after a restart) opens a persistent TAP nobody holds, and fails
 * with EBUSY while another fd holds it, which the CNI re-attach path reads as "another agent has
 * it". No traffic: devices in the root namespace only, named {@code psw…}, always removed.
 * Root only: skips elsewhere, fails under CI=true.
 */
@Tag("root")
class TapDeviceRootTest
{
    private final String name = "psw" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());

    @BeforeEach
    void requireTap()
    {
        TapPortRootTest.requireTap();
    }

    @AfterEach
    void removeLink()
    {
        // Deleting one end of a veth pair deletes its peer too.
        if (linkExists())
        {
            IpCommand.ip("link", "delete", name);
        }
    }

    private boolean linkExists()
    {
        // "7: psw1a2b3c4d: <…" or, for a veth, "7: psw1a2b3c4d@psw1a2b3c4dp: <…"
        final String links = IpCommand.ip("-o", "link", "show");
        return links.contains(": " + name + ":") || links.contains(": " + name + "@");
    }

    /** A persistent TAP whose fd is closed: it outlives its opener, as a CNI pod's does an agent restart. */
    private void leavePersistentTap()
    {
        try (TapDevice first = TapDevice.open(name))
        {
            first.persistent(true);
        }
        assertTrue(linkExists(), "persistent: the device stays after its fd closed");
    }

    @Test
    void shouldRefuseWithEbusyWhenCreatingATapThatExistsPersistentAndUnheld()
    {
        leavePersistentTap();

        final IllegalStateException refused = assertThrows(IllegalStateException.class, () -> TapDevice.open(name));

        assertTrue(refused.getMessage().contains("EBUSY"), refused.getMessage());
    }

    @Test
    void shouldRefuseWithEbusyWhenCreatingATapWhoseNameAnotherKindOfLinkHas()
    {
        IpCommand.ip("link", "add", name, "type", "veth", "peer", "name", name + "p");

        final IllegalStateException refused = assertThrows(IllegalStateException.class, () -> TapDevice.open(name));

        assertTrue(refused.getMessage().contains("EBUSY"), refused.getMessage());
    }

    @Test
    void shouldReattachToAnUnheldPersistentTapAndRefuseWithEbusyWhileAnotherFdHoldsIt()
    {
        leavePersistentTap();
        try (TapDevice agent = TapDevice.reattach(name, true))
        {
            final IllegalStateException second = assertThrows(IllegalStateException.class,
                () -> TapDevice.reattach(name, true));
            assertTrue(second.getMessage().contains("EBUSY"), "another agent holds it: " + second.getMessage());

            agent.persistent(false);
        }
        assertFalse(linkExists(), "not persistent any more: closing the re-attached fd removed the device");
    }
}
