package dev.podswitch.scenarios.load;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Test files: resources under load/ and scenarios written on the fly into a temporary directory. */
final class ScenarioFiles
{
    private ScenarioFiles()
    {
    }

    static Path resource(final String name)
    {
        try
        {
            return Path.of(ScenarioFiles.class.getResource("/load/" + name).toURI());
        }
        catch (final URISyntaxException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    static Path write(final Path directory, final String name, final String text)
    {
        try
        {
            return Files.writeString(directory.resolve(name), text);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** A scenario whose lines are {@code lines}, loaded and expected to fail. */
    static ScenarioException loadFailure(final Path directory, final String... lines)
    {
        final Path file = write(directory, "scenario.yaml", String.join("\n", lines) + "\n");
        return assertThrows(ScenarioException.class, () -> ScenarioLoader.load(file));
    }

    /** Checks the location, field path and that the message holds each of {@code fragments}. */
    static void assertError(
        final ScenarioException ex,
        final String fileName,
        final int line,
        final int column,
        final String fieldPath,
        final String... fragments)
    {
        assertEquals(fileName, ex.file().getFileName().toString(), ex.getMessage());
        assertEquals(line, ex.line(), ex.getMessage());
        assertEquals(column, ex.column(), ex.getMessage());
        assertEquals(fieldPath, ex.fieldPath(), ex.getMessage());
        for (final String fragment : fragments)
        {
            assertTrue(ex.getMessage().contains(fragment), "expected \"" + fragment + "\" in: " + ex.getMessage());
        }
    }
}
