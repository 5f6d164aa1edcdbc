package dev.podswitch.dataplane.packet;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IpProtocolTest
{
    @Test
    void shouldSayOnlyTcpUdpAndSctpCarryPortsWhenAskedByNumberOrByConstant()
    {
        for (int number = 0; number < 256; number++)
        {
            assertEquals(number == 6 || number == 17 || number == 132, IpProtocol.hasPorts(number), "protocol " + number);
        }
        for (final IpProtocol protocol : IpProtocol.values())
        {
            assertEquals(IpProtocol.hasPorts(protocol.number()), protocol.hasPorts(), protocol.name());
        }
        assertFalse(IpProtocol.ICMP.hasPorts());
    }

    @Test
    void shouldGiveEachProtocolWithPortsItsOwnTableIndexWhenAskedForOne()
    {
        final Set<Integer> indexes = new HashSet<>();
        for (int number = 0; number < 256; number++)
        {
            final int index = IpProtocol.portedIndex(number);
            assertEquals(IpProtocol.hasPorts(number), index >= 0, "protocol " + number);
            if (index >= 0)
            {
                assertTrue(index < IpProtocol.PORTED_COUNT, "protocol " + number + " index " + index);
                assertTrue(indexes.add(index), "index " + index + " given twice");
            }
        }
        assertEquals(IpProtocol.PORTED_COUNT, indexes.size());
    }

    @Test
    void shouldNameThePortedProtocolsAsPolicyAndScenariosSpellThem()
    {
        org.junit.jupiter.api.Assertions.assertEquals(java.util.List.of("TCP", "UDP", "SCTP"), IpProtocol.portedNames());
    }
}
