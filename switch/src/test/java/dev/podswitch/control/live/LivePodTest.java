package dev.podswitch.control.live;

import dev.podswitch.control.ClusterDataplane;
import dev.podswitch.dataplane.port.tap.TapDevice;
import dev.podswitch.ipam.cidr.Ipv4;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The parts of the live lab that need no root. */
class LivePodTest
{
    @Test
    void shouldFormatTheMacTheSwitchBindsToThePodIp()
    {
        assertEquals("0a:58:0a:f4:01:02", LivePod.macText(ClusterDataplane.macFor(Ipv4.parse("10.244.1.2"))));
    }

    @Test
    void shouldGiveACauseExactlyWhenUnavailable()
    {
        assertEquals(LiveLab.isAvailable(), LiveLab.unavailabilityCause() == null);
        assertEquals(TapDevice.isAvailable(), TapDevice.unavailabilityCause() == null);
        if (!TapDevice.isAvailable())
        {
            assertNotNull(TapDevice.unavailabilityCause().getMessage());
        }
    }

    @Test
    void shouldRejectTapNamesLongerThanTheKernelAllows()
    {
        final Class<? extends RuntimeException> expected = TapDevice.isAvailable()
            ? IllegalArgumentException.class : IllegalStateException.class;
        assertThrows(expected, () -> TapDevice.open("psw-far-too-long-name"));
    }

    @Test
    void shouldNameTheCommandAndItsOutputWhenIpFails()
    {
        org.junit.jupiter.api.Assumptions.assumeTrue(IpCommand.ipPath() != null, "iproute2 is not installed");
        final IllegalStateException failed = assertThrows(IllegalStateException.class,
            () -> IpCommand.ip("link", "show", "dev", "psw-none-such"));
        assertTrue(failed.getMessage().contains("ip link show dev psw-none-such failed (exit"), failed.getMessage());
    }
}
