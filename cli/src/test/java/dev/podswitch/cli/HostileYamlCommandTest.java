package dev.podswitch.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hardening issue's reproduction: a manifest with a recursive alias made {@code podswitch
 * validate} die with a StackOverflowError, a page of stack trace and exit status 1. Every command
 * that reads a file — validate, run, apply -f (which reads before it connects) — answers it as
 * invalid input: exit status 2 and one line naming file, line and field.
 */
class HostileYamlCommandTest
{
    private static final String RECURSIVE = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: p, namespace: default}
        spec: {podSelector: &s {x: *s}}
        """;

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void captureOutput()
    {
        System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreOutput()
    {
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.out), true));
        System.setErr(new PrintStream(new FileOutputStream(FileDescriptor.err), true));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"validate", "run", "apply"})
    void shouldExitTwoNamingFileLineAndFieldWhenAnAliasRefersToItself(final String command, @TempDir final Path dir)
        throws IOException
    {
        final Path file = Files.writeString(dir.resolve("loop.yaml"), RECURSIVE);
        final String[] args = command.equals("apply")
            ? new String[] {"apply", "-f", file.toString(), "--socket", dir.resolve("none.sock").toString()}
            : new String[] {command, file.toString()};

        final int status = Main.commandLine().execute(args);

        final String stderr = err.toString(StandardCharsets.UTF_8);
        assertEquals(Main.EXIT_INVALID, status, stderr);
        assertTrue(stderr.contains(file + ":4:25: "), "file, line and column: " + stderr);
        assertTrue(stderr.contains("spec.podSelector.x: recursive alias *s"), "field and problem: " + stderr);
        assertFalse(stderr.contains("\tat "), "no stack trace: " + stderr);
    }
}
