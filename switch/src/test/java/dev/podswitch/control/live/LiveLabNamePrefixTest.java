package dev.podswitch.control.live;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** PODSWITCH_LIVE_PREFIX: psw unless set; a prefix that would not fit an interface name is refused. */
class LiveLabNamePrefixTest
{
    @Test
    void shouldNameWithPswUnlessAnotherShortLowercasePrefixIsGiven()
    {
        assertEquals("psw", LiveLab.namePrefix(null));
        assertEquals("psw", LiveLab.namePrefix(""));
        assertEquals("psgc", LiveLab.namePrefix("psgc"));
        assertEquals("x", LiveLab.namePrefix("x"));
        for (final String refused : new String[] {"psgcx", "PSW", "ps-", "p1", " psw"})
        {
            assertThrows(IllegalStateException.class, () -> LiveLab.namePrefix(refused), refused);
        }
    }
}
