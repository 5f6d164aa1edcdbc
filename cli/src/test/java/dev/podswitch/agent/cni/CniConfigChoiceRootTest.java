package dev.podswitch.agent.cni;

import dev.podswitch.agent.cni.CniConfigDirectory;
import dev.podswitch.agent.cni.CniInstaller;
import dev.podswitch.agent.cni.PluginProcess;

import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.cli.Main;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two configs in the config directory: a runtime (containerd, CRI-O) uses the lexically first —
 * {@code 05-other.conflist}, attaching to node-2 — and {@code podswitch cni status} says so, while
 * cnitool, which is told a network name, uses the file with that name: {@code 10-podswitch.conflist}
 * (node-1) when asked for it. A broken file first in line stops both.
 */
@Tag("root")
class CniConfigChoiceRootTest
{
    private CniLab lab;
    private String other;

    @BeforeEach
    void startAgentWithTwoConfigs() throws Exception
    {
        lab = CniLab.start(CniRootPrerequisites.require());
        other = lab.tag + "-other";
        Files.writeString(lab.conf.resolve("05-other.conflist"), CniInstaller.conflist(other, CniLab.NODE_2, 0));
    }

    @AfterEach
    void cleanUp()
    {
        if (lab != null)
        {
            lab.close();
        }
    }

    /** {@code podswitch cni status}, as typed, with what it prints. */
    private record Printed(int status, String text)
    {
    }

    private Printed cniStatus()
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final PrintStream original = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try
        {
            final int status = Main.commandLine().execute("cni", "status", "--conf-dir", lab.conf.toString(), "--socket",
                lab.apiSocket.toString());
            return new Printed(status, out.toString(StandardCharsets.UTF_8));
        }
        finally
        {
            System.setOut(original);
        }
    }

    @Test
    void shouldPutTheLexicallyFirstConfigInForce() throws Exception
    {
        final CniConfigDirectory.InForce inForce = CniConfigDirectory.inForce(lab.conf);

        assertEquals(lab.conf.resolve("05-other.conflist"), inForce.file());
        assertEquals(other, inForce.name());
        assertEquals(List.of(lab.conf.resolve(CniInstaller.CONFIG_FILE), lab.conf.resolve("20-" + lab.network2 + ".conflist")),
            inForce.ignored());

        final Printed printed = cniStatus();

        assertEquals(Main.EXIT_OK, printed.status(), printed.text());
        assertTrue(printed.text().contains("in force  05-other.conflist  network \"" + other + "\""), printed.text());
        assertTrue(printed.text().contains("ignored   " + CniInstaller.CONFIG_FILE + "  (not first in lexical order)"),
            printed.text());
        assertTrue(printed.text().contains("agent at " + lab.apiSocket), "and what the agent says: " + printed.text());
        assertTrue(printed.text().contains("podCIDR: " + lab.podCidr(CniLab.NODE_2)), printed.text());
    }

    @Test
    void shouldLetCnitoolPickTheConfigByNetworkName() throws Exception
    {
        final String byRuntime = lab.namespace();
        final String byName = lab.namespace();

        // What a runtime would do: the config in force, whatever its name.
        final String inForceIp = CniLab.ipOf(lab.add(CniConfigDirectory.inForce(lab.conf).name(), byRuntime, null));
        // What cnitool does when named the second file's network.
        final String namedIp = CniLab.ipOf(lab.add(lab.network1, byName, null));

        assertTrue(lab.podCidr(CniLab.NODE_2).contains(Ipv4.parse(inForceIp)), "05-other pins node-2: " + inForceIp);
        assertTrue(lab.podCidr(CniLab.NODE_1).contains(Ipv4.parse(namedIp)), "10-podswitch pins node-1: " + namedIp);
    }

    @Test
    void shouldStopRuntimesAndCnitoolAlikeWhenTheFirstFileIsBroken() throws Exception
    {
        Files.writeString(lab.conf.resolve("01-broken.conflist"), "{\"cniVersion\": \"1.0.0\", \"name\": ");

        final Printed printed = cniStatus();

        assertEquals(Main.EXIT_INVALID, printed.status(), printed.text());
        assertTrue(printed.text().contains("INVALID   " + lab.conf.resolve("01-broken.conflist")), printed.text());
        // libcni reads the .conflist files in order until the name matches: the broken one comes first
        // and fails the lookup — without naming the file, which is why `cni status` does.
        final PluginProcess.Result add = lab.cnitool("add", lab.network1, lab.namespace(), Map.of());
        assertEquals(1, add.exitStatus(), add.toString());
        assertTrue(add.stderr().contains("error parsing configuration list"), add.toString());
    }
}
