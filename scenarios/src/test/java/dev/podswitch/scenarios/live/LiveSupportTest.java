package dev.podswitch.scenarios.live;

import dev.podswitch.control.live.LiveLab;
import dev.podswitch.scenarios.load.ScenarioLoader;
import dev.podswitch.scenarios.run.UnsupportedScenarioException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The live mode's checks and state files that need no root. */
class LiveSupportTest
{
    @Test
    void shouldAcceptAScenarioWithSctpProbesWhereLiveSctpWorks() throws Exception
    {
        assertDoesNotThrow(() -> LiveSupport.requireSupported(ScenarioLoader.load(Path.of("library/two-nodes.yaml")), null));
    }

    @Test
    void shouldRefuseAScenarioWithAnSctpProbeWhereLiveSctpCannotWorkNamingTheStepProbeAndWhy() throws Exception
    {
        final UnsupportedScenarioException refused = assertThrows(UnsupportedScenarioException.class,
            () -> LiveSupport.requireSupported(ScenarioLoader.load(Path.of("library/two-nodes.yaml")),
                "no SCTP and no CAP_NET_RAW"));
        assertTrue(refused.getMessage().contains("SCTP probes cannot run live here: no SCTP and no CAP_NET_RAW"),
            refused.getMessage());
        assertTrue(refused.getMessage().contains("SCTP/3868"), refused.getMessage());
        assertTrue(refused.getMessage().contains("run without --live"), refused.getMessage());
    }

    @Test
    void shouldAcceptAScenarioWithoutSctp() throws Exception
    {
        assertDoesNotThrow(() -> LiveSupport.requireSupported(ScenarioLoader.load(Path.of("library/demo.yaml"))));
    }

    @Test
    void shouldReadBackTheStateFileItWrote(@TempDir final Path directory)
    {
        final LabStateFile state = new LabStateFile(4242, "library/\"odd\".yaml", List.of(LiveLab.NAME_PREFIX + "0a1b2c3d",
            LiveLab.NAME_PREFIX + "00000001"));
        state.write(directory);
        assertEquals(List.of(LabStateFile.fileFor(directory, 4242)), LabStateFile.list(directory));
        assertEquals(state, LabStateFile.parse(state.toJson()));
    }

    @Test
    void shouldReadOnlyPswNamesFromAStateFile()
    {
        // psw…, or PODSWITCH_LIVE_PREFIX's prefix when a test run names its labs apart.
        final String name = LiveLab.NAME_PREFIX + "12345678";
        final LabStateFile state = LabStateFile.parse("{\"pid\": 7, \"scenario\": \"x\", \"namespaces\": [\"eth0\", "
            + "\"" + name + "\", \"../etc\"]}");
        assertEquals(List.of(name), state.namespaces());
        assertEquals(7, state.pid());
    }
}
